import { Observable, distinctUntilChanged, type Observer, type Subscriber } from 'rxjs';
import {
  DisconnectedError,
  LimitError,
  VersionMismatchError,
  WorkerStartError,
} from '../errors.js';
import { toJson } from '../json.js';
import { checkChannel, describeValue, type HubStats, type Response } from '../protocol.js';
import { HubSession, type ConnectionState, type EndReason } from './hub-session.js';
import type { DedicatedWorkerLike, LockManagerLike, TransportMode } from '../transport.js';
import { createTransport } from './create-transport.js';
import { RemoteChannel } from './remote-channel.js';
import type { WorkerSource } from './shared-worker-transport.js';

/**
 * Channel names and their value types, e.g. `{ prices: Prices; note: string }`. Without one, every
 * channel carries `any`, so untyped code reads values without casts.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ChannelMap = Record<string, any>;

export type { ConnectionState } from './hub-session.js';

/** Options of {@link SharedWorkerClient}. */
export interface ClientOptions {
  /** How long a request waits for the hub's reply before it rejects with `TimeoutError` (ms). Default 10,000. */
  timeout?: number | undefined;
  /**
   * The worker's name, when the worker is given as a URL (`new SharedWorker(url, { name })`). In elected
   * mode, it separates hubs of one origin as a worker's name does.
   */
  name?: string | undefined;
  /** Largest value `publish` sends, in characters of JSON; checked before sending. Default 1 MiB. */
  maxPayload?: number | undefined;
  /**
   * The liveness window (ms), for a hub that holds no life lock (a hub without Web Locks): after this
   * long without a word the client pings it, and reconnects to a fresh worker when the ping gets no
   * answer within as long again; a hub that does not answer the handshake within it is replaced too.
   * Where the hub holds its life lock (every browser with Web Locks), the client learns of the hub's
   * death from the lock instead, and never takes a busy hub for dead. Default 5,000; `0` turns pings off.
   */
  heartbeat?: number | undefined;
  /**
   * Forces how the client reaches its hub. By default a SharedWorker; where SharedWorker is missing or
   * refuses to be made, a hub run by one tab the tabs elect (`'elected'`, over Web Locks and
   * BroadcastChannel); where those are missing too, a hub in this tab alone (`'local'`).
   */
  transport?: TransportMode | undefined;
  /**
   * Where SharedWorker is missing (Chrome for Android before 148, Android WebView, Samsung Internet), the
   * tab the tabs elect runs the hub in a dedicated Worker made by this factory, from the same worker file,
   * so that its own code (`startSharedWorker()` and what it sets up: a WebSocket, `hub.publish()`) runs
   * in every mode: `() => new Worker(new URL('./channels.worker.ts', import.meta.url), { name:
   * 'channels', type: 'module' })`. For a worker given as a URL, the default is that URL as a dedicated
   * Worker; without either, the elected tab runs the hub in its page, and the worker file does not run.
   */
  fallbackWorker?: (() => DedicatedWorkerLike) | undefined;
}

/** Options of `channel()`. */
export interface ChannelOptions {
  /** Deliver only the newest of the values that arrive together. Default false: every value. */
  conflate?: boolean | undefined;
}

/** Options of one request. */
export interface RequestOptions {
  /** Overrides the client's `timeout` for this call (ms). */
  timeout?: number | undefined;
}

const DEFAULT_TIMEOUT = 10_000;
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
const DEFAULT_HEARTBEAT = 5_000;

