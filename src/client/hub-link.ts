import { randomId } from '../id.js';
import {
  FEATURE_BATCH,
  FEATURE_CLEARED,
  PROTOCOL_VERSION,
  type Endpoint,
  type WelcomeResponse,
  type WireLimits,
} from '../protocol.js';
import { encodeBatch, encodeRequest, withFields } from '../wire.js';
import type { LockManagerLike, OpenedEndpoint } from '../transport.js';

/** What a link reports to its client. None of these is called once the link is closed. */
export interface LinkEvents {
  /** A message from the hub, as it came. */
  message(raw: unknown): void;
  /** The hub answered the handshake. */
  welcomed(welcome: WelcomeResponse): void;
  /** The hub refused the handshake (another protocol version), or predates it (an older hub). */
  refused(name: string | undefined, error: string): void;
  /**
   * The hub is lost: its life lock was granted to this tab (the hub's context is gone), the worker
   * reported an error after the welcome, or, where the hub holds no life lock, it answered neither the
   * handshake nor a ping within the liveness window. `died` is true when the hub's context is known to
   * be gone (its life lock was granted).
   */
  lost(died: boolean): void;
  /** The worker's script could not start: it reported an error, and its hub never welcomed the link. */
  failed(): void;
}

/** What a link needs from its client. */
export interface LinkOptions {
  readonly locks: LockManagerLike | undefined;
  /** The client's id for its whole life, the same on every link (see `HelloRequest.session`). */
  readonly session: string;
  /** The liveness window (ms), for hubs that hold no life lock; 0: none. */
  readonly heartbeat: number;
  /** How long the handshake may take when there is no liveness window (ms). */
  readonly timeout: number;
  /** The highest requestId below which the client has settled every request. */
  readonly settled: () => number;
  /**
   * True when the hub's `error` events are a SharedWorker's, which fires one when its script cannot
   * start; an elected hub's only ever mean it is lost.
   */
  readonly startErrors: boolean;
}

/**
 * How long a hub may take to welcome a link after its worker fired `error`, before the worker is taken
 * for one whose script could not start (ms).
 */
export const START_GRACE_MS = 500;

/** The requestIds of the link's own requests: no request of the client's table is a string. */
const HELLO_ID = 'hello';
const PING_ID = 'ping';

/** Room for a batch envelope and the `settled` field around the messages it carries. */
const ENVELOPE = 64;

/**
 * One connection to one hub, from the handshake to its close: the port, the clientId used on it, the
 * Web Lock that tells the hub this tab is alive, how this tab learns the hub is gone, and the outbox that
 * packs what one task sends into messages the hub accepts.
 *
 * A client makes a new link when its hub is lost and closes the old one; a closed link reports nothing
 * more, so nothing that happens to an old link reaches the client.
 */
export class HubLink {
  /** The id this connection uses on the wire (a new one per connection: the hub binds ids to ports). */
  readonly clientId = randomId();
  /** `clientId` as JSON, spliced into every request. */
  readonly clientIdJson = JSON.stringify(this.clientId);
  /** Set by the welcome. */
  welcome: WelcomeResponse | undefined = undefined;
  private releaseLock: (() => void) | undefined = undefined;
  private closed = false;
  private readonly endpoint: Endpoint;
  private outbox: string[] = [];
  private flushQueued = false;
  private lastSettled = 0;
  /**
   * True once the `hello` is posted. Requests wait for it: a request the hub reads before the hello is
   * outside the session, and, sent again after a reconnect, would be applied twice.
   */
  private greeted = false;
  private lastHeard = Date.now();
  private timer: ReturnType<typeof setTimeout> | undefined = undefined;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined = undefined;
  private pinging = false;
  private settledTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  private startTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  private readonly onMessage = (event: { data: unknown }): void => {
    if (this.closed) return;
    this.lastHeard = Date.now();
    this.events.message(event.data);
  };
  private readonly onError = (): void => {
    if (this.welcome || !this.options.startErrors) this.lose(false);
    else this.doubtStart();
  };

  constructor(
    private readonly opened: OpenedEndpoint,
    private readonly events: LinkEvents,
    private readonly options: LinkOptions,
  ) {
    this.endpoint = opened.endpoint;
    this.endpoint.addEventListener('message', this.onMessage);
    opened.hub?.addEventListener?.('error', this.onError);
    this.endpoint.start?.();
    this.holdLock((lock) => this.hello(lock));
  }

