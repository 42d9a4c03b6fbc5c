import type { Endpoint } from '../protocol.js';
import type { Hub } from '../worker/hub.js';
import type { Connection } from '../worker/connection.js';
import { InPagePorts } from './in-page-ports.js';
import {
  leaderInboxName,
  parseRelayedMessage,
  portInboxName,
  type BroadcastChannelLike,
  type CreateChannel,
} from './relay-protocol.js';

type Listener = (event: { data: unknown }) => void;

/**
 * The hub's side of one tab's port: what the hub posts goes to the port's inbox channel; what the port
 * sent arrives through {@link RelayedPort.deliver}.
 */
class RelayedPort implements Endpoint {
  connection: Connection | undefined = undefined;
  private readonly listeners = new Set<Listener>();

  constructor(
    private readonly outbox: BroadcastChannelLike,
    private readonly onForgotten: () => void,
  ) {}

  postMessage(message: unknown): void {
    this.outbox.postMessage(message);
  }

  addEventListener(_type: 'message', listener: Listener): void {
    this.listeners.add(listener);
  }

  // The hub stops listening to a port exactly when it forgets it (goodbye, or the tab's liveness lock
  // was granted): the relay then forgets the port too.
  removeEventListener(_type: 'message', listener: Listener): void {
    this.listeners.delete(listener);
    if (this.listeners.size === 0) this.onForgotten();
  }

  deliver(data: unknown): void {
    for (const listener of this.listeners) listener({ data });
  }
}

/**
 * The leader's side of elected mode: the very same {@link Hub} a SharedWorker runs, in the leader's
 * dedicated worker or in its page, serving every tab's ports through the leader's inbox channel (one
 * Endpoint per port, so the hub sees each tab as it sees a worker port) and, in the page, this tab's own
 * client through an in-page port. Closing the relay closes its hub.
 *
 * ```ts
 * const relay = new HubRelay(leaderId, scope, (name) => new BroadcastChannel(name), new Hub());
 * const ownEndpoint = relay.connectInPage();
 * ```
 */
export class HubRelay {
  private readonly inbox: BroadcastChannelLike;
  private readonly ports = new Map<string, RelayedPort>();
  private readonly inPage: InPagePorts;
  private closed = false;

  constructor(
    readonly leaderId: string,
    private readonly scope: string,
    private readonly createChannel: CreateChannel,
    readonly hub: Hub,
  ) {
    this.inPage = new InPagePorts(this.hub);
    this.inbox = createChannel(leaderInboxName(scope, leaderId));
    this.inbox.addEventListener('message', this.onInbox);
  }

  /** A port for this page's own client: no BroadcastChannel hop for the leader's tab. */
  connectInPage(): Endpoint {
    return this.inPage.connect();
  }

  /** Steps down: every port is forgotten, and no message reaches this hub any more. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.inbox.removeEventListener('message', this.onInbox);
    this.inbox.close();
    this.inPage.closeAll();
    // Every port is forgotten, and the hub's life lock let go: tabs watching it reconnect at once.
    this.hub.close();
  }

  private readonly onInbox = (event: { data: unknown }): void => {
    const message = parseRelayedMessage(event.data);
    if (!message) return;
    let port = this.ports.get(message.port);
    if (!port) {
      if (message.open !== true) return;
      port = this.serve(message.port);
    }
    port.deliver(message.data);
  };

  private serve(id: string): RelayedPort {
    const outbox = this.createChannel(portInboxName(this.scope, id));
    const port: RelayedPort = new RelayedPort(outbox, () => {
      if (this.ports.get(id) !== port) return;
      this.ports.delete(id);
      outbox.close();
    });
    this.ports.set(id, port);
    port.connection = this.hub.connect(port);
    return port;
  }
}
