/** Where a session's replies go: the connection the client uses now. */
export interface ReplySink {
  send(json: string): void;
}

/** The outcome of a change that is still being applied (waiting for its transaction). */
const PENDING = 0;

/**
 * How long a session outlives its last connection. A client that took a busy hub for dead reconnects
 * within seconds; one minute is far more than it needs, and bounds what a vanished tab leaves behind.
 */
export const DETACHED_LIFETIME = 60_000;

/** Most outcomes one session keeps; a client that never says what it has settled loses the oldest. */
export const MAX_OUTCOMES = 100_000;

type RequestId = number | string;

/**
 * One client across its connections to this hub: the outcome of every change it asked for that it may
 * still send again. A client that reconnects to the same hub (it took a stalled hub for dead) sends its
 * unanswered requests again under its session; each one already applied is answered with its first
 * outcome instead of being applied twice.
 *
 * Outcomes are forgotten once the client says it has settled them (`settled`, sent with its requests),
 * so a healthy session holds only the changes in flight.
 */
export class Session {
  /** Where replies go; undefined while the client has no connection (until it reconnects or expires). */
  sink: ReplySink | undefined;
  detachedAt = 0;
  private readonly outcomes = new Map<RequestId, string | typeof PENDING>();

  constructor(
    readonly id: string,
    sink: ReplySink,
  ) {
    this.sink = sink;
  }

  /** Outcomes kept now (for tests and stats). */
  get size(): number {
    return this.outcomes.size;
  }

  /**
   * Starts a change. Returns the function that records its outcome and sends it to the client's current
   * connection, or `undefined` when the change is a repeat: its outcome was sent to `via` (or will be sent,
   * once the first attempt finishes), and it must not be applied.
   */
  begin(requestId: RequestId, via: ReplySink): ((reply: string) => void) | undefined {
    const prior = this.outcomes.get(requestId);
    if (prior !== undefined) {
      if (prior !== PENDING) via.send(prior);
      return undefined;
    }
    if (this.outcomes.size >= MAX_OUTCOMES) {
      this.outcomes.delete(this.outcomes.keys().next().value!);
    }
    this.outcomes.set(requestId, PENDING);
    return (reply) => {
      if (this.outcomes.has(requestId)) this.outcomes.set(requestId, reply);
      this.sink?.send(reply);
    };
  }

  /** The client settled every numbered request up to `settled`: their outcomes are needed no more. */
  forgetThrough(settled: number): void {
    // Outcomes are kept in the order the requests came, which is the client's numbering but for the few
    // sent again; stopping at the first newer one keeps this O(1) per request.
    for (const requestId of this.outcomes.keys()) {
      if (typeof requestId !== 'number' || requestId > settled) return;
      this.outcomes.delete(requestId);
    }
  }
}

/** Every session of one hub by id, each bound to at most one connection at a time. */
export class Sessions<Connection extends ReplySink> {
  private readonly sessions = new Map<string, Session>();

  /**
   * Binds `id` to `connection`: the session the client had, if this hub still knows it (`resumed`), or a
   * new one. A session id is a random UUID a client makes for itself; any tab of the origin could present
   * another's (all tabs of an origin trust each other), but no mistake can.
   */
  attach(id: string, connection: Connection, now = Date.now()): Session {
    const known = this.sessions.get(id);
    if (known) {
      known.sink = connection;
      known.detachedAt = 0;
      return known;
    }
    this.expire(now);
    const session = new Session(id, connection);
    this.sessions.set(id, session);
    return session;
  }

  /** The connection is gone; its session waits a while for the client to come back. */
  detach(session: Session, connection: Connection, now = Date.now()): void {
    if (session.sink !== connection) return; // the client already uses a newer connection
    session.sink = undefined;
    session.detachedAt = now;
  }

  get size(): number {
    return this.sessions.size;
  }

  private expire(now: number): void {
    for (const [id, session] of this.sessions) {
      if (session.sink === undefined && now - session.detachedAt > DETACHED_LIFETIME) {
        this.sessions.delete(id);
      }
    }
  }
}