  /** The hub's limits, once it said them. */
  get limits(): WireLimits | undefined {
    return this.welcome?.limits;
  }

  /** Queues a request for the hub; what one task queues leaves together at its end. */
  send(type: string, body: string): void {
    if (this.closed) return;
    this.outbox.push(encodeRequest(type, this.clientIdJson, body));
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flush);
    }
  }

  /**
   * A change was settled: when nothing else carries it by then, tell the hub at the end of this turn of
   * the event loop, so that it forgets the outcomes of a burst at once rather than at the next request.
   * A tab that publishes in a loop of awaits sends its next request first, which carries it.
   */
  noteSettled(): void {
    if (this.settledTimer !== undefined || this.closed) return;
    this.settledTimer = setTimeout(() => {
      this.settledTimer = undefined;
      const settled = this.options.settled();
      if (this.closed || !this.welcome?.features.includes(FEATURE_BATCH)) return;
      if (settled <= this.lastSettled || this.outbox.length > 0) return;
      this.lastSettled = settled;
      this.post(encodeBatch([], `,"settled":${settled}`));
    }, 0);
  }

  /**
   * Handles the answers to the link's own requests (`welcome`, `pong`, and an error for the handshake);
   * false for anything else.
   */
  answer(response: { type: string; requestId?: unknown; name?: string; error?: string }): boolean {
    if (response.requestId === PING_ID && response.type === 'pong') {
      this.pinging = false;
      clearTimeout(this.timer);
      return true;
    }
    if (response.requestId !== HELLO_ID || this.welcome || this.closed) return false;
    clearTimeout(this.timer);
    clearTimeout(this.startTimer);
    if (response.type === 'welcome') {
      this.welcome = response as WelcomeResponse;
      this.watchHub(this.welcome.lock);
      this.events.welcomed(this.welcome);
      return true;
    }
    if (response.type === 'error') {
      this.events.refused(response.name, response.error ?? '');
      return true;
    }
    return false;
  }

  /**
   * Says goodbye (the hub forgets this connection at once) and closes the port. With `flush`, what is
   * queued leaves first; a link to a lost hub drops it instead (the client sends it again elsewhere).
   */
  close(flush = false): void {
    if (this.closed) return;
    if (flush) {
      this.greeted = true; // what is queued goes now, hello or not: no reconnect will send it again
      this.flush();
    }
    this.closed = true;
    clearTimeout(this.timer);
    clearTimeout(this.startTimer);
    clearTimeout(this.settledTimer);
    clearInterval(this.heartbeatTimer);
    this.post(`{"type":"bye","clientId":${this.clientIdJson}}`);
    this.endpoint.removeEventListener('message', this.onMessage);
    this.opened.hub?.removeEventListener?.('error', this.onError);
    this.releaseLock?.();
    this.releaseLock = undefined;
    this.endpoint.close?.();
  }

  private lose(died: boolean): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    clearTimeout(this.startTimer);
    clearInterval(this.heartbeatTimer);
    this.events.lost(died);
  }

  /**
   * The worker fired `error` before its hub welcomed this link. A script that cannot start (not found, a
   * syntax error such as `import` in a classic script) fires it and never answers; but one that throws
   * after it started the hub fires it too and serves on (Chromium, Firefox ESR, WebKitGTK), and Firefox
   * fires it for every uncaught error of a running worker (spec/e2e/worker-start.spec.ts). So the
   * worker failed to start only if no welcome follows within {@link START_GRACE_MS}, which alone decides.
   */
  private doubtStart(): void {
    if (this.closed || this.startTimer !== undefined) return;
    clearTimeout(this.timer);
    this.startTimer = setTimeout(() => this.events.failed(), START_GRACE_MS);
  }

  /**
   * Takes this connection's liveness lock, then calls `onHeld` with its name (or with nothing where Web
   * Locks are missing). The lock is held until {@link HubLink.close}, or until the tab's context dies,
   * when the browser hands it to the hub that waits for it.
   */
  private holdLock(onHeld: (lock?: string) => void): void {
    const { locks } = this.options;
    if (!locks) {
      onHeld();
      return;
    }
    const name = `shared-channels:${this.clientId}`;
    locks
      .request(
        name,
        () =>
          new Promise<void>((release) => {
            if (this.closed) {
              release();
              return;
            }
            this.releaseLock = release;
            onHeld(name);
          }),
      )
      .catch(() => onHeld());
  }

  private hello(lock: string | undefined): void {
    if (this.closed) return;
    // Without a liveness window, a hub that never answers is found by the client's request timeout.
    const { heartbeat, timeout } = this.options;
    if (this.startTimer === undefined) this.arm(heartbeat > 0 ? heartbeat : timeout);
    this.post(
      JSON.stringify({
        type: 'hello',
        clientId: this.clientId,
        requestId: HELLO_ID,
        version: PROTOCOL_VERSION,
        features: [FEATURE_BATCH, FEATURE_CLEARED],
        session: this.options.session,
        ...(lock === undefined ? {} : { lock }),
      }),
    );
    this.greeted = true;
    this.flush();
  }

  /**
   * Learns of the hub's death from the death itself: the hub holds `lock` for its whole life, so the
   * browser grants it to this tab only once the hub's context is gone. A hub busy for seconds (a long
   * task, a garbage collection) is never taken for dead. Where the hub holds no lock, pings stand in.
   */
  private watchHub(lock: string | undefined): void {
    const { locks, heartbeat } = this.options;
    if (lock !== undefined && locks) {
      // Granted, the lock is let go at once, for the other tabs that wait for it.
      locks.request(lock, () => this.lose(true)).catch(() => this.startHeartbeat(heartbeat));
      return;
    }
    this.startHeartbeat(heartbeat);
  }

  private startHeartbeat(heartbeat: number): void {
    if (heartbeat <= 0 || this.closed) return;
    this.lastHeard = Date.now();
    this.heartbeatTimer = setInterval(() => {
      if (this.pinging || Date.now() - this.lastHeard < heartbeat) return;
      this.pinging = true;
      this.arm(heartbeat);
      this.post(`{"type":"ping","clientId":${this.clientIdJson},"requestId":"${PING_ID}"}`);
    }, heartbeat / 2);
  }

  /** Takes the hub for lost unless it says something within `ms`. */
  private arm(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      // Anything heard meanwhile proves the hub alive (a welcome waits for the hub's lock to be granted).
      if (Date.now() - this.lastHeard < ms) this.arm(ms);
      else this.lose(false);
    }, ms);
  }

  private post(message: string): void {
    try {
      this.endpoint.postMessage(message);
    } catch {
      // A port to a worker that is gone may throw; its requests time out or are sent again on reconnect.
    }
  }

  /**
   * Everything queued in this task leaves as few messages as the hub's limits allow: one batch, or
   * several when one would be larger than the hub reads. Each carries how far this tab has settled its
   * requests, so the hub can forget their outcomes.
   */
  private readonly flush = (): void => {
    this.flushQueued = false;
    const messages = this.outbox;
    if (messages.length === 0 || this.closed || !this.greeted) return;
    this.outbox = [];
    const welcome = this.welcome;
    if (!welcome?.features.includes(FEATURE_BATCH)) {
      for (const message of messages) this.post(message);
      return;
    }
    const settled = this.options.settled();
    const settledField = settled > this.lastSettled ? `,"settled":${settled}` : '';
    this.lastSettled = Math.max(this.lastSettled, settled);
    // A batch fits the hub's batch limit; a request too big for one goes alone (up to maxMessage).
    const maxBatch =
      (welcome.limits?.maxBatch ?? welcome.limits?.maxMessage ?? Infinity) - ENVELOPE;
    let chunk: string[] = [];
    let size = 0;
    let fields = settledField;
    const send = (): void => {
      if (chunk.length === 1) this.post(withFields(chunk[0]!, fields));
      else if (chunk.length > 1) this.post(encodeBatch(chunk, fields));
      fields = '';
      chunk = [];
      size = 0;
    };
    for (const message of messages) {
      if (chunk.length > 0 && size + message.length + 1 > maxBatch) send();
      chunk.push(message);
      size += message.length + 1;
    }
    send();
  };
}
