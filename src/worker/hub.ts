import { Observable, filter, map } from 'rxjs';
import { LimitError, PersistenceError, ProtocolError, VersionMismatchError } from '../errors.js';
import { randomId } from '../id.js';
import { toJson } from '../json.js';
import { MemoryPersistence } from '../persistence/memory-persistence.js';
import type { Persistence } from '../persistence/persistence.js';
import {
  FEATURE_BATCH,
  MUTATION_TYPES,
  PROTOCOL_VERSION,
  describeValue,
  type Endpoint,
  type HubStats,
  type Request,
  type WireLimits,
} from '../protocol.js';
import {
  encodeAck,
  encodeCleared,
  encodeData,
  encodeError,
  encodeNoData,
  encodeWelcome,
} from '../wire.js';
import { ChannelLedger, describeError } from './channel-ledger.js';
import type { ChannelValue } from './channel-store.js';
import { Connection, type MessageSink } from './connection.js';
import {
  MAX_REFUSALS,
  encodeOverRate,
  encodeRefusedRest,
  isControl,
  maxBatchFor,
  maxMessageFor,
  openMessage,
} from './intake.js';
import { checkChannelName, checkPayload, resolveLimits, type HubLimits } from './limits.js';
import { holdsNonFiniteNumber } from './non-finite.js';
import { isInvalidRequest, parseRequest } from './parse-request.js';
import { createPersistFilter, type PersistOption } from './persist-filter.js';
import type { LockManagerLike } from '../transport.js';
import { TabRegistry } from './tab-registry.js';

export type { LockManagerLike } from '../transport.js';

/** Options of {@link Hub} and `startSharedWorker()`. */
export interface HubOptions {
  /** Overrides of the default limits (see {@link HubLimits}). */
  limits?: { [K in keyof HubLimits]?: HubLimits[K] | undefined } | undefined;
  /**
   * Web Locks, for two things: the hub holds one for its whole life (a tab that waits for it learns of
   * the hub's death from the death itself), and it waits for the tabs' liveness locks. `startSharedWorker()`
   * passes `navigator.locks`; without them (`null`, or left out in `new Hub()`) tabs are forgotten only
   * when they say goodbye, and watch the hub with pings.
   */
  locks?: LockManagerLike | null | undefined;
  /**
   * Which channels outlive the worker: `true` (all), names and RegExps (`['settings', /^cart:/]`), or a
   * predicate `(channel) => boolean`. Default none. A persisted channel's value is saved before it is
   * published, and loaded before the hub answers any tab.
   */
  persist?: PersistOption | undefined;
  /**
   * Where persisted channels are kept. `startSharedWorker()` passes an `IndexedDbPersistence` named after
   * the hub (`shared-channels:<name>`), or a `MemoryPersistence` (with a warning) where there is no
   * IndexedDB; `new Hub()` without one keeps them in a `MemoryPersistence`.
   */
  persistence?: Persistence | undefined;
  /**
   * The hub's name: a SharedWorker's `name` (`startSharedWorker()` reads it), or the elected mode's
   * `name`. Hubs of one origin with different names never share the default persistence database.
   */
  name?: string | undefined;
}

/** One reply's way back: to the port that asked, or, for a change, to the client's current port. */
type Reply = (json: string) => void;

const MUTATIONS: ReadonlySet<string> = new Set(MUTATION_TYPES);

const ignore = (): void => undefined;

