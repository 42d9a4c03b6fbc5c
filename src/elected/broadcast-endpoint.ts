import type { HubEvents } from '../transport.js';
import type { Endpoint } from '../protocol.js';
import {
  leaderInboxName,
  newId,
  portInboxName,
  type CreateChannel,
  type LeaderAnnouncement,
} from './relay-protocol.js';

type Listener = (event: { data: unknown }) => void;

/** Where a bound endpoint's messages go. */
interface Route {
  post(message: unknown): void;
  close(): void;
}

/**
 * A tab's port to the elected hub, wherever that hub runs: in another tab, over BroadcastChannels, or in
 * this tab, through an in-page port.
 *
 * It is made before the leader may be known; what the client posts meanwhile waits, in order, and leaves
 * once {@link BroadcastEndpoint.bind} names the leader. A bound endpoint stays with its leader for life:
 * when a later leader takes office (the old one's tab closed or crashed), {@link BroadcastEndpoint.lose}
 * fires `error` on {@link BroadcastEndpoint.events}, as a dead SharedWorker does, and the client opens a
 * new endpoint, greets the new hub and gives it back the channels' values.
 */
export class BroadcastEndpoint implements Endpoint {
  /** This port's id on the wire: its inbox channel is named by it. */
  readonly port = newId();
  /** The leader this endpoint is bound to, once it is. */
  leader: LeaderAnnouncement | undefined = undefined;
  /** Fires `error` once when the hub behind this endpoint is lost. */
  readonly events: HubEvents = {
    addEventListener: (_type, listener) => this.lossListeners.add(listener),
    removeEventListener: (_type, listener) => this.lossListeners.delete(listener),
  };
  private route: Route | undefined = undefined;
  private waiting: unknown[] = [];
  private closed = false;
  private lost = false;
  private readonly listeners = new Set<Listener>();
  private readonly lossListeners = new Set<(event: unknown) => void>();

  constructor(
    private readonly scope: string,
    private readonly createChannel: CreateChannel,
    private readonly onClose: (endpoint: BroadcastEndpoint) => void,
  ) {}

  postMessage(message: unknown): void {
    if (this.closed) return;
    if (this.route) this.route.post(message);
    else this.waiting.push(message);
  }

  addEventListener(_type: 'message', listener: Listener): void {
    this.listeners.add(listener);
  }

  removeEventListener(_type: 'message', listener: Listener): void {
    this.listeners.delete(listener);
  }

  /**
   * Sends everything from now on to `leader`'s hub: through `inPage` when this tab leads, else over the
   * leader's inbox channel. Messages that waited for a leader leave first, in order.
   */
  bind(leader: LeaderAnnouncement, inPage?: Endpoint): void {
    if (this.closed || this.route) return;
    this.leader = leader;
    this.route = inPage ? this.inPageRoute(inPage) : this.broadcastRoute(leader.leader);
    const waiting = this.waiting;
    this.waiting = [];
    for (const message of waiting) this.route.post(message);
  }

  /** The hub this endpoint is bound to is gone: tells the client, once. */
  lose(): void {
    if (this.closed || this.lost) return;
    this.lost = true;
    for (const listener of [...this.lossListeners]) listener(new Error('the elected hub is gone'));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.waiting = [];
    this.route?.close();
    this.listeners.clear();
    this.lossListeners.clear();
    this.onClose(this);
  }

  private readonly deliver = (event: { data: unknown }): void => {
    for (const listener of this.listeners) listener({ data: event.data });
  };

  private inPageRoute(endpoint: Endpoint): Route {
    endpoint.addEventListener('message', this.deliver);
    endpoint.start?.();
    return {
      post: (message) => endpoint.postMessage(message),
      close: () => {
        endpoint.removeEventListener('message', this.deliver);
        endpoint.close?.();
      },
    };
  }

  private broadcastRoute(leader: string): Route {
    // The inbox listens before the first message leaves, so the hub's first reply cannot miss it.
    const inbox = this.createChannel(portInboxName(this.scope, this.port));
    inbox.addEventListener('message', this.deliver);
    const outbox = this.createChannel(leaderInboxName(this.scope, leader));
    let first = true;
    return {
      post: (data) => {
        const open = first ? { open: true } : {};
        first = false;
        try {
          outbox.postMessage({ port: this.port, data, ...open });
        } catch {
          // A channel may throw while the page is torn down; requests time out or are sent again.
        }
      },
      close: () => {
        inbox.removeEventListener('message', this.deliver);
        inbox.close();
        outbox.close();
      },
    };
  }
}
