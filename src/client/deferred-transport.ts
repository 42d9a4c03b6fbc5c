import type { Endpoint } from '../protocol.js';
import type { HubEvents, OpenedEndpoint, Transport, TransportMode } from '../transport.js';

type Listener = (event: { data: unknown }) => void;
type ErrorListener = (event: unknown) => void;

const ignore = (): void => undefined;

/**
 * A transport whose code is loaded on first use (`import()`), so that tabs that never need it (every
 * tab with SharedWorker) never download it. What the client posts meanwhile waits, in order; endpoints
 * opened meanwhile are wired to the real ones once it is loaded. When loading fails (a chunk that cannot
 * be fetched), the endpoints opened meanwhile stay silent, so their links take the hub for lost when the
 * handshake goes unanswered, and the next `open()` tries to load again.
 */
export class DeferredTransport implements Transport {
  readonly canReopen = true;
  private transport: Transport | undefined = undefined;
  private loading: Promise<Transport> | undefined = undefined;
  private closed = false;

  constructor(
    readonly mode: TransportMode,
    private readonly load: () => Promise<Transport>,
  ) {
    this.loaded().catch(ignore);
  }

  open(): OpenedEndpoint {
    if (this.transport) return this.transport.open();
    const deferred = new DeferredEndpoint();
    this.loaded().then((transport) => {
      if (!this.closed) deferred.attach(transport.open());
    }, ignore);
    return { endpoint: deferred, hub: deferred.events };
  }

  close(): void {
    this.closed = true;
    this.transport?.close();
  }

  private loaded(): Promise<Transport> {
    this.loading ??= this.load().then(
      (transport) => {
        if (this.closed) transport.close();
        this.transport = transport;
        return transport;
      },
      (error: unknown) => {
        this.loading = undefined;
        console.error('[shared-channels] the transport could not be loaded:', error);
        throw error;
      },
    );
    return this.loading;
  }
}

/** An endpoint that stands in for one not made yet: it queues, then hands everything to the real one. */
class DeferredEndpoint implements Endpoint {
  readonly events: HubEvents = {
    addEventListener: (_type, listener) => {
      this.errorListeners.add(listener);
      this.opened?.hub?.addEventListener?.('error', listener);
    },
    removeEventListener: (_type, listener) => {
      this.errorListeners.delete(listener);
      this.opened?.hub?.removeEventListener?.('error', listener);
    },
  };
  private opened: OpenedEndpoint | undefined = undefined;
  private queue: unknown[] = [];
  private started = false;
  private closed = false;
  private readonly listeners = new Set<Listener>();
  private readonly errorListeners = new Set<ErrorListener>();

  postMessage(message: unknown): void {
    if (this.closed) return;
    if (this.opened) this.opened.endpoint.postMessage(message);
    else this.queue.push(message);
  }

  addEventListener(_type: 'message', listener: Listener): void {
    this.listeners.add(listener);
    this.opened?.endpoint.addEventListener('message', listener);
  }

  removeEventListener(_type: 'message', listener: Listener): void {
    this.listeners.delete(listener);
    this.opened?.endpoint.removeEventListener('message', listener);
  }

  start(): void {
    this.started = true;
    this.opened?.endpoint.start?.();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.opened?.endpoint.close?.();
  }

  /** The real endpoint is made: listeners move to it, then what waited leaves, in order. */
  attach(opened: OpenedEndpoint): void {
    if (this.closed) {
      opened.endpoint.close?.();
      return;
    }
    this.opened = opened;
    for (const listener of this.listeners) opened.endpoint.addEventListener('message', listener);
    for (const listener of this.errorListeners) opened.hub?.addEventListener?.('error', listener);
    if (this.started) opened.endpoint.start?.();
    const queue = this.queue;
    this.queue = [];
    for (const message of queue) opened.endpoint.postMessage(message);
  }
}
