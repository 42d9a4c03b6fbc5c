import { Observable, filter, map } from 'rxjs';
import { toJson } from '../json.js';
import {
  LimitError,
  PersistenceError,
  ProtocolError,
  VersionMismatchError,
  toWire,
} from '../errors.js';
import { IndexedDbPersistence } from '../persistence/indexed-db-persistence.js';
import { MemoryPersistence } from '../persistence/memory-persistence.js';
import type { Persistence } from '../persistence/persistence.js';
import {
  FEATURE_BATCH,
  FEATURE_CLEARED,
  PROTOCOL_VERSION,
  describe,
  isInvalidRequest,
  parseRequest,
  type Endpoint,
  type AckResponse,
  type HubStats,
  type Request,
} from '../protocol.js';
import { ChannelStore, type Channel, type ChannelValue } from './channel-store.js';
import { Connection, type MessageSink } from './connection.js';
import { resolveLimits, type HubLimits } from './limits.js';
import { createPersistFilter, type PersistOption } from './persist-filter.js';
import { WriteQueue } from './write-queue.js';

/** The part of the Web Locks API (`navigator.locks`) the hub uses to learn that a tab died. */
export interface LockManagerLike {
  request(name: string, callback: () => unknown): Promise<unknown>;
}

/** Options of {@link Hub} and `startSharedWorker()`. */
export interface HubOptions {
  /** Overrides of the default limits (see {@link HubLimits}). */
  limits?: Partial<HubLimits>;
  /**
   * Where to wait for the tabs' liveness locks. Default `navigator.locks` where it exists; `null` turns
   * lock watching off (tabs are then forgotten only when they say goodbye).
   */
  locks?: LockManagerLike | null;
  /**
   * Which channels outlive the worker: `true` (all), names and RegExps (`['settings', /^cart:/]`), or a
   * predicate `(channel) => boolean`. Default none. A persisted channel's value is saved before it is
   * published, and loaded before the hub answers any tab.
   */
  persist?: PersistOption;
  /**
   * Where persisted channels are kept. Default an {@link IndexedDbPersistence}, or a
   * {@link MemoryPersistence} (with a warning) where there is no IndexedDB.
   */
  persistence?: Persistence;
}

/** A message's requestId as JSON, or nothing when it has none. */
function requestIdField(requestId: number | string | undefined): string {
  return requestId === undefined ? '' : `,"requestId":${JSON.stringify(requestId)}`;
}

function dataMessage(channel: string, value: ChannelValue, requestId?: number | string): string {
  return `{"type":"data","channel":${JSON.stringify(channel)},"data":${value.json}${requestIdField(requestId)},"seq":${value.seq}}`;
}

/** How many values' worth of JSON one message (a batch) may carry before it is refused unread. */
const MESSAGE_PAYLOADS = 16;

function randomId(): string {
  return Math.random().toString(36).slice(2, 10);
}

const ignore = (): void => undefined;

function createDefaultPersistence(): Persistence {
  if ((globalThis as { indexedDB?: unknown }).indexedDB !== undefined) {
    return new IndexedDbPersistence();
  }
  console.warn(
    '[shared-channels] persist is set, but there is no indexedDB here: persisted channels last only as long as the worker',
  );
  return new MemoryPersistence();
}

