import {
  BehaviorSubject,
  Observable,
  Subject,
  distinctUntilChanged,
  type Observer,
  type Subscriber,
} from 'rxjs';
import {
  DisconnectedError,
  LimitError,
  TimeoutError,
  VersionMismatchError,
  fromWire,
} from '../errors.js';
import { toJson } from '../json.js';
import {
  FEATURE_BATCH,
  FEATURE_CLEARED,
  PROTOCOL_VERSION,
  describe,
  parseResponse,
  type HubStats,
  type Response,
  type WelcomeResponse,
} from '../protocol.js';
import { HubLink, type TabLockManager } from './hub-link.js';
import {
  createTransport,
  type Transport,
  type TransportMode,
  type WorkerSource,
} from './open-endpoint.js';
import { PendingRequests } from './pending-requests.js';

/**
 * Channel names and their value types, e.g. `{ prices: Prices; note: string }`. Without one, every
 * channel carries `any`, so untyped code reads values without casts.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ChannelMap = Record<string, any>;

/** What the client is doing with its hub. */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Options of {@link SharedWorkerClient}. */
export interface ClientOptions {
  /** How long a request waits for the hub's reply before it rejects with `TimeoutError` (ms). Default 10,000. */
  timeout?: number;
  /**
   * The worker's name, when the worker is given as a URL (`new SharedWorker(url, { name })`). In elected
   * mode, it separates hubs of one origin as a worker's name does.
   */
  name?: string;
  /** Largest value `publish` sends, in characters of JSON; checked before sending. Default 1 MiB. */
  maxPayload?: number;
  /**
   * After this many ms without a word from the hub, the client pings it, and reconnects to a fresh worker
   * when the ping gets no answer within as long again. Default 1,000; `0` turns the heartbeat off.
   */
  heartbeat?: number;
  /**
   * Forces how the client reaches its hub. By default a SharedWorker; where SharedWorker is missing or
   * refuses to be made, a hub run by one tab the tabs elect (`'elected'`, over Web Locks and
   * BroadcastChannel); where those are missing too, a hub in this tab alone (`'local'`).
   */
  transport?: TransportMode;
}

/** Options of `channel()`. */
export interface ChannelOptions {
  /** Deliver only the newest of the values that arrive together. Default false: every value. */
  conflate?: boolean;
}

/** Options of one request. */
export interface RequestOptions {
  /** Overrides the client's `timeout` for this call (ms). */
  timeout?: number;
}

const DEFAULT_TIMEOUT = 10_000;
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
const DEFAULT_HEARTBEAT = 1_000;
/** Waits between attempts to reach a new worker: quick at first, then no faster than every 5 s. */
const RECONNECT_DELAYS = [0, 250, 1_000, 2_500, 5_000];

type RequestType = 'subscribe' | 'unsubscribe' | 'publish' | 'get' | 'stats' | 'restore' | 'clear';

/** One channel this tab subscribes to: its local subscribers share one subscription on the wire. */
class RemoteChannel {
  readonly values$ = new Subject<unknown>();
  subscribers = 0;
  /** True once the hub confirmed the subscription; values pushed before that belong to an older one. */
  live = false;
  hasValue = false;
  value: unknown = undefined;
  /** The hub's sequence number of `value`; older or repeated pushes are dropped. */
  seq = 0;
  /**
   * After a reconnect, the value this tab already showed, as JSON: the hub's first push repeats it when
   * nothing changed, and a repeat is not news to the subscribers.
   */
  resync: string | undefined = undefined;
}

function checkChannel(name: unknown, call: string): asserts name is string {
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(`${call}(): channel must be a non-empty string, got ${describe(name)}`);
  }
}

function checkTimeout(timeout: unknown, call: string): asserts timeout is number | undefined {
  if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout > 0))) {
    throw new TypeError(
      `${call}(): timeout must be a positive number of ms, got ${describe(timeout)}`,
    );
  }
}

const ignore = (): void => undefined;

/**
 * Wraps a subscriber so that values arriving within one task reach it as one, the newest, at the end of
 * that task. Completion and errors wait for that last value, so nothing newer is ever dropped.
 */
