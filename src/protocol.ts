/**
 * The wire protocol between a tab and the hub. Every message is a JSON string posted on a MessagePort.
 *
 * The original protocol (requests `subscribe | unsubscribe | publish | get`, responses
 * `data | subscribed | unsubscribed | published | error`) is served as it was; everything else here is
 * additive and optional, so a client that speaks only the original protocol is always served.
 *
 * This module imports nothing from rxjs or the DOM: the hub, the client and the tests all build on it.
 */

/** The protocol version a client and a hub exchange in the `hello` handshake. */
export const PROTOCOL_VERSION = 1;

/** Capability a client announces in `hello`: it understands `batch` envelopes. */
export const FEATURE_BATCH = 'batch';

/** Capability a client announces in `hello`: it understands the `cleared` push. */
export const FEATURE_CLEARED = 'cleared';

/** The smallest surface both sides need from a MessagePort, so logic never depends on the real thing. */
export interface Endpoint {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  removeEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  /** Ports that are listened to with `addEventListener` deliver nothing until started. */
  start?(): void;
  close?(): void;
}

/** Any JSON value: what a channel carries. */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Fields every request carries. */
interface RequestBase {
  clientId: string;
  requestId: number | string;
}

/**
 * What the hub tells a client of its limits in `welcome`, so the client never sends a message the hub
 * would refuse unread.
 */
export interface WireLimits {
  /** Largest message the hub reads, in characters: one request with the largest value. */
  maxMessage: number;
  /** Largest batch (several requests in one message) the hub reads, in characters; else maxMessage. */
  maxBatch?: number;
  /** Largest value, in characters of its JSON text. */
  maxPayload: number;
  /** Requests one tab may send per second, averaged. */
  maxRequestsPerSecond: number;
}

export interface SubscribeRequest extends RequestBase {
  type: 'subscribe';
  channel: string;
}

export interface UnsubscribeRequest extends RequestBase {
  type: 'unsubscribe';
  channel: string;
}

export interface PublishRequest extends RequestBase {
  type: 'publish';
  channel: string;
  data: JsonValue;
  /**
   * Additive: sent again to a new hub after the one it was sent to died without answering. When the
   * value is the one tabs offered back for the channel, the old hub applied it (a tab saw it), and the
   * new hub answers `published` without applying it twice.
   */
  again?: boolean;
}

export interface GetRequest extends RequestBase {
  type: 'get';
  channel: string;
}

/**
 * Additive: deletes the channel's value, in memory and (for a persisted channel) on disk. Answered
 * `cleared`; subscribers that announced the `cleared` feature get a `cleared` push.
 */
export interface ClearRequest extends RequestBase {
  type: 'clear';
  channel: string;
}

/** Additive: asks for a snapshot of the hub (tabs, channels, counters). */
export interface StatsRequest extends RequestBase {
  type: 'stats';
}

/** Additive: the handshake a client sends first; the hub answers `welcome`. */
export interface HelloRequest extends RequestBase {
  type: 'hello';
  version: number;
  features?: string[];
  /**
   * The name of a Web Lock the tab holds for its whole life. The hub waits for that lock; the browser
   * grants it the moment the tab's context dies (closed, crashed, discarded), and the hub forgets the tab.
   */
  lock?: string;
  /**
   * Additive: the client's id for its whole life, the same on every connection it makes. A request sent
   * again under the same session (after a reconnect to the same hub) is answered with its first outcome,
   * never applied twice.
   */
  session?: string;
}

/** Additive: a liveness probe; the hub answers `pong` with its instanceId. */
export interface PingRequest extends RequestBase {
  type: 'ping';
}

/**
 * Additive: after the hub restarted, a tab offers the newest value it saw on a channel with the old hub's
 * sequence number; the hub keeps the highest offer until a tab publishes anew. Answered `restored`.
 */
export interface RestoreRequest extends RequestBase {
  type: 'restore';
  channel: string;
  data: JsonValue;
  seq: number;
  /**
   * When the old hub started (its `welcome.startedAt`): offers from a later hub are newer than any from
   * an earlier one, whatever their `seq` (two restarts in a row). 0 when unknown.
   */
  epoch: number;
}

/** Additive: a tab leaving (disconnect or pagehide); the hub drops it at once and does not answer. */
export interface ByeRequest {
  type: 'bye';
  clientId: string;
}

/** Additive: several requests in one message, each handled as if it came alone, in order. */
export interface BatchRequest {
  type: 'batch';
  messages: unknown[];
}

export type ChannelRequest = SubscribeRequest | UnsubscribeRequest | PublishRequest | GetRequest;
export type Request =
  | ChannelRequest
  | StatsRequest
  | HelloRequest
  | ByeRequest
  | PingRequest
  | RestoreRequest
  | ClearRequest;

export interface DataResponse {
  type: 'data';
  channel: string;
  /** Omitted when the channel has no value (a `get` of an empty channel). */
  data?: JsonValue;
  /** Present on the reply to `get`; absent on a pushed value. */
  requestId?: number | string;
  /** Additive: the channel's sequence number of this value at this hub (1 for the first publish). */
  seq?: number;
}