/**
 * The hub: every channel's latest value, every tab's subscriptions, and the fan-out of each publish.
 *
 * It knows nothing of SharedWorker: give it ports with {@link Hub.connect}. One hub handles messages one
 * at a time in arrival order, so every tab sees the values of a channel in the same order. A bad message
 * gets an `error` reply on its own port and changes nothing; the hub never throws at a port.
 *
 * Persisted channels (`persist`) keep that order, with one difference: a value is published only once it
 * is saved. So, for a persisted channel:
 * - until the stored values are loaded, every message waits (in order), so no tab ever sees "no value"
 *   for a channel that has one on disk;
 * - a `publish` or `clear` is applied, fanned out and acknowledged once the transaction holding it has
 *   committed; those that arrive meanwhile share the next transaction and are applied in arrival order;
 * - a `get` waits for the channel's pending saves, so a tab reads its own writes; `subscribe` answers at
 *   once with the current value, and the pending values follow as they commit;
 * - a failed save rejects that publish with `PersistenceError` and changes nothing else;
 * - `restore` offers are ignored: every value a tab saw was saved first, so the disk is never older.
 * Memory-only channels are served synchronously, as before, and never wait for a persisted one.
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
  private readonly limits: HubLimits;
  private readonly locks: LockManagerLike | null;
  private readonly store: ChannelStore<Connection>;
  private readonly connections = new Set<Connection>();
  private readonly owners = new Map<string, Connection>();
  private readonly startedAt = Date.now();
  private published = 0;
  private delivered = 0;
  /** True for a channel whose value is saved; undefined when nothing persists. */
  private readonly persists: ((channel: string) => boolean) | undefined;
  private readonly writes: WriteQueue | undefined;
  /** Messages that arrived while the stored values were loading; handled in order afterwards. */
  private backlog: Array<[Connection, unknown]> | undefined = undefined;
  /** Connections whose client announced that it understands the `cleared` push. */
  private readonly hearsCleared = new WeakSet<Connection>();

  /**
   * Settles once the persisted channels' stored values are loaded (at once when nothing persists).
   * Rejects with a `PersistenceError` when they could not be read; the hub then serves without them.
   */
  readonly ready: Promise<void>;

  constructor(options: HubOptions = {}) {
    this.limits = resolveLimits(options.limits);
    this.store = new ChannelStore(this.limits.maxChannels);
    this.locks =
      options.locks !== undefined
        ? options.locks
        : ((globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks ?? null);
    this.persists = createPersistFilter(options.persist);
    if (this.persists === undefined) {
      if (options.persistence !== undefined) {
        throw new TypeError(
          'startSharedWorker(): persistence is given but persist is not: say which channels persist (persist: true for all)',
        );
      }
      this.ready = Promise.resolve();
      return;
    }
    const persistence = options.persistence ?? createDefaultPersistence();
    this.writes = new WriteQueue(persistence);
    this.backlog = [];
    this.ready = this.load(persistence, this.writes);
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
    this.connections.add(connection);
    return connection;
  }

  /** Forgets a tab: its subscriptions end and its clientId is free again. Safe to call twice. */
  disconnect(connection: Connection): void {
    if (!this.connections.delete(connection)) return;
    connection.close();
    for (const name of connection.subscriptions) {
      const channel = this.store.get(name);
      if (channel) {
        channel.removeSubscriber(connection);
        this.store.release(channel);
      }
    }
    connection.subscriptions.clear();
    if (connection.clientId !== undefined && this.owners.get(connection.clientId) === connection) {
      this.owners.delete(connection.clientId);
    }
  }

  /**
   * Publishes from worker-side code, exactly as if a tab had: every subscriber gets the value. A bad
   * name or value throws at once, as in a tab.
   *
   * The returned Promise resolves once the value is published: at once for a memory channel; for a
   * persisted channel, once it is saved. If saving fails, nothing changes, the Promise rejects with
   * `PersistenceError` and the failure is logged with `console.error`. The Promise may be ignored: a
   * rejection is never reported as unhandled.
   */
  publish(channel: string, data: unknown): Promise<void> {
    this.checkChannelName(channel, 'publish');
    const json = this.checkPayload(toJson(data, 'publish'));
    if (!this.isPersisted(channel)) {
      this.commit(this.store.ensure(channel), json);
      return Promise.resolve();
    }
    const done = new Promise<void>((resolve, reject) => {
      this.save(channel, json, (error) => {
        if (error === undefined) return resolve();
        console.error(`[shared-channels] ${error.message}`);
        reject(error);
      });
    });
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
    return new Promise((resolve, reject) => {
      this.clearChannel(channel, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** The channel's current value, or `undefined` when it has none. */
  get(channel: string): unknown {
    const value = this.store.get(channel)?.value$.value;
    return value === undefined ? undefined : JSON.parse(value.json);
  }

  /** The channel's values seen from worker-side code: the current one (if any), then every update. */
  channel(name: string): Observable<unknown> {
    this.checkChannelName(name, 'channel');
    return new Observable<unknown>((subscriber) => {
      const channel = this.store.ensure(name);
      const subscription = channel.value$
        .pipe(
          filter((value): value is ChannelValue => value !== undefined),
          map((value) => JSON.parse(value.json) as unknown),
        )
        .subscribe(subscriber);
      return () => {
        subscription.unsubscribe();
        this.store.release(channel);
      };
    });
  }

  /** A snapshot for dashboards: tabs, channels, subscribers and counters. */
  stats(): HubStats {
    const channels = [];
    for (const channel of this.store.values()) {
      channels.push({
        channel: channel.name,
        subscribers: channel.subscriberCount,
        published: channel.published,
        lastPublished: channel.lastPublished,
      });
    }
    return {
      instanceId: this.instanceId,
      clients: this.connections.size,
      channels,
      published: this.published,
      delivered: this.delivered,
      uptime: Date.now() - this.startedAt,
    };
  }

  /** Called by a connection with each message its port received. Never throws. */
  receive(connection: Connection, raw: unknown): void {
    if (this.backlog) {
      this.backlog.push([connection, raw]);
      return;
    }
    if (typeof raw !== 'string') {
      this.reject(
        connection,
        new ProtocolError(`message must be a JSON string, got ${describe(raw)}`),
      );
      return;
    }
    // Refuse a huge message before parsing it: parsing is the expensive part of an attack. A batch may
    // carry several values, each checked on its own below, so the bound is generous.
    if (raw.length > this.limits.maxPayload * MESSAGE_PAYLOADS + 4096) {
      this.reject(
        connection,
        new LimitError(
          `payload limit exceeded: message of ${raw.length} characters (limits.maxPayload is ${this.limits.maxPayload})`,
        ),
      );
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(raw);
    } catch {
      this.reject(connection, new ProtocolError('message is not valid JSON'));
      return;
    }
    const requests = isBatch(message) ? message.messages : [message];
    if (!connection.spend(requests.length)) {
      const error = new LimitError(
        `request rate limit exceeded: more than ${this.limits.maxRequestsPerSecond} requests per second from this tab (limits.maxRequestsPerSecond)`,
      );
      for (const request of requests) {
        const { requestId, channel } = (
          typeof request === 'object' && request !== null ? request : {}
        ) as { requestId?: unknown; channel?: unknown };
        this.reject(
          connection,
          error,
          typeof requestId === 'number' || typeof requestId === 'string' ? requestId : undefined,
          typeof channel === 'string' ? channel : undefined,
        );
      }
      return;
    }
    for (const request of requests) {
      if (!this.connections.has(connection)) return; // it said bye: the rest of its batch goes unread
      this.receiveOne(connection, request);
    }
  }

  private receiveOne(connection: Connection, message: unknown): void {
    const request = parseRequest(message);
    if (isInvalidRequest(request)) {
      this.reject(
        connection,
        new ProtocolError(request.invalid),
        request.requestId,
        request.channel,
      );
      return;
    }
    const requestId = 'requestId' in request ? request.requestId : undefined;
    const channel = 'channel' in request ? request.channel : undefined;
    try {
      this.claim(connection, request.clientId);
      this.handle(connection, request);
    } catch (error) {
      this.reject(connection, error, requestId, channel);
    }
  }

  /** Binds a clientId to the first port that used it, so no tab can act for another. */
  private claim(connection: Connection, clientId: string): void {
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

  private handle(connection: Connection, request: Request): void {
    switch (request.type) {
      case 'hello':
        if (request.version !== PROTOCOL_VERSION) {
          throw new VersionMismatchError(
            `the hub speaks protocol version ${PROTOCOL_VERSION}, the tab speaks ${request.version}: ` +
              'serve the worker script under a URL named by version so each deploy gets its own worker',
          );
        }
        connection.acceptsBatch = request.features?.includes(FEATURE_BATCH) ?? false;
        if (request.features?.includes(FEATURE_CLEARED) === true) this.hearsCleared.add(connection);
        if (request.lock !== undefined) this.watch(connection, request.lock);
        connection.send(
          JSON.stringify({
            type: 'welcome',
            requestId: request.requestId,
            version: PROTOCOL_VERSION,
            instanceId: this.instanceId,
            features: [FEATURE_BATCH],
          }),
        );
        return;
      case 'bye':
        this.disconnect(connection);
        return;
      case 'ping':
        connection.send(
          JSON.stringify({
            type: 'pong',
            requestId: request.requestId,
            instanceId: this.instanceId,
          }),
        );
        return;
      case 'restore': {
        this.checkChannelName(request.channel, request.type);
        const json = this.checkPayload(JSON.stringify(request.data));
        const current = this.store.get(request.channel)?.value$.value;
        // Only offers compete with offers: a value published at this hub is newer than any of them. A
        // persisted channel takes none: every value a tab saw was saved first, so the disk is newer.
        if (
          !this.isPersisted(request.channel) &&
          (current === undefined || (current.restored === true && request.seq > current.seq))
        ) {
          const channel = this.store.ensure(request.channel);
          this.fanOut(channel, { json, seq: request.seq, restored: true });
        }
        connection.send(ack('restored', request.channel, request.requestId));
        return;
      }
      case 'stats':
        connection.send(
          JSON.stringify({ type: 'stats', requestId: request.requestId, data: this.stats() }),
        );
        return;
      case 'subscribe': {
        this.checkChannelName(request.channel, request.type);
        const channel = this.store.ensure(request.channel);
        if (!connection.subscriptions.has(request.channel)) {
          if (connection.subscriptions.size >= this.limits.maxSubscriptionsPerClient) {
            this.store.release(channel);
            throw new LimitError(
              `subscription limit reached: this tab has ${this.limits.maxSubscriptionsPerClient} subscriptions (limits.maxSubscriptionsPerClient)`,
            );
          }
          connection.subscriptions.add(request.channel);
          channel.addSubscriber(connection);
        }
        connection.send(ack('subscribed', request.channel, request.requestId));
        const value = channel.value$.value;
        if (value !== undefined) {
          this.delivered++;
          connection.send(dataMessage(channel.name, value));
        }
        return;
      }
      case 'unsubscribe': {
        const channel = this.store.get(request.channel);
        if (channel && connection.subscriptions.delete(request.channel)) {
          channel.removeSubscriber(connection);
          this.store.release(channel);
        }
        connection.send(ack('unsubscribed', request.channel, request.requestId));
        return;
      }
      case 'publish': {
        this.checkChannelName(request.channel, request.type);
        const json = this.checkPayload(JSON.stringify(request.data));
        const { channel, requestId } = request;
        if (this.isPersisted(channel)) {
          this.save(channel, json, (error) =>
            error
              ? this.reject(connection, error, requestId, channel)
              : connection.send(ack('published', channel, requestId)),
          );
          return;
        }
        this.commit(this.store.ensure(channel), json);
        connection.send(ack('published', channel, requestId));
        return;
      }
      case 'get': {
        const { channel, requestId } = request;
        const answer = (): void => {
          const value = this.store.get(channel)?.value$.value;
          connection.send(
            value === undefined
              ? `{"type":"data","channel":${JSON.stringify(channel)}${requestIdField(requestId)}}`
              : dataMessage(channel, value, requestId),
          );
        };
        // A tab reads its own writes: a get waits for the channel's pending saves.
        if (this.writes && this.isPersisted(channel)) this.writes.afterWrites(channel, answer);
        else answer();
        return;
      }
      case 'clear': {
        this.checkChannelName(request.channel, request.type);
        const { channel, requestId } = request;
        this.clearChannel(channel, (error) =>
          error
            ? this.reject(connection, error, requestId, channel)
            : connection.send(ack('cleared', channel, requestId)),
        );
        return;
      }
      default: {
        const unknown: never = request;
        throw new ProtocolError(`unknown message type ${describe(unknown)}`);
      }
    }
  }

  private isPersisted(channel: string): boolean {
    return this.persists?.(channel) ?? false;
  }

  /**
   * Saves a persisted channel's new value, then publishes it; `done` runs after, with the error when the
   * save failed (nothing changed then). The channel is made first, so that a full hub refuses the
   * publish with `LimitError` before anything is written.
   */
  private save(
    name: string,
    json: string,
    done: (error: PersistenceError | undefined) => void,
  ): void {
    this.store.ensure(name);
    this.writes!.write(name, json, (error) => {
      if (error !== undefined) {
        const channel = this.store.get(name);
        if (channel) this.store.release(channel);
        done(saveFailed('publish', name, error));
        return;
      }
      // The channel may have been let go meanwhile: made first, it had no value to keep it.
      this.commit(this.store.get(name) ?? this.store.ensure(name), json);
      done(undefined);
    });
  }

  /** Deletes a channel's value: on disk first when it persists, then in memory, telling subscribers. */
  private clearChannel(name: string, done: (error: PersistenceError | undefined) => void): void {
    if (!this.writes || !this.isPersisted(name)) {
      this.forget(name);
      done(undefined);
      return;
    }
    this.writes.write(name, null, (error) => {
      if (error !== undefined) {
        done(saveFailed('clear', name, error));
        return;
      }
      this.forget(name);
      done(undefined);
    });
  }

  /** Drops a channel's value in memory and pushes `cleared` to the subscribers that understand it. */
  private forget(name: string): void {
    const channel = this.store.get(name);
    if (channel?.value$.value === undefined) return;
    const message = `{"type":"cleared","channel":${JSON.stringify(name)}}`;
    for (const subscriber of channel.subscribers ?? []) {
      if (this.hearsCleared.has(subscriber)) subscriber.send(message);
    }
    channel.value$.next(undefined);
    this.store.release(channel);
  }

  /**
   * Reads the stored values into their channels, then lets writes begin and handles what waited. A value
   * the hub cannot serve (its JSON no longer parses, it breaks a limit) is skipped with a warning.
   */
  private async load(persistence: Persistence, writes: WriteQueue): Promise<void> {
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
    for (const [name, json] of stored) {
      try {
        // A channel stored under another persist setting stays on disk, unserved.
        if (!this.isPersisted(name)) continue;
        this.checkChannelName(name, 'load');
        this.checkPayload(json);
        JSON.parse(json);
        this.store.ensure(name).value$.next({ json, seq: 1 });
      } catch (error) {
        console.warn(
          `[shared-channels] skipped the stored value of channel ${JSON.stringify(name)}: ${describeError(error)}`,
        );
      }
    }
    writes.start();
    const backlog = this.backlog ?? [];
    this.backlog = undefined;
    for (const [connection, raw] of backlog) {
      if (this.connections.has(connection)) this.receive(connection, raw);
    }
    if (failure) throw failure;
  }

  /** Accepts a published value: the next sequence number, the counters, and the fan-out. */
  private commit(channel: Channel<Connection>, json: string): void {
    channel.published++;
    channel.lastPublished = Date.now();
    this.published++;
    this.fanOut(channel, { json, seq: (channel.value$.value?.seq ?? 0) + 1 });
  }

  /**
   * Stores a value and pushes it, serialised once, to every subscriber (in the order they came). Tabs are
   * sent the value before worker-side observers see it: an observer that publishes in reply must not
   * overtake the value it replies to.
   */
  private fanOut(channel: Channel<Connection>, value: ChannelValue): void {
    const subscribers = channel.subscribers;
    if (subscribers !== undefined && subscribers.length > 0) {
      const message = dataMessage(channel.name, value);
      for (const subscriber of subscribers) subscriber.send(message);
      this.delivered += subscribers.length;
    }
    channel.value$.next(value);
  }

  /**
   * Waits for the tab's liveness lock: the browser grants it when the tab's context is gone, however it
   * went (closed, navigated, crashed, discarded), which no MessagePort event reports.
   */
  private watch(connection: Connection, lock: string): void {
    if (!this.locks) return;
    this.locks
      .request(lock, () => this.disconnect(connection))
      .catch(() => {
        // The lock manager refused (a context being torn down): the tab is then dropped by its goodbye.
      });
  }

  private checkPayload(json: string): string {
    if (json.length > this.limits.maxPayload) {
      throw new LimitError(
        `payload limit exceeded: ${json.length} characters of JSON (limits.maxPayload is ${this.limits.maxPayload})`,
      );
    }
    return json;
  }

  private checkChannelName(name: unknown, call: string): asserts name is string {
    if (typeof name !== 'string' || name === '') {
      throw new TypeError(`${call}(): channel must be a non-empty string, got ${describe(name)}`);
    }
    if (name.length > this.limits.maxChannelName) {
      throw new LimitError(
        `channel name limit exceeded: ${name.length} characters (limits.maxChannelName is ${this.limits.maxChannelName})`,
      );
    }
  }

  /** Answers a request the hub could not serve, on its own port only. */
  private reject(
    connection: Connection,
    error: unknown,
    requestId?: number | string,
    channel?: string,
  ): void {
    const { name, message } = toWire(error);
    connection.send(JSON.stringify({ type: 'error', error: message, name, channel, requestId }));
  }
}

/** `Name: message`, for warnings and wrapped errors. */
function describeError(error: unknown): string {
  const { name, message } = toWire(error);
  return `${name}: ${message}`;
}

function saveFailed(call: 'publish' | 'clear', channel: string, error: unknown): PersistenceError {
  const reason = error instanceof PersistenceError ? error.message : describeError(error);
  return new PersistenceError(
    `${call}(${JSON.stringify(channel)}): not saved, so nothing changed: ${reason}`,
    { cause: error },
  );
}

function ack(
  type: AckResponse['type'] | 'cleared',
  channel: string,
  requestId: number | string,
): string {
  return `{"type":"${type}","channel":${JSON.stringify(channel)}${requestIdField(requestId)}}`;
}

function isBatch(message: unknown): message is { type: 'batch'; messages: unknown[] } {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { type?: unknown }).type === 'batch' &&
    Array.isArray((message as { messages?: unknown }).messages)
  );
}