/**
 * The hub: every channel's latest value, every tab's subscriptions, and the fan-out of each publish.
 *
 * It knows nothing of SharedWorker: give it ports with {@link Hub.connect}. One hub handles messages one
 * at a time in arrival order, so every tab sees the values of a channel in the same order. A bad message
 * gets an `error` reply on its own port and changes nothing; the hub never throws at a port.
 *
 * What a tab can rely on (README, "Guarantees"):
 * - every change (`publish`, `clear`, `restore`) a client sends under its session is applied at most
 *   once: sent again after a reconnect, it is answered with its first outcome;
 * - the hub holds a Web Lock for its whole life, so tabs learn of its death from the death itself;
 * - every publish, clear and accepted offer takes the next number of one clock, so a channel's `seq`
 *   only grows; an offer (`restore`) counts only where this hub has not decided the channel itself: no
 *   publish or clear here, no stored value, no change being saved;
 * - a message is bounded before it is parsed, and over the rate limit only the requests over the
 *   allowance are refused, in one reply.
 *
 * Persisted channels (`persist`) keep that order, with one difference: a value is published only once it
 * is saved. So, for a persisted channel:
 * - until the stored values are loaded, every message and every worker-side call waits (in order), so
 *   no tab ever sees "no value" for a channel that has one on disk;
 * - a `publish` or `clear` is applied, fanned out and acknowledged once the transaction holding it has
 *   committed; those that arrive meanwhile share the next transaction and are applied in arrival order;
 * - a `get` waits for the channel's pending saves, so a tab reads its own writes; `subscribe` answers at
 *   once with the current value, and the pending values follow as they commit;
 * - a failed save rejects that publish with `PersistenceError` and changes nothing else.
 * Memory-only channels are served synchronously, and never wait for a persisted one.
 *
 * ```ts
 * const hub = new Hub();
 * onconnect = (event) => hub.connect(event.ports[0]);
 * hub.publish('prices', { BTC: 45000 }); // worker-side code may publish too, e.g. from one WebSocket
 * ```
 */
export class Hub implements MessageSink {
  /** Identifies this run of the hub; tabs see a new one when the worker restarted. */
  readonly instanceId = randomId();
  /**
   * Settles once the persisted channels' stored values are loaded (at once when nothing persists).
   * Rejects with a `PersistenceError` when they could not be read; the hub then serves without them.
   */
  readonly ready: Promise<void>;
  private readonly limits: HubLimits;
  private readonly wireLimits: WireLimits;
  private readonly locks: LockManagerLike | null;
  private readonly ledger: ChannelLedger;
  private readonly tabs: TabRegistry;
  private readonly startedAt = Date.now();
  /** What arrived while the stored values were loading: messages and worker-side calls, in order. */
  private backlog: Array<[Connection, unknown] | (() => void)> | undefined = undefined;
  private closed = false;

  constructor(options: HubOptions = {}) {
    this.limits = resolveLimits(options.limits);
    this.wireLimits = {
      maxMessage: maxMessageFor(this.limits.maxPayload),
      maxBatch: maxBatchFor(this.limits.maxPayload),
      maxPayload: this.limits.maxPayload,
      maxRequestsPerSecond: this.limits.maxRequestsPerSecond,
    };
    this.locks = options.locks ?? null;
    const persists = createPersistFilter(options.persist);
    if (persists === undefined && options.persistence !== undefined) {
      throw new TypeError(
        'new Hub(): persistence is given but persist is not: say which channels persist (persist: true for all)',
      );
    }
    const persistence = persists && (options.persistence ?? new MemoryPersistence());
    this.ledger = new ChannelLedger(this.limits.maxChannels, persists, persistence);
    this.tabs = new TabRegistry(this.locks, this.instanceId, (connection) =>
      this.disconnect(connection),
    );
    if (!persistence) {
      this.ready = Promise.resolve();
      return;
    }
    this.backlog = [];
    this.ready = this.load(persistence);
    this.ready.catch(ignore);
  }

  /**
   * Serves one port until it says goodbye or {@link Hub.disconnect} is called with the returned handle.
   */
  connect(endpoint: Endpoint): Connection {
    const connection = new Connection(
      endpoint,
      this,
      this.instanceId,
      this.limits.maxRequestsPerSecond,
    );
    this.tabs.connections.add(connection);
    return connection;
  }

  /** Forgets a tab: its subscriptions end and its clientId is free again. Safe to call twice. */
  disconnect(connection: Connection): void {
    if (!this.tabs.forget(connection)) return;
    connection.close();
    for (const name of connection.subscriptions) {
      const channel = this.ledger.store.get(name);
      if (channel) {
        channel.removeSubscriber(connection);
        this.ledger.store.release(channel);
      }
    }
    connection.subscriptions.clear();
  }

