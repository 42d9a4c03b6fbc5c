import type { OpenedEndpoint, Transport } from '../client/open-endpoint.js';
import type { HubOptions, LockManagerLike } from '../worker/hub.js';
import { BroadcastEndpoint } from './broadcast-endpoint.js';
import { HubRelay } from './hub-relay.js';
import { LeaderElection } from './leader-election.js';
import {
  isNewer,
  leaderLockName,
  newId,
  parseBusMessage,
  scopeName,
  type BroadcastChannelLike,
  type CreateChannel,
  type LeaderAnnouncement,
} from './relay-protocol.js';

/** What elected mode needs from the page: `navigator.locks` and `BroadcastChannel` in a browser. */
export interface ElectedEnvironment {
  locks: LockManagerLike;
  createChannel: CreateChannel;
}

/**
 * Elected mode, for browsers without SharedWorker: the tabs of an origin elect one leader with a Web
 * Lock, the leader runs the hub in its own page ({@link HubRelay}), and every tab's client talks to it
 * with the same protocol over BroadcastChannels ({@link BroadcastEndpoint}).
 *
 * When the leader's tab closes or crashes, the browser grants the lock to the next tab in line, which
 * starts a hub and announces itself; every endpoint bound to the old leader reports its hub lost, and
 * the clients reconnect to the new one exactly as after a SharedWorker restart (resend, resubscribe,
 * restore the newest value each tab knew).
 *
 * ```ts
 * const transport = new ElectedTransport({
 *   locks: navigator.locks,
 *   createChannel: (name) => new BroadcastChannel(name),
 * });
 * const { endpoint, hub } = transport.open();
 * ```
 */
export class ElectedTransport implements Transport {
  readonly mode = 'elected';
  readonly canReopen = true;
  private readonly scope: string;
  private readonly bus: BroadcastChannelLike;
  private readonly election: LeaderElection;
  private readonly endpoints = new Set<BroadcastEndpoint>();
  /** The latest leader this tab has heard of (itself included). */
  private leader: LeaderAnnouncement | undefined = undefined;
  /** Set while this tab leads. */
  private relay: HubRelay | undefined = undefined;
  private closed = false;

  /**
   * @param name separates hubs of one origin, as a worker's name does (`ClientOptions.name`).
   * @param hubOptions for the hub this tab runs when it leads, e.g. `persist` (its Web Locks are the
   *   environment's).
   */
  constructor(
    private readonly environment: ElectedEnvironment,
    private readonly name?: string,
    private readonly hubOptions: HubOptions = {},
  ) {
    this.scope = scopeName(name);
    this.bus = environment.createChannel(this.scope);
    this.bus.addEventListener('message', this.onBus);
    this.election = new LeaderElection(environment.locks, leaderLockName(this.scope), () =>
      this.lead(),
    );
    this.bus.postMessage({ type: 'query' });
  }

  /** True while this tab runs the hub. */
  get leading(): boolean {
    return this.relay !== undefined;
  }

  open(): OpenedEndpoint {
    const endpoint = new BroadcastEndpoint(this.scope, this.environment.createChannel, (closed) =>
      this.endpoints.delete(closed),
    );
    this.endpoints.add(endpoint);
    if (this.leader) this.bind(endpoint, this.leader);
    return { endpoint, hub: endpoint.events };
  }

  /** Stops leading (the next tab in line takes over) or waiting to lead, and leaves the bus. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.bus.removeEventListener('message', this.onBus);
    this.bus.close();
    this.relay?.close();
    this.relay = undefined;
    this.election.close();
    for (const endpoint of [...this.endpoints]) endpoint.close();
  }

  private readonly onBus = (event: { data: unknown }): void => {
    const message = parseBusMessage(event.data);
    if (!message) return;
    switch (message.type) {
      case 'query':
        if (this.relay && this.leader) this.bus.postMessage(this.leader);
        return;
      case 'leader':
        this.follow(message);
        return;
      default: {
        const unknown: never = message;
        return unknown;
      }
    }
  };

  /** This tab won the lock: start the hub, then tell every tab (this one's endpoints included). */
  private lead(): void {
    if (this.closed) return;
    // A term later than any this tab heard of, so no tab mistakes an old leader for a newer one.
    const term = Math.max(Date.now(), (this.leader?.term ?? 0) + 1);
    const announcement: LeaderAnnouncement = { type: 'leader', leader: newId(), term };
    this.relay = new HubRelay(announcement.leader, this.scope, this.environment.createChannel, {
      ...this.hubOptions,
      locks: this.environment.locks,
      ...(this.name === undefined ? {} : { name: this.name }),
    });
    this.follow(announcement);
    this.bus.postMessage(announcement);
  }

  /**
   * A leader announced itself. A newer one than this tab knew replaces the old: endpoints still waiting
   * bind to it, and endpoints bound to the old one report their hub lost. Older and repeated
   * announcements (a message from a leader that has since died may arrive late) change nothing.
   */
  private follow(announcement: LeaderAnnouncement): void {
    if (!isNewer(announcement, this.leader)) return;
    this.leader = announcement;
    for (const endpoint of [...this.endpoints]) {
      if (endpoint.leader) endpoint.lose();
      else this.bind(endpoint, announcement);
    }
  }

  private bind(endpoint: BroadcastEndpoint, leader: LeaderAnnouncement): void {
    const inPage = this.relay?.leaderId === leader.leader ? this.relay.connectInPage() : undefined;
    endpoint.bind(leader, inPage);
  }
}