export interface AckResponse {
  type: 'subscribed' | 'unsubscribed' | 'published' | 'restored';
  channel: string;
  requestId: number | string;
  /**
   * Additive, on `subscribed`: the sequence number of the channel's current value, which the hub pushes
   * right after; absent when the channel has no value.
   */
  seq?: number;
}

/**
 * Additive: the reply to `clear` (with its `requestId`), and the push that tells a subscriber the channel
 * has no value any more (without one). A push is sent only to tabs whose `hello` listed `cleared`.
 */
export interface ClearedResponse {
  type: 'cleared';
  channel: string;
  requestId?: number | string;
  /** Additive: the clear's place in the channel's order; a value with a lower `seq` is older than it. */
  seq?: number;
}

export interface ErrorResponse {
  type: 'error';
  /** A message a person can read. */
  error: string;
  /** Additive: the error class, so the client rebuilds the same class (see errors.ts). */
  name?: string;
  channel?: string;
  /** The request's id when it had a readable one. */
  requestId?: number | string;
  /** Additive: the same refusal for several requests of one message (e.g. over the rate limit). */
  requestIds?: Array<number | string>;
}

/** Additive: a snapshot of the hub. */
export interface StatsResponse {
  type: 'stats';
  requestId: number | string;
  data: HubStats;
}

export interface WelcomeResponse {
  type: 'welcome';
  requestId: number | string;
  version: number;
  /** Identifies this run of the hub; a new id means the hub restarted with empty state. */
  instanceId: string;
  features: string[];
  /**
   * Additive: a Web Lock the hub holds for its whole life. The browser grants it to a tab that asks only
   * once the hub's context is gone, so a tab learns of the hub's death from the death itself, never from
   * a silence (a long task, a garbage collection).
   */
  lock?: string;
  /** Additive: the hub's limits (see {@link WireLimits}). */
  limits?: WireLimits;
  /** Additive: when the hub started (ms since the epoch), to rank offers from successive hubs. */
  startedAt?: number;
}

/** Additive: the answer to `ping`. */
export interface PongResponse {
  type: 'pong';
  requestId: number | string;
  instanceId: string;
}

export interface BatchResponse {
  type: 'batch';
  /** The hub's instanceId, once for every message inside. */
  instanceId?: string;
  messages: Response[];
}

export type Response =
  | DataResponse
  | AckResponse
  | ClearedResponse
  | ErrorResponse
  | StatsResponse
  | WelcomeResponse
  | PongResponse
  | BatchResponse;

/** One channel in a {@link HubStats} snapshot. */
export interface ChannelStats {
  channel: string;
  /** Tabs subscribed to the channel. */
  subscribers: number;
  /** Values accepted on the channel since the hub started. */
  published: number;
  /** When the last value was accepted (epoch ms), or null when none was. */
  lastPublished: number | null;
}

/** What `client.stats()` resolves: a snapshot of the hub for dashboards and tests. */
export interface HubStats {
  instanceId: string;
  /** Tabs connected now. */
  clients: number;
  channels: ChannelStats[];
  /** Values accepted since the hub started, over all channels. */
  published: number;
  /** Values pushed to tabs since the hub started (one per subscriber per value). */
  delivered: number;
  /** Milliseconds since the hub started. */
  uptime: number;
}

/** Every request type, the one list from which {@link Request}'s union is checked. */
export const REQUEST_TYPES = [
  'subscribe',
  'unsubscribe',
  'publish',
  'get',
  'stats',
  'hello',
  'bye',
  'ping',
  'restore',
  'clear',
] as const satisfies ReadonlyArray<Request['type']>;

/** The request types that change a channel: each is applied at most once per session and requestId. */
export const MUTATION_TYPES = ['publish', 'clear', 'restore'] as const satisfies ReadonlyArray<
  Request['type']
>;

/** The request types that name a channel. */
export const CHANNEL_TYPES = [
  'subscribe',
  'unsubscribe',
  'publish',
  'get',
  'restore',
  'clear',
] as const satisfies ReadonlyArray<Request['type']>;
// Every member of the union is in the list: adding a request type without listing it fails to compile.
type Unlisted = Exclude<Request['type'], (typeof REQUEST_TYPES)[number]>;
const everyTypeListed: Unlisted extends never ? true : never = true;
void everyTypeListed;

/** Says what a value is, for error messages: `"" (string)`, `42 (number)`, `an object`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') {
    return `${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)} (string)`;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `${String(value)} (${typeof value})`;
  }
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Throws the `TypeError` a call gets for a channel name that is not a non-empty string. */
export function checkChannel(name: unknown, call: string): asserts name is string {
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(
      `${call}(): channel must be a non-empty string, got ${describeValue(name)}`,
    );
  }
}

/** True for a non-null, non-array object: the shape of every message. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True for what a requestId may be: a finite number or a string. */
export function isRequestId(value: unknown): value is number | string {
  return (typeof value === 'number' && Number.isFinite(value)) || typeof value === 'string';
}

/** Reads a response the client received; anything that is not one is ignored by the caller. */
export function parseResponse(message: unknown): Response | undefined {
  if (!isRecord(message) || typeof message.type !== 'string') return undefined;
  return message as unknown as Response;
}