  /**
   * Stops serving: every tab is forgotten, and the hub's life lock is let go, so the tabs that watch it
   * reconnect (an elected leader stepping down).
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.tabs.close();
    for (const connection of [...this.tabs.connections]) this.disconnect(connection);
  }

  /**
   * Publishes from worker-side code, exactly as if a tab had: every subscriber gets the value. A bad
   * name or value throws at once, as in a tab.
   *
   * The returned Promise resolves once the value is published: at once for a memory channel; for a
   * persisted channel, once it is saved. While stored values are loading, it waits its turn behind the
   * tabs' messages that came first. If saving fails, nothing changes, the Promise rejects with
   * `PersistenceError` and the failure is logged with `console.error`. The Promise may be ignored: a
   * rejection is never reported as unhandled.
   */
  publish(channel: string, data: unknown): Promise<void> {
    this.checkChannelName(channel, 'publish');
    const json = this.checkPayload(toJson(data, 'publish'));
    const done = this.inTurn(
      () =>
        new Promise<void>((resolve, reject) => {
          this.ledger.publish(channel, json, (error) => {
            if (error === undefined) return resolve();
            console.error(`[shared-channels] ${error.message}`);
            reject(error);
          });
        }),
    );
    done.catch(ignore);
    return done;
  }

  /**
   * Deletes the channel's value (on disk too when it persists) and tells the subscribed tabs. Resolves
   * once done; rejects with `PersistenceError` when the stored value could not be deleted (nothing
   * changed then).
   */
  clear(channel: string): Promise<void> {
    this.checkChannelName(channel, 'clear');
    return this.inTurn(
      () =>
        new Promise<void>((resolve, reject) => {
          this.ledger.clear(channel, (error) => (error ? reject(error) : resolve()));
        }),
    );
  }

  /** The channel's current value, or `undefined` when it has none. */
  get(channel: string): unknown {
    const value = this.ledger.store.get(channel)?.value$.value;
    return value === undefined ? undefined : JSON.parse(value.json);
  }

  /**
   * The channel's values seen from worker-side code: the current one (if any), then every update. Values
   * that tabs offered back after a restart (`restore`) are not news and are left out: an observer that
   * sends each value on (`orders → socket.send`) does not send an old one again.
   */
  channel(name: string): Observable<unknown> {
    this.checkChannelName(name, 'channel');
    return new Observable<unknown>((subscriber) => {
      const channel = this.ledger.store.ensure(name);
      const subscription = channel.value$
        .pipe(
          filter(
            (value): value is ChannelValue => value !== undefined && value.offer === undefined,
          ),
          map((value) => JSON.parse(value.json) as unknown),
        )
        .subscribe(subscriber);
      return () => {
        subscription.unsubscribe();
        this.ledger.store.release(channel);
      };
    });
  }

  /**
   * The Web Lock this hub holds for its whole life, once it holds it (`undefined` without Web Locks): the
   * browser grants it to whoever waits for it only once the hub's context is gone.
   */
  lifeLock(): Promise<string | undefined> {
    return new Promise((resolve) => this.tabs.afterLifeLock(() => resolve(this.tabs.lifeLock)));
  }

  /** A snapshot for dashboards: tabs, channels, subscribers and counters. */
  stats(): HubStats {
    const channels = [];
    for (const channel of this.ledger.store.values()) {
      channels.push({
        channel: channel.name,
        subscribers: channel.subscriberCount,
        published: channel.published,
        lastPublished: channel.lastPublished,
      });
    }
    return {
      instanceId: this.instanceId,
      clients: this.tabs.connections.size,
      channels,
      published: this.ledger.published,
      delivered: this.ledger.delivered,
      uptime: Date.now() - this.startedAt,
    };
  }