function conflating<T>(subscriber: Subscriber<T>): Observer<T> {
  let latest: T;
  let queued = false;
  const deliver = (): void => {
    if (!queued) return;
    queued = false;
    subscriber.next(latest);
  };
  return {
    next(value) {
      latest = value;
      if (!queued) {
        queued = true;
        queueMicrotask(deliver);
      }
    },
    error(error: unknown) {
      deliver();
      subscriber.error(error);
    },
    complete() {
      deliver();
      subscriber.complete();
    },
  };
}

/**
 * A tab's connection to the hub: live channels as Observables, and publish/get as Promises.
 *
 * ```ts
 * const client = new SharedWorkerClient<{ prices: Prices }>(
 *   () => new SharedWorker(new URL('./channels.worker.ts', import.meta.url), { name: 'channels' }),
 * );
 * client.channel('prices').subscribe((prices) => render(prices));
 * await client.publish('prices', { BTC: 45000 });
 * ```
 */
export class SharedWorkerClient<Channels extends ChannelMap = ChannelMap> {
  private readonly state$ = new BehaviorSubject<ConnectionState>('connecting');
  /**
   * Where the connection stands, the current state first: `'connecting'`, `'open'`, `'reconnecting'`
   * while a dead hub is replaced, and `'closed'` after `disconnect()` or a version mismatch.
   */
  readonly connectionState$: Observable<ConnectionState> = this.state$.pipe(distinctUntilChanged());
  /**
   * How this client reaches its hub: `'shared-worker'`, `'elected'` (a hub in the tab the tabs elected)
   * or `'local'` (a hub in this tab alone). See `ClientOptions.transport`.
   */
  readonly transport: TransportMode;

  private readonly timeout: number;
  private readonly maxPayload: number;
  private readonly heartbeat: number;
  private readonly locks: TabLockManager | undefined;
  private readonly hubTransport: Transport;
  private readonly pending = new PendingRequests();
  private readonly channels = new Map<string, RemoteChannel>();
  private link!: HubLink;
  /** The instanceId of the last hub that welcomed this client: a new one after a reconnect means lost state. */
  private hubInstanceId: string | undefined = undefined;
  private nextRequestId = 1;
  private outbox: string[] = [];
  private flushQueued = false;
  private lastHeard = Date.now();
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined = undefined;
  private pingId: number | undefined = undefined;
  private reconnectAttempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  private closedBy: DisconnectedError | VersionMismatchError | undefined = undefined;
  private readonly onPageHide = (event: Event): void => {
    // A page kept in the back/forward cache may come back; only a page that is really going says bye.
    if (!(event as Event & { persisted?: boolean }).persisted) this.disconnect();
  };

  /**
   * @param worker the hub's worker: a factory that makes it (recommended: bundlers understand it, and
   *   the client can make a fresh worker if this one dies), a `SharedWorker`, or the worker script's URL.
   */
  constructor(worker: WorkerSource, options: ClientOptions = {}) {
    checkTimeout(options.timeout, 'SharedWorkerClient');
    this.timeout = options.timeout ?? DEFAULT_TIMEOUT;
    this.maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
    this.heartbeat = options.heartbeat ?? DEFAULT_HEARTBEAT;
    this.locks = (globalThis as { navigator?: { locks?: TabLockManager } }).navigator?.locks;
    this.hubTransport = createTransport(worker, options);
    this.transport = this.hubTransport.mode;
    this.openLink();
    globalThis.addEventListener?.('pagehide', this.onPageHide);
  }

  /** This tab's id on the wire; a new one after the client reconnected to a fresh worker. */
  get clientId(): string {
    return this.link.clientId;
  }

