import { Observable, filter, map } from 'rxjs';
import { toJson } from '../json.js';
import { LimitError, ProtocolError, VersionMismatchError, toWire } from '../errors.js';
import {
  FEATURE_BATCH,
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

/**
 * The hub: every channel's latest value, every tab's subscriptions, and the fan-out of each publish.
 *
 * It knows nothing of SharedWorker: give it ports with {@link Hub.connect}. One hub handles messages one
 * at a time in arrival order, so every tab sees the values of a channel in the same order. A bad message
 * gets an `error` reply on its own port and changes nothing; the hub never throws at a port.
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

  constructor(options: HubOptions = {}) {
    this.limits = resolveLimits(options.limits);
    this.store = new ChannelStore(this.limits.maxChannels);
    this.locks =
      options.locks !== undefined
        ? options.locks
        : ((globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks ?? null);
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

  /** Publishes from worker-side code, exactly as if a tab had: every subscriber gets the value. */
  publish(channel: string, data: unknown): void {
    this.checkChannelName(channel, 'publish');
    const json = this.checkPayload(toJson(data, 'publish'));
    this.commit(this.store.ensure(channel), json);
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
        // Only offers compete with offers: a value published at this hub is newer than any of them.
        if (current === undefined || (current.restored === true && request.seq > current.seq)) {
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
        this.commit(this.store.ensure(request.channel), json);
        connection.send(ack('published', request.channel, request.requestId));
        return;
      }
      case 'get': {
        const value = this.store.get(request.channel)?.value$.value;
        connection.send(
          value === undefined
            ? `{"type":"data","channel":${JSON.stringify(request.channel)}${requestIdField(request.requestId)}}`
            : dataMessage(request.channel, value, request.requestId),
        );
        return;
      }
      default: {
        const unknown: never = request;
        throw new ProtocolError(`unknown message type ${describe(unknown)}`);
      }
    }
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

function ack(type: AckResponse['type'], channel: string, requestId: number | string): string {
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