function checkTimeout(timeout: unknown, call: string): asserts timeout is number | undefined {
  if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout > 0))) {
    throw new TypeError(
      `${call}(): timeout must be a positive number of ms, got ${describeValue(timeout)}`,
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
  /**
   * Where the connection stands, the current state first: `'connecting'`, `'open'`, `'reconnecting'`
   * while a lost hub is replaced, `'closed'` after `disconnect()` or a version mismatch, and `'failed'`
   * when the worker's script could not start (see {@link WorkerStartError}).
   */
  readonly connectionState$: Observable<ConnectionState>;
  /**
   * How this client reaches its hub: `'shared-worker'`, `'elected'` (a hub in the tab the tabs elected)
   * or `'local'` (a hub in this tab alone). See `ClientOptions.transport`.
   */
  readonly transport: TransportMode;

  private readonly maxPayload: number;
  private readonly session: HubSession;
  private readonly channels = new Map<string, RemoteChannel>();
  private closedBy: EndReason | undefined = undefined;
  private readonly onPageHide = (event: Event): void => {
    // A page kept in the back/forward cache may come back; only a page that is really going says bye.
    if (!(event as Event & { persisted?: boolean }).persisted) this.close(GOING, false);
  };

  /**
   * @param worker the hub's worker: a factory that makes it (recommended: bundlers understand it, and
   *   the client can make a fresh worker if this one dies), a `SharedWorker`, or the worker script's URL.
   */
  constructor(worker: WorkerSource, options: ClientOptions = {}) {
    checkTimeout(options.timeout, 'SharedWorkerClient');
    this.maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
    const hubTransport = createTransport(worker, options);
    this.transport = hubTransport.mode;
    this.session = new HubSession(
      hubTransport,
      {
        push: (channel, data, seq, epoch) => this.channels.get(channel)?.push(data, seq, epoch),
        cleared: (channel, seq) => this.channels.get(channel)?.cleared(seq),
        reopened: (sameHub) => this.reopened(sameHub),
        ended: (reason) => this.close(reason, false),
      },
      {
        timeout: options.timeout ?? DEFAULT_TIMEOUT,
        heartbeat: options.heartbeat ?? DEFAULT_HEARTBEAT,
        locks: (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks,
      },
    );
    this.connectionState$ = this.session.state$.pipe(distinctUntilChanged());
    globalThis.addEventListener?.('pagehide', this.onPageHide);
  }

  /** This tab's id on the wire; a new one after the client reconnected to a fresh worker. */
  get clientId(): string {
    return this.session.clientId;
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
      throw new TypeError(
        `subscribe(): callback must be a function, got ${describeValue(callback)}`,
      );
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
    const limit = Math.min(this.maxPayload, this.session.limits?.maxPayload ?? Infinity);
    if (json.length > limit) {
      const error = new LimitError(
        `${label}: payload limit exceeded: ${json.length} characters of JSON (maxPayload is ${limit})`,
      );
      return Promise.reject(error);
    }
    const done = this.session
      .request('publish', name, options.timeout, `,"data":${json}`)
      .then(ignore);
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
    return this.session
      .request('get', name, options.timeout)
      .then(
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
    const done = this.session.request('clear', name, options.timeout).then(ignore);
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
    return this.session
      .request('stats', undefined, options.timeout)
      .then((response) => (response as Extract<Response, { type: 'stats' }>).data);
  }

  /**
   * Leaves the hub: every channel Observable completes, and later calls throw `DisconnectedError`;
   * calling `disconnect()` again does nothing. A `publish` or `clear` already sent still gets the hub's
   * answer (it resolves once applied), within its timeout; every other pending request rejects with
   * `DisconnectedError`. The hub forgets this tab once those answers are in.
   */
  disconnect(): void {
    if (this.closedBy) return;
    this.close(new DisconnectedError('the client is disconnected'), true);
  }

  /**
   * Ends the client: its Observables complete (or error, when the worker could not start), and the
   * session ends (see `HubSession.close`).
   */
  private close(reason: EndReason, drain: boolean): void {
    if (this.closedBy) return;
    this.closedBy = reason;
    globalThis.removeEventListener?.('pagehide', this.onPageHide);
    for (const [name, channel] of [...this.channels]) this.end(channel.values$, name);
    this.channels.clear();
    this.session.close(reason, drain);
  }

  /** Ends one channel Observable of a closed client. */
  private end(observer: Observer<unknown>, name: string): void {
    if (this.closedBy instanceof WorkerStartError) {
      observer.error(
        new WorkerStartError(`channel(${JSON.stringify(name)}): ${this.closedBy.message}`),
      );
    } else observer.complete();
  }

  private throwIfClosed(call: string): void {
    if (this.closedBy instanceof VersionMismatchError) {
      throw new VersionMismatchError(`${call}(): ${this.closedBy.message}`);
    }
    if (this.closedBy instanceof WorkerStartError) {
      throw new WorkerStartError(`${call}(): ${this.closedBy.message}`);
    }
    if (this.closedBy) throw new DisconnectedError(`${call}(): the client is disconnected`);
  }

  /** One local subscriber of a channel; returns its teardown. */
  private attach(name: string, subscriber: Observer<unknown>): () => void {
    if (this.closedBy) {
      this.end(subscriber, name);
      return ignore;
    }
    let channel = this.channels.get(name);
    if (!channel) {
      channel = new RemoteChannel();
      this.channels.set(name, channel);
      this.subscribeOnWire(name, channel);
    }
    const detach = channel.attach(subscriber);
    const attached = channel;
    return () => {
      detach();
      this.detach(name, attached);
    };
  }

  private detach(name: string, channel: RemoteChannel): void {
    if (channel.subscribers > 0 || this.channels.get(name) !== channel) return;
    this.channels.delete(name);
    if (!this.closedBy) this.session.request('unsubscribe', name, undefined).catch(ignore);
  }

  /**
   * Subscribes on the wire. The reply says whether the hub has a value (it follows the reply); a channel
   * the hub has none for is emptied here, so that no new subscriber is served this tab's stale copy.
   */
  private subscribeOnWire(name: string, channel: RemoteChannel): void {
    this.session
      .request('subscribe', name, undefined, '', (response) => {
        channel.subscribed(response.type === 'subscribed' ? response.seq : undefined);
      })
      .catch((error: unknown) => {
        if (this.channels.get(name) === channel) this.channels.delete(name);
        channel.values$.error(error);
      });
  }

  /**
   * The session is on a hub again. A new hub started empty: first offer it the newest value this tab saw
   * on each channel (the highest offer wins where the hub has not decided the channel itself), so that a
   * `get` sent again finds the value that was there before; the same hub (it was only busy) needs none.
   * Then the subscriptions, before the requests sent again: a publish among them reaches this tab too.
   */
  private reopened(sameHub: boolean): void {
    for (const [name, channel] of this.channels) {
      const offer = sameHub ? undefined : channel.offer();
      if (offer) {
        const fields = `,"data":${offer.json},"seq":${offer.seq},"epoch":${offer.epoch}`;
        this.session.request('restore', name, undefined, fields).catch(ignore);
      }
    }
    for (const [name, channel] of this.channels) {
      if (!channel.live) continue; // its subscribe request is among those sent again
      channel.resubscribing(sameHub);
      this.subscribeOnWire(name, channel);
    }
  }
}

/** Why a page that is going away ends its client: nothing can wait for answers any more. */
const GOING = new DisconnectedError('the client is disconnected: the page is going away');
