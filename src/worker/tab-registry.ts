import { ProtocolError } from '../errors.js';
import type { LockManagerLike } from '../transport.js';
import { FEATURE_BATCH, FEATURE_CLEARED, type HelloRequest } from '../protocol.js';
import type { Connection } from './connection.js';
import { Sessions } from './sessions.js';

/**
 * Who is on the other end of the hub's ports, and how each side learns the other is gone: the tabs'
 * connections and the clientIds bound to them, the tabs' sessions, the tabs' liveness locks the hub waits
 * for, and the life lock the hub holds for the tabs to wait for.
 */
export class TabRegistry {
  readonly connections = new Set<Connection>();
  private readonly owners = new Map<string, Connection>();
  private readonly sessions = new Sessions<Connection>();
  /** The name of the Web Lock the hub holds for its life, once the browser granted it. */
  private held: string | undefined = undefined;
  /** What waits for the life lock to be granted (or refused): the welcomes, so that they can name it. */
  private waiting: Array<() => void> | undefined = undefined;
  private releaseLifeLock: (() => void) | undefined = undefined;
  private closed = false;

  constructor(
    private readonly locks: LockManagerLike | null,
    instanceId: string,
    /** Forgets a tab whose liveness lock was granted: its context is gone. */
    private readonly forgetTab: (connection: Connection) => void,
  ) {
    if (locks) this.holdLifeLock(`shared-channels:hub:${instanceId}`);
  }

  /** The life lock's name while the hub holds it. */
  get lifeLock(): string | undefined {
    return this.held;
  }

  /** Runs `run` once the life lock is settled (held, or refused): at once in the steady state. */
  afterLifeLock(run: () => void): void {
    if (this.waiting) this.waiting.push(run);
    else run();
  }

  /** Binds a clientId to the first port that used it, so no tab can act for another. */
  claim(connection: Connection, clientId: string): void {
    if (connection.clientId === clientId) return;
    if (connection.clientId !== undefined) {
      throw new ProtocolError(
        `clientId ${JSON.stringify(clientId)} is not this port's (it is ${JSON.stringify(connection.clientId)})`,
      );
    }
    const owner = this.owners.get(clientId);
    if (owner && owner !== connection) {
      throw new ProtocolError(`clientId ${JSON.stringify(clientId)} belongs to another port`);
    }
    connection.clientId = clientId;
    this.owners.set(clientId, connection);
  }

  /**
   * Takes in a tab's `hello`: what it understands, its session, and its liveness lock. Once per
   * connection: each hello may start a session and a lock watch, which a flood must not pile up.
   */
  greet(connection: Connection, hello: HelloRequest): void {
    if (connection.greeted) {
      throw new ProtocolError(
        'hello: this port already said hello; open a new port to start again',
      );
    }
    connection.greeted = true;
    const features = hello.features ?? [];
    connection.acceptsBatch = features.includes(FEATURE_BATCH);
    connection.hearsCleared = features.includes(FEATURE_CLEARED);
    if (hello.lock !== undefined) this.watch(connection, hello.lock);
    if (hello.session !== undefined) {
      connection.session = this.sessions.attach(hello.session, connection);
    }
  }

  /** Forgets a connection's bindings; false when it was not registered (any more). */
  forget(connection: Connection): boolean {
    if (!this.connections.delete(connection)) return false;
    if (connection.clientId !== undefined && this.owners.get(connection.clientId) === connection) {
      this.owners.delete(connection.clientId);
    }
    if (connection.session) this.sessions.detach(connection.session, connection);
    return true;
  }

  /** Lets go of the life lock, so the tabs that wait for it learn the hub is gone. */
  close(): void {
    this.closed = true;
    this.held = undefined;
    this.releaseLifeLock?.();
  }

  /**
   * Takes the Web Lock the hub holds until its context dies: the browser grants it to a waiting tab only
   * then, whatever ended the hub (the worker crashed or was killed, the elected leader's tab went).
   * Welcomes wait for it, which takes a task or two at the start, so that every tab can watch it.
   */
  private holdLifeLock(name: string): void {
    const waiting: Array<() => void> = [];
    this.waiting = waiting;
    const settled = (): void => {
      this.waiting = undefined;
      for (const run of waiting) run();
    };
    this.locks!.request(
      name,
      () =>
        new Promise<void>((release) => {
          this.releaseLifeLock = release;
          this.held = this.closed ? undefined : name;
          settled();
          if (this.closed) release();
        }),
    ).catch(() => {
      // The lock manager refused (a context being torn down): tabs watch this hub with pings.
      if (this.waiting === waiting) settled();
    });
  }

  /**
   * Waits for the tab's liveness lock: the browser grants it when the tab's context is gone, however it
   * went (closed, navigated, crashed, discarded), which no MessagePort event reports.
   */
  private watch(connection: Connection, lock: string): void {
    if (!this.locks) return;
    this.locks
      .request(lock, () => this.forgetTab(connection))
      .catch(() => {
        // The lock manager refused (a context being torn down): the tab is then dropped by its goodbye.
      });
  }
}