  /**
   * The channel's values: the current one on subscribe (if the channel has one), then every update, in
   * the hub's order. Cold and lazy: the first subscriber in this tab subscribes on the wire, the last one
   * to leave unsubscribes. Completes on `unsubscribe(name)` and `disconnect()`.
   *
   * With `{ conflate: true }`, values that arrive together (in one message from the hub) reach this
   * subscriber as one: the newest. For market data or cursors, where only the latest value matters.
   */
  channel<K extends keyof Channels & string>(
    name: K,
    options: ChannelOptions = {},
  ): Observable<Channels[K]> {
    this.throwIfClosed('channel');
    checkChannel(name, 'channel');
    return new Observable<Channels[K]>((subscriber) => {
      const observer = options.conflate === true ? conflating(subscriber) : subscriber;
      return this.attach(name, observer as Observer<unknown>);
    });
  }

  /**
   * Calls `callback` with the channel's current value and every update; returns the function that stops.
   */
  subscribe<K extends keyof Channels & string>(
    name: K,
    callback: (value: Channels[K]) => void,
  ): () => void {
    this.throwIfClosed('subscribe');
    checkChannel(name, 'subscribe');
    if (typeof callback !== 'function') {
      throw new TypeError(`subscribe(): callback must be a function, got ${describe(callback)}`);
    }
    const subscription = this.channel(name).subscribe(callback);
    return () => subscription.unsubscribe();
  }

  /**
   * Publishes a value to every subscriber of the channel, in every tab. Resolves when the hub accepted it.
   * The Promise may be ignored: the value is sent all the same, and a rejection is never reported as
   * unhandled.
   */
  publish<K extends keyof Channels & string>(
    name: K,
    data: Channels[K],
    options: RequestOptions = {},
  ): Promise<void> {
    this.throwIfClosed('publish');
    checkChannel(name, 'publish');
    checkTimeout(options.timeout, 'publish');
    const json = toJson(data, 'publish');
    const label = `publish(${JSON.stringify(name)})`;
    if (json.length > this.maxPayload) {
      const error = new LimitError(
        `${label}: payload limit exceeded: ${json.length} characters of JSON (maxPayload is ${this.maxPayload})`,
      );
      return Promise.reject(error);
    }
    const done = this.request('publish', name, options.timeout, `,"data":${json}`).then(ignore);
    done.catch(ignore);
    return done;
  }

  /** The channel's current value, or `undefined` when it has none. */
  get<K extends keyof Channels & string>(
    name: K,
    options: RequestOptions = {},
  ): Promise<Channels[K] | undefined> {
    this.throwIfClosed('get');
    checkChannel(name, 'get');
    checkTimeout(options.timeout, 'get');
    return this.request('get', name, options.timeout).then(
      (response) =>
        (response.type === 'data' ? response.data : undefined) as Channels[K] | undefined,
    );
  }

  /**
   * Deletes the channel's value in the hub, and on disk when the channel persists. Resolves once done;
   * rejects with `PersistenceError` when the stored value could not be deleted (nothing changed then).
   * Like `publish`, the Promise may be ignored.
   *
   * Subscribers are told, and their Observables emit nothing and stay open: the channel has no value
   * until the next publish, which they receive as usual. `get` resolves `undefined` meanwhile, and a new
   * subscriber gets no value first.
   */
  clear<K extends keyof Channels & string>(name: K, options: RequestOptions = {}): Promise<void> {
    this.throwIfClosed('clear');
    checkChannel(name, 'clear');
    checkTimeout(options.timeout, 'clear');
    const done = this.request('clear', name, options.timeout).then(ignore);
    done.catch(ignore);
    return done;
  }

  /** Ends every subscription of the channel in this tab: their Observables complete. */
  unsubscribe<K extends keyof Channels & string>(name: K): void {
    this.throwIfClosed('unsubscribe');
    checkChannel(name, 'unsubscribe');
    this.channels.get(name)?.values$.complete();
  }

  /** A snapshot of the hub: connected tabs, channels, subscribers and counters. */
  stats(options: RequestOptions = {}): Promise<HubStats> {
    this.throwIfClosed('stats');
    checkTimeout(options.timeout, 'stats');
    return this.request('stats', undefined, options.timeout).then(
      (response) => (response as Extract<Response, { type: 'stats' }>).data,
    );
  }

