import { startSharedWorker } from '../src/worker/index.js';

startSharedWorker();
