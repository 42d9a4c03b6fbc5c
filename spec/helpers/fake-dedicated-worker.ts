import type { BroadcastChannelLike, CreateChannel } from '../../src/elected/relay-protocol.js';
import { hostElectedHub, type DedicatedWorkerScope } from '../../src/elected/worker-host.js';
import type { DedicatedWorkerLike } from '../../src/transport.js';
import type { Hub } from '../../src/worker/hub.js';

type Listener = (event: { data?: unknown }) => void;

/**
 * The page's side of a dedicated Worker, driven by the test: it records what the page posts and how
 * often it was terminated, and fires the `message` and `error` events the test asks for, at once.
 */
export class FakeDedicatedWorker implements DedicatedWorkerLike {
  /** Every message the page posted to the worker, oldest first. */
  readonly posted: unknown[] = [];
  terminated = 0;
  private readonly listeners = { message: new Set<Listener>(), error: new Set<Listener>() };

  postMessage(message: unknown): void {
    this.posted.push(message);
  }

  addEventListener(type: 'message' | 'error', listener: Listener): void {
    this.listeners[type].add(listener);
  }

  terminate(): void {
    this.terminated++;
  }

  /** The worker posts `data` to the page. */
  answer(data: unknown): void {
    for (const listener of this.listeners.message) listener({ data });
  }

  /** The worker fires `error`, as one whose script is missing or threw while loading does. */
  fail(): void {
    for (const listener of this.listeners.error) listener({});
  }
}

/**
 * A dedicated Worker whose script hosts `hub` as an elected leader's hub, as the app's worker file does
 * (`startSharedWorker()` in a dedicated Worker): messages cross in both directions structured-cloned,
 * each a task of its own. `terminate()` ends the worker as a browser does: its hub closes (letting go of
 * its life lock), its BroadcastChannels close, and nothing crosses any more.
 */
export class HostingWorker implements DedicatedWorkerLike {
  terminated = false;
  private readonly inside = new Set<(event: { data: unknown }) => void>();
  private readonly outside = new Set<Listener>();
  private readonly channels: BroadcastChannelLike[] = [];

  constructor(
    readonly hub: Hub,
    createChannel: CreateChannel,
  ) {
    const scope: DedicatedWorkerScope = {
      addEventListener: (_type, listener) => this.inside.add(listener),
      postMessage: (message) => this.cross(message, this.outside),
    };
    hostElectedHub(hub, scope, (name) => {
      const channel = createChannel(name);
      this.channels.push(channel);
      return channel;
    });
  }

  postMessage(message: unknown): void {
    this.cross(message, this.inside);
  }

  addEventListener(type: 'message' | 'error', listener: Listener): void {
    if (type === 'message') this.outside.add(listener);
  }

  terminate(): void {
    if (this.terminated) return;
    this.terminated = true;
    this.hub.close();
    for (const channel of this.channels) channel.close();
  }

  private cross(message: unknown, to: Set<(event: { data: unknown }) => void>): void {
    if (this.terminated) return;
    const data = structuredClone(message);
    setImmediate(() => {
      if (this.terminated) return;
      for (const listener of to) listener({ data });
    });
  }
}
