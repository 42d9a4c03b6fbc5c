import type {
  DedicatedWorkerLike,
  LockManagerLike,
  OpenedEndpoint,
  Transport,
} from '../transport.js';
import type { HubOptions } from '../worker/hub.js';
import { parsePersistQuery } from '../worker/persist-query.js';
import { BroadcastEndpoint } from './broadcast-endpoint.js';
import { startLeaderHub, type LeaderHub } from './leader-hub.js';
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
  /**
   * Makes a dedicated Worker from the app's worker file, for the hub of a tab that leads (the client's
   * `fallbackWorker`); without it, a leader runs the hub in its page.
   */
  startWorker?: (() => DedicatedWorkerLike) | undefined;
}

/** How long a leader whose hub failed to start waits before it stands again (another tab leads meanwhile). */
const STAND_AGAIN_MS = 1_000;

/**
 * Elected mode, for browsers without SharedWorker: the tabs of an origin elect one leader with a Web
 * Lock, the leader runs the hub (in a dedicated Worker made from the app's worker file, or in its own
 * page: see `startLeaderHub`), and every tab's client talks to it with the same protocol over
 * BroadcastChannels ({@link BroadcastEndpoint}).
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
  private readonly endpoints = new Set<BroadcastEndpoint>();
  /** The latest leader this tab has heard of (itself included). */
  private leader: LeaderAnnouncement | undefined = undefined;
  /** Set once the latest leader's hub is known to be gone (its life lock was granted to this tab). */
  private leaderGone = false;
  /** Set while this tab leads. */
  private hub: LeaderHub | undefined = undefined;
  private election: LeaderElection;
  private standTimer: ReturnType<typeof setTimeout> | undefined = undefined;
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
    this.election = this.stand();
    this.bus.postMessage({ type: 'query' });
  }

  /** True while this tab runs the hub. */
  get leading(): boolean {
    return this.hub !== undefined;
  }

  open(): OpenedEndpoint {
    const endpoint = new BroadcastEndpoint(this.scope, this.environment.createChannel, (closed) =>
      this.endpoints.delete(closed),
    );
    this.endpoints.add(endpoint);
    // A port made after the leader's hub is gone waits for the next leader.
    if (this.leader && !this.leaderGone) this.bind(endpoint, this.leader);
    return { endpoint, hub: endpoint.events };
  }

  /** Stops leading (the next tab in line takes over) or waiting to lead, and leaves the bus. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.bus.removeEventListener('message', this.onBus);
    this.bus.close();
    clearTimeout(this.standTimer);
    this.hub?.close();
    this.hub = undefined;
    this.election.close();
    for (const endpoint of [...this.endpoints]) endpoint.close();
  }

  private readonly onBus = (event: { data: unknown }): void => {
    const message = parseBusMessage(event.data);
    if (!message) return;
    switch (message.type) {
      case 'query':
        if (this.hub && this.leader) this.bus.postMessage(this.leader);
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

  /** Asks for the leader lock: granted, this tab leads. */
  private stand(): LeaderElection {
    return new LeaderElection(this.environment.locks, leaderLockName(this.scope), () =>
      this.lead(),
    );
  }

  /**
   * Gives up the lead (its hub is gone, or never started): the next tab in line leads, and this one
   * stands again, behind it.
   */
  private stepDown(delay: number): void {
    this.hub?.close();
    this.hub = undefined;
    this.election.close();
    clearTimeout(this.standTimer);
    this.standTimer = setTimeout(() => {
      if (!this.closed) this.election = this.stand();
    }, delay);
  }

  /** This tab won the lock: start the hub, then tell every tab (this one's endpoints included). */
  private lead(): void {
    if (this.closed) return;
    const leaderId = newId();
    const election = this.election;
    startLeaderHub(leaderId, {
      scope: this.scope,
      locks: this.environment.locks,
      createChannel: this.environment.createChannel,
      startWorker: this.environment.startWorker,
      hubOptions: {
        ...this.hubOptions,
        locks: this.environment.locks,
        ...(this.name === undefined ? {} : { name: this.name }),
      },
      onDied: () => {
        if (this.hub?.leaderId === leaderId) this.stepDown(0);
      },
    }).then(
      (hub) => {
        if (this.closed || this.election !== election) {
          hub.close();
          return;
        }
        this.hub = hub;
        // A term later than any this tab heard of, so no tab mistakes an old leader for a newer one.
        const term = Math.max(Date.now(), (this.leader?.term ?? 0) + 1);
        const announcement: LeaderAnnouncement = { type: 'leader', leader: leaderId, term };
        if (hub.lock !== undefined) announcement.lock = hub.lock;
        this.follow(announcement);
        this.bus.postMessage(announcement);
      },
      (error: unknown) => {
        console.error('[shared-channels] the elected hub could not start:', error);
        if (!this.closed && this.election === election) this.stepDown(STAND_AGAIN_MS);
      },
    );
  }

  /**
   * A leader announced itself. A newer one than this tab knew replaces the old: endpoints still waiting
   * bind to it, and endpoints bound to the old one report their hub lost. Older and repeated
   * announcements (a message from a leader that has since died may arrive late) change nothing.
   */
  private follow(announcement: LeaderAnnouncement): void {
    if (!isNewer(announcement, this.leader)) return;
    this.leader = announcement;
    this.leaderGone = false;
    if (announcement.lock !== undefined) {
      // Granted only once that hub's context is gone (its tab, or its worker): ports bound to it are lost.
      this.environment.locks
        .request(announcement.lock, () => this.leaderDied(announcement))
        .catch(() => undefined);
    }
    for (const endpoint of [...this.endpoints]) {
      if (endpoint.leader) endpoint.lose();
      else this.bind(endpoint, announcement);
    }
  }

  private leaderDied(announcement: LeaderAnnouncement): void {
    if (this.closed || this.leader !== announcement) return;
    this.leaderGone = true;
    for (const endpoint of [...this.endpoints]) {
      if (endpoint.leader === announcement) endpoint.lose();
    }
  }

  private bind(endpoint: BroadcastEndpoint, leader: LeaderAnnouncement): void {
    const inPage = this.hub?.leaderId === leader.leader ? this.hub.connectInPage?.() : undefined;
    endpoint.bind(leader, inPage);
  }
}

/**
 * What the hub an elected tab runs in its page takes from the worker's URL: the ready-made worker
 * bundle's `?persist=...`, so that persisted channels stay persisted in elected mode.
 */
export function hubOptionsFromUrl(source: string | URL): HubOptions {
  // Any base will do: only the query string is read.
  const persist = parsePersistQuery(new URL(source, 'http://localhost/').search);
  return persist === undefined ? {} : { persist };
}
