// The ready-to-serve worker bundle (`shared-channels/shared-worker.js`): it starts a hub on load.
import { startSharedWorker } from './start-shared-worker.js';

startSharedWorker();
