import { createBroadcastTransport } from './broadcast-transport.js';
import { createRawCloneTransport } from './raw-clone-transport.js';
import { createRawJsonTransport } from './raw-json-transport.js';
import type { TransportFactory } from './transport.js';

/** The implementations written in the bench, by the names the report uses. */
export const BASELINES: Record<string, TransportFactory> = {
  'raw-clone': createRawCloneTransport,
  'raw-json': createRawJsonTransport,
  broadcast: createBroadcastTransport,
};
