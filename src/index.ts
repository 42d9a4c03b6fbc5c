/**
 * The client, for tabs: {@link SharedWorkerClient}, the public types and the error classes.
 *
 * @module shared-channels
 */
export {
  SharedWorkerClient,
  type ChannelMap,
  type ChannelOptions,
  type ClientOptions,
  type ConnectionState,
  type RequestOptions,
} from './client/shared-worker-client.js';
export type { WorkerSource, SharedWorkerLike } from './client/shared-worker-transport.js';
export type { DedicatedWorkerLike, TransportMode } from './transport.js';
export type { HubStats, ChannelStats, JsonValue, Endpoint } from './protocol.js';
export {
  TimeoutError,
  DisconnectedError,
  VersionMismatchError,
  LimitError,
  ProtocolError,
  PersistenceError,
  WorkerStartError,
} from './errors.js';