  /**
   * Leaves the hub: every channel Observable completes, every pending request rejects with
   * `DisconnectedError`, the hub forgets this tab at once, and the port closes. Later calls throw
   * `DisconnectedError`; calling `disconnect()` again does nothing.
   */
  disconnect(): void {
    if (this.closedBy) return;
    this.close(new DisconnectedError('the client is disconnected'));
  }

  private close(reason: DisconnectedError | VersionMismatchError): void {
    this.closedBy = reason;
    globalThis.removeEventListener?.('pagehide', this.onPageHide);
    this.stopHeartbeat();
    clearTimeout(this.reconnectTimer);
    for (const channel of [...this.channels.values()]) channel.values$.complete();
    this.channels.clear();
    this.pending.failAll((label) =>
      reason instanceof VersionMismatchError
        ? new VersionMismatchError(`${label}: ${reason.message}`)
        : new DisconnectedError(`${label} was cancelled: the client disconnected`),
    );
    // What this tab already queued still goes, so a publish right before disconnect() is not lost.
    this.flush();
    this.link.close();
    this.hubTransport.close();
    this.state$.next('closed');
  }

  private throwIfClosed(call: string): void {
    if (this.closedBy instanceof VersionMismatchError) {
      throw new VersionMismatchError(`${call}(): ${this.closedBy.message}`);
    }
    if (this.closedBy) throw new DisconnectedError(`${call}(): the client is disconnected`);
  }

  /** One local subscriber of a channel; returns its teardown. */
  private attach(name: string, subscriber: Observer<unknown>): () => void {
    if (this.closedBy) {
      subscriber.complete();
      return ignore;
    }
    let channel = this.channels.get(name);
    if (!channel) {
      channel = new RemoteChannel();
      this.channels.set(name, channel);
      this.subscribeOnWire(name, channel);
    }
    channel.subscribers++;
    if (channel.live && channel.hasValue) subscriber.next(channel.value);
    const subscription = channel.values$.subscribe(subscriber);
    const attached = channel;
    return () => {
      subscription.unsubscribe();
      this.detach(name, attached);
    };
  }

  private detach(name: string, channel: RemoteChannel): void {
    channel.subscribers--;
    if (channel.subscribers > 0 || this.channels.get(name) !== channel) return;
    this.channels.delete(name);
    if (!this.closedBy) this.request('unsubscribe', name, undefined).catch(ignore);
  }

  private subscribeOnWire(name: string, channel: RemoteChannel): void {
    this.request('subscribe', name, undefined, '', () => {
      channel.live = true;
    }).catch((error: unknown) => {
      if (this.channels.get(name) === channel) this.channels.delete(name);
      channel.values$.error(error);
    });
  }

  /**
   * Sends one request and waits for its reply. `onReply` runs synchronously when the reply arrives,
   * before the port's next message is read: a subscription must be live before the value that follows
   * its `subscribed` reply.
   */
  private request(
    type: RequestType,
    channel: string | undefined,
    timeout: number | undefined,
    extra = '',
    onReply?: () => void,
  ): Promise<Response> {
    const requestId = this.nextRequestId++;
    const wait = timeout ?? this.timeout;
    const label = channel === undefined ? `${type}()` : `${type}(${JSON.stringify(channel)})`;
    const channelField = channel === undefined ? '' : `,"channel":${JSON.stringify(channel)}`;
    const body = `${channelField},"requestId":${requestId}${extra}`;
    return new Promise<Response>((resolve, reject) => {
      this.pending.add(requestId, {
        label,
        resend: { type, body },
        timeout: wait,
        deadline: Date.now() + wait,
        settle: (response) => {
          onReply?.();
          resolve(response);
        },
        fail: reject,
      });
      this.transmit(type, body);
    });
  }

