export { Hub, type HubOptions } from './hub.js';
export { DEFAULT_LIMITS, type HubLimits } from './limits.js';
export { startSharedWorker } from './start-shared-worker.js';
export type { HubStats, ChannelStats, JsonValue, Endpoint } from '../protocol.js';
export {
  TimeoutError,
  DisconnectedError,
  VersionMismatchError,
  LimitError,
  ProtocolError,
} from '../errors.js';