  /** Called by a connection with each message its port received. Never throws. */
  receive(connection: Connection, raw: unknown): void {
    if (this.backlog) {
      this.backlog.push([connection, raw]);
      return;
    }
    const opened = openMessage(raw, this.wireLimits.maxMessage, this.wireLimits.maxBatch);
    if ('refused' in opened) {
      connection.send(encodeError(opened.refused, opened.requestId));
      return;
    }
    if (opened.settled !== undefined) connection.session?.forgetThrough(opened.settled);
    const { requests } = opened;
    // The handshake and the goodbye, once per connection, are not counted against the allowance.
    let counted = 0;
    for (const request of requests) if (!isControl(request)) counted++;
    let allowance = connection.take(counted);
    const overRate: unknown[] = [];
    const unread: unknown[] = [];
    let refusals = 0;
    for (const request of requests) {
      if (!this.tabs.connections.has(connection)) return; // it said bye: the rest of its batch goes unread
      if (refusals >= MAX_REFUSALS) unread.push(request);
      else if (!isControl(request) && allowance-- <= 0) overRate.push(request);
      else if (this.receiveOne(connection, request, opened.nonFinite)) refusals++;
    }
    if (overRate.length > 0) {
      connection.send(encodeOverRate(overRate, this.limits.maxRequestsPerSecond));
    }
    if (unread.length > 0) connection.send(encodeRefusedRest(unread));
  }

  /** Serves one request of a message; true when it was refused at once. */
  private receiveOne(connection: Connection, message: unknown, nonFinite: boolean): boolean {
    const request = parseRequest(message);
    if (isInvalidRequest(request)) {
      connection.send(
        encodeError(new ProtocolError(request.invalid), request.requestId, request.channel),
      );
      return true;
    }
    const requestId = 'requestId' in request ? request.requestId : undefined;
    const channel = 'channel' in request ? request.channel : undefined;
    let reply: Reply = (json) => connection.send(json);
    try {
      this.tabs.claim(connection, request.clientId);
      if (connection.session && requestId !== undefined && MUTATIONS.has(request.type)) {
        const first = connection.session.begin(requestId, connection);
        if (!first) return false; // sent again: answered with its first outcome, never applied twice
        reply = first;
      }
      if (nonFinite && 'data' in request && holdsNonFiniteNumber(request.data)) {
        throw new TypeError(
          `${request.type}(): data must be a JSON value: it holds a number too large for JSON, which parses as Infinity`,
        );
      }
      this.handle(connection, request, reply);
      return false;
    } catch (error) {
      reply(encodeError(error, requestId, channel));
      return true;
    }
  }

  /**
   * Serves one typed request. It either throws before anything changed or replies (now or, for a
   * persisted channel, once saved), never both.
   */
  private handle(connection: Connection, request: Request, reply: Reply): void {
    switch (request.type) {
      case 'hello':
        this.hello(connection, request);
        return;
      case 'bye':
        this.disconnect(connection);
        return;
      case 'ping':
        reply(
          JSON.stringify({
            type: 'pong',
            requestId: request.requestId,
            instanceId: this.instanceId,
          }),
        );
        return;
      case 'stats':
        reply(JSON.stringify({ type: 'stats', requestId: request.requestId, data: this.stats() }));
        return;
      case 'subscribe': {
        this.checkChannelName(request.channel, request.type);
        const channel = this.ledger.store.ensure(request.channel);
        if (!connection.subscriptions.has(request.channel)) {
          if (connection.subscriptions.size >= this.limits.maxSubscriptionsPerClient) {
            this.ledger.store.release(channel);
            throw new LimitError(
              `subscription limit reached: this tab has ${this.limits.maxSubscriptionsPerClient} subscriptions (limits.maxSubscriptionsPerClient)`,
            );
          }
          connection.subscriptions.add(request.channel);
          channel.addSubscriber(connection);
        }
        const value = channel.value$.value;
        reply(encodeAck('subscribed', request.channel, request.requestId, value?.seq));
        if (value !== undefined) {
          this.ledger.delivered++;
          connection.send(encodeData(channel.name, value.json, value.seq));
        }
        return;
      }
      case 'unsubscribe': {
        const channel = this.ledger.store.get(request.channel);
        if (channel && connection.subscriptions.delete(request.channel)) {
          channel.removeSubscriber(connection);
          this.ledger.store.release(channel);
        }
        reply(encodeAck('unsubscribed', request.channel, request.requestId));
        return;
      }
      case 'publish': {
        this.checkChannelName(request.channel, request.type);
        const json = this.checkPayload(JSON.stringify(request.data));
        const { channel, requestId } = request;
        if (request.again === true && this.ledger.isOffered(channel, json)) {
          reply(encodeAck('published', channel, requestId));
          return;
        }
        this.ledger.publish(channel, json, (error) =>
          reply(
            error
              ? encodeError(error, requestId, channel)
              : encodeAck('published', channel, requestId),
          ),
        );
        return;
      }
      case 'get': {
        const { channel, requestId } = request;
        const answer = (): void => {
          const value = this.ledger.store.get(channel)?.value$.value;
          reply(
            value === undefined
              ? encodeNoData(channel, requestId)
              : encodeData(channel, value.json, value.seq, requestId),
          );
        };
        // A tab reads its own writes: a get waits for the channel's pending saves.
        this.ledger.afterWrites(channel, answer);
        return;
      }
      case 'clear': {
        this.checkChannelName(request.channel, request.type);
        const { channel, requestId } = request;
        this.ledger.clear(channel, (error, seq) =>
          reply(
            error ? encodeError(error, requestId, channel) : encodeCleared(channel, seq, requestId),
          ),
        );
        return;
      }
      case 'restore': {
        this.checkChannelName(request.channel, request.type);
        const json = this.checkPayload(JSON.stringify(request.data));
        const { channel, requestId } = request;
        this.ledger.offer(channel, json, { epoch: request.epoch, seq: request.seq }, () =>
          reply(encodeAck('restored', channel, requestId)),
        );
        return;
      }
      default: {
        const unknown: never = request;
        throw new ProtocolError(`unknown message type ${describeValue(unknown)}`);
      }
    }
  }