  /** Queues a request for the current hub; while reconnecting it waits in `pending` for the new one. */
  private transmit(type: string, body: string): void {
    if (this.state$.value === 'reconnecting') return;
    this.outbox.push(`{"type":"${type}","clientId":${this.link.clientIdJson}${body}}`);
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flush);
    }
  }

  /** Everything queued in this task leaves as one message when the hub understands batches. */
  private readonly flush = (): void => {
    this.flushQueued = false;
    const messages = this.outbox;
    if (messages.length === 0) return;
    this.outbox = [];
    if (messages.length === 1 || !this.link.acceptsBatch) {
      for (const message of messages) this.link.post(message);
    } else {
      this.link.post(`{"type":"batch","messages":[${messages.join(',')}]}`);
    }
  };

  /** Opens a port to the hub, and greets it once this tab holds its liveness lock. */
  private openLink(): void {
    const link: HubLink = new HubLink(this.hubTransport.open(), {
      message: (raw) => {
        if (link === this.link) this.receive(raw);
      },
      failed: () => {
        if (link === this.link) this.reconnect();
      },
    });
    this.link = link;
    link.holdLock(this.locks, (lock) => {
      if (link === this.link && !this.closedBy) this.hello(link, lock);
    });
  }

  private hello(link: HubLink, lock: string | undefined): void {
    const requestId = this.nextRequestId++;
    // Replacing a dead hub, the client waits for a welcome no longer than for a ping's answer: should a
    // browser hand out a worker that never answers (none of the three engines tested does, but a worker
    // can die again while it starts), the next attempt gets a fresh one instead of waiting a full timeout.
    const reconnecting = this.state$.value === 'reconnecting' && this.heartbeat > 0;
    const timeout = reconnecting ? 2 * this.heartbeat : this.timeout;
    this.pending.add(requestId, {
      label: 'connect',
      timeout,
      deadline: Date.now() + timeout,
      settle: (response) => {
        if (response.type === 'welcome') this.opened(link, response);
      },
      fail: (error) => {
        if (link !== this.link || this.closedBy) return;
        if (error instanceof VersionMismatchError) this.close(error);
        else if (error instanceof TimeoutError && this.state$.value === 'reconnecting')
          this.relink();
        else if (error instanceof TimeoutError) this.reconnect();
        // A hub that predates the handshake answers "unknown message type": it is served as it is.
        else this.state$.next('open');
      },
    });
    link.post(
      JSON.stringify({
        type: 'hello',
        clientId: link.clientId,
        requestId,
        version: PROTOCOL_VERSION,
        features: [FEATURE_BATCH, FEATURE_CLEARED],
        ...(lock === undefined ? {} : { lock }),
      }),
    );
  }

  /** The hub welcomed this link. After a reconnect, puts back everything the old hub knew of this tab. */
  private opened(link: HubLink, welcome: WelcomeResponse): void {
    if (link !== this.link) return;
    link.acceptsBatch = welcome.features.includes(FEATURE_BATCH);
    link.instanceId = welcome.instanceId;
    const reconnected = this.state$.value === 'reconnecting';
    const restarted = reconnected && welcome.instanceId !== this.hubInstanceId;
    this.hubInstanceId = welcome.instanceId;
    this.reconnectAttempt = 0;
    this.state$.next('open');
    this.startHeartbeat();
    if (!reconnected) return;
    // Requests that were in flight or asked for while reconnecting, taken before the restores join them.
    const resend = this.pending.resendable();
    // The new hub started empty: first offer it the newest value this tab saw on each channel (the
    // highest offer wins), so that a `get` sent again below finds the value that was there before.
    for (const [name, channel] of this.channels) {
      if (!channel.live || !channel.hasValue) continue;
      const json = JSON.stringify(channel.value);
      channel.resync = json;
      if (restarted && channel.seq > 0) {
        this.request('restore', name, undefined, `,"data":${json},"seq":${channel.seq}`).catch(
          ignore,
        );
      }
    }
    for (const { type, body } of resend) this.transmit(type, body); // oldest first
    for (const [name, channel] of this.channels) {
      if (!channel.live) continue; // its subscribe request is among those just sent again
      channel.live = false;
      channel.seq = 0;
      this.subscribeOnWire(name, channel);
    }
  }

  /** The hub is gone (no heartbeat answer, a worker error): make a fresh worker and start over. */
  private reconnect(): void {
    if (this.closedBy || this.state$.value === 'reconnecting') return;
    if (!this.hubTransport.canReopen) {
      this.close(
        new DisconnectedError(
          'the hub stopped answering, and a SharedWorker given as an object cannot be made again: pass a factory or a URL',
        ),
      );
      return;
    }
    this.state$.next('reconnecting');
    this.relink();
  }

  private relink(): void {
    this.stopHeartbeat();
    this.outbox = [];
    if (this.pingId !== undefined) this.pending.cancel(this.pingId);
    this.pingId = undefined;
    this.link.close();
    const delay = RECONNECT_DELAYS[Math.min(this.reconnectAttempt, RECONNECT_DELAYS.length - 1)];
    this.reconnectAttempt++;
    this.reconnectTimer = setTimeout(() => {
      if (this.closedBy) return;
      try {
        this.openLink();
      } catch {
        this.relink();
      }
    }, delay);
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    if (this.heartbeat <= 0) return;
    this.lastHeard = Date.now();
    this.heartbeatTimer = setInterval(this.beat, this.heartbeat / 2);
  }

  private stopHeartbeat(): void {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  /** Pings a hub that has been silent; a ping with no answer means the hub is gone. */
  private readonly beat = (): void => {
    if (this.pingId !== undefined || Date.now() - this.lastHeard < this.heartbeat) return;
    const requestId = this.nextRequestId++;
    const link = this.link;
    this.pingId = requestId;
    this.pending.add(requestId, {
      label: 'ping()',
      timeout: this.heartbeat,
      deadline: Date.now() + this.heartbeat,
      settle: () => {
        this.pingId = undefined;
      },
      fail: () => {
        this.pingId = undefined;
        if (link === this.link) this.reconnect();
      },
    });
    link.post(`{"type":"ping","clientId":${link.clientIdJson},"requestId":${requestId}}`);
  };

  private receive(raw: unknown): void {
    this.lastHeard = Date.now();
    if (typeof raw !== 'string') return;
    let message: unknown;
    try {
      message = JSON.parse(raw);
    } catch {
      return;
    }
    const response = parseResponse(message);
    if (!response) return;
    if (response.type === 'batch') {
      for (const item of response.messages) {
        const inner = parseResponse(item);
        if (inner && inner.type !== 'batch') this.handle(inner);
      }
    } else {
      this.handle(response);
    }
  }

  private handle(response: Exclude<Response, { type: 'batch' }>): void {
    switch (response.type) {
      case 'data':
        if (response.requestId === undefined)
          this.push(response.channel, response.data, response.seq);
        else this.pending.settle(Number(response.requestId), response);
        return;
      case 'error':
        if (response.requestId !== undefined) {
          this.pending.fail(Number(response.requestId), fromWire(response.name, response.error));
        }
        return;
      case 'cleared':
        if (response.requestId === undefined) this.forget(response.channel);
        else this.pending.settle(Number(response.requestId), response);
        return;
      case 'subscribed':
      case 'unsubscribed':
      case 'published':
      case 'restored':
      case 'stats':
      case 'welcome':
      case 'pong':
        this.pending.settle(Number(response.requestId), response);
        return;
      default: {
        const unknown: never = response;
        return unknown;
      }
    }
  }

  /** A value the hub pushed for a channel this tab subscribes to. */
  private push(name: string, data: unknown, seq: number | undefined): void {
    const channel = this.channels.get(name);
    if (!channel?.live) return;
    if (seq !== undefined) {
      if (seq <= channel.seq) return;
      channel.seq = seq;
    }
    if (channel.resync !== undefined) {
      const repeated = channel.resync === JSON.stringify(data);
      channel.resync = undefined;
      if (repeated) return;
    }
    channel.hasValue = true;
    channel.value = data;
    channel.values$.next(data);
  }

  /** The hub cleared a channel this tab subscribes to: no value until the next publish. */
  private forget(name: string): void {
    const channel = this.channels.get(name);
    if (!channel?.live) return;
    channel.hasValue = false;
    channel.value = undefined;
    channel.resync = undefined;
    // The hub numbers the channel's next value from 1 again.
    channel.seq = 0;
  }
}
