/**
 * The hub, for the app's worker file: {@link startSharedWorker}, {@link Hub} and persistence.
 *
 * @module shared-channels/worker
 */
export { Hub, type HubOptions } from './hub.js';
export type { LockManagerLike } from '../transport.js';
export { DEFAULT_LIMITS, type HubLimits } from './limits.js';
export { startSharedWorker } from './start-shared-worker.js';
export type { PersistOption } from './persist-filter.js';
export type { Persistence } from '../persistence/persistence.js';
export {
  IndexedDbPersistence,
  type IndexedDbPersistenceOptions,
} from '../persistence/indexed-db-persistence.js';
export { MemoryPersistence } from '../persistence/memory-persistence.js';
export type { HubStats, ChannelStats, JsonValue, Endpoint } from '../protocol.js';
export {
  TimeoutError,
  DisconnectedError,
  VersionMismatchError,
  LimitError,
  ProtocolError,
  PersistenceError,
  WorkerStartError,
} from '../errors.js';
