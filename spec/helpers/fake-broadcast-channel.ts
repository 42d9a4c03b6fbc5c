import type { BroadcastChannelLike } from '../../src/elected/relay-protocol.js';

type Listener = (event: { data: unknown }) => void;

/**
 * Every BroadcastChannel of one origin, shared by the fake tabs of a test. It has the browser's
 * semantics: a message goes, structured-cloned, to every other open channel of its name (never back to
 * the sender), each delivery a task of its own, in order per receiver; posting on a closed channel throws.
 */
export class FakeBroadcastBus {
  private readonly channels = new Set<FakeBroadcastChannel>();
  /** Every message posted by a live page, with its channel's name, oldest first. */
  readonly log: Array<{ name: string; data: unknown }> = [];

  /** A channel of this bus; `alive` says whether its page still runs (a dead page sends and hears nothing). */
  channel(name: string, alive: () => boolean = () => true): FakeBroadcastChannel {
    const channel = new FakeBroadcastChannel(this, name, alive);
    this.channels.add(channel);
    return channel;
  }

  /** How many channels of `name` are open. */
  openCount(name: string): number {
    let count = 0;
    for (const channel of this.channels) if (channel.name === name) count++;
    return count;
  }

  /** @internal */
  post(sender: FakeBroadcastChannel, message: unknown): void {
    this.log.push({ name: sender.name, data: message });
    for (const receiver of this.channels) {
      if (receiver === sender || receiver.name !== sender.name) continue;
      const data = structuredClone(message);
      setImmediate(() => receiver.dispatch(data));
    }
  }

  /** @internal */
  remove(channel: FakeBroadcastChannel): void {
    this.channels.delete(channel);
  }
}

export class FakeBroadcastChannel implements BroadcastChannelLike {
  private readonly listeners = new Set<Listener>();
  private closed = false;

  constructor(
    private readonly bus: FakeBroadcastBus,
    readonly name: string,
    private readonly alive: () => boolean,
  ) {}

  postMessage(message: unknown): void {
    if (this.closed) throw new Error('InvalidStateError: the BroadcastChannel is closed');
    if (this.alive()) this.bus.post(this, message);
  }

  addEventListener(_type: 'message', listener: Listener): void {
    this.listeners.add(listener);
  }

  removeEventListener(_type: 'message', listener: Listener): void {
    this.listeners.delete(listener);
  }

  close(): void {
    this.closed = true;
    this.bus.remove(this);
  }

  /** @internal */
  dispatch(data: unknown): void {
    if (this.closed || !this.alive()) return;
    for (const listener of this.listeners) listener({ data });
  }
}