  private hello(connection: Connection, request: Extract<Request, { type: 'hello' }>): void {
    if (request.version !== PROTOCOL_VERSION) {
      throw new VersionMismatchError(
        `the hub speaks protocol version ${PROTOCOL_VERSION}, the tab speaks ${request.version}: ` +
          'serve the worker script under a URL named by version so each deploy gets its own worker',
      );
    }
    this.tabs.greet(connection, request);
    const welcome = (): void =>
      connection.send(
        encodeWelcome({
          requestId: request.requestId,
          version: PROTOCOL_VERSION,
          instanceId: this.instanceId,
          features: [FEATURE_BATCH],
          lock: this.tabs.lifeLock,
          limits: this.wireLimits,
          startedAt: this.startedAt,
        }),
      );
    this.tabs.afterLifeLock(welcome);
  }

  /** Runs a worker-side call now, or in its turn when messages that came first are still waiting. */
  private inTurn(run: () => Promise<void>): Promise<void> {
    const backlog = this.backlog;
    if (!backlog) return run();
    return new Promise<void>((resolve, reject) => {
      // At once when its turn comes (not a microtask later, behind what came after it); a call that
      // throws (a full hub) rejects like one that fails.
      backlog.push(() => {
        try {
          run().then(resolve, reject);
        } catch (error) {
          // What throws here is the hub's own LimitError or TypeError.
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    });
  }

  /**
   * Reads the stored values into their channels, then lets writes begin and handles what waited, in the
   * order it came. A value the hub cannot serve (its JSON no longer parses, it breaks a limit) is skipped
   * with a warning.
   */
  private async load(persistence: Persistence): Promise<void> {
    let stored: ReadonlyMap<string, string> = new Map();
    let failure: PersistenceError | undefined;
    try {
      stored = await persistence.load();
    } catch (error) {
      failure =
        error instanceof PersistenceError
          ? error
          : new PersistenceError(`the stored values could not be read: ${describeError(error)}`, {
              cause: error,
            });
      console.warn(`[shared-channels] ${failure.message}; serving without them`);
    }
    this.ledger.load(stored, (name, json) => {
      this.checkChannelName(name, 'load');
      this.checkPayload(json);
    });
    const backlog = this.backlog ?? [];
    this.backlog = undefined;
    for (const entry of backlog) {
      if (typeof entry === 'function') entry();
      else if (this.tabs.connections.has(entry[0])) this.receive(entry[0], entry[1]);
    }
    if (failure) throw failure;
  }

  private checkPayload(json: string): string {
    return checkPayload(json, this.limits);
  }

  private checkChannelName(name: unknown, call: string): asserts name is string {
    checkChannelName(name, call, this.limits);
  }
}
