// The page entry before shared-channels exists in src/: the baselines alone.
import { BASELINES } from './baselines.js';
import { startHarness } from './harness.js';

startHarness(BASELINES);
