// The page entry once shared-channels exists in src/: the library next to the baselines.
import { BASELINES } from './baselines.js';
import { startHarness } from './harness.js';
import { createSharedChannelsTransport } from './shared-channels-transport.js';

startHarness({ 'shared-channels': createSharedChannelsTransport, ...BASELINES });
