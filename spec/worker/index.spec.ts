import * as errors from '../../src/errors.js';
import * as worker from '../../src/worker/index.js';
import { DEFAULT_LIMITS } from '../../src/worker/limits.js';
import { Hub } from '../../src/worker/hub.js';
import { startSharedWorker } from '../../src/worker/start-shared-worker.js';

describe('shared-channels/worker', () => {
  it('should export the hub, startSharedWorker, the default limits, the persistences and every error class', () => {
    expect(Object.keys(worker).sort()).toEqual(
      [
        'DEFAULT_LIMITS',
        'DisconnectedError',
        'Hub',
        'IndexedDbPersistence',
        'LimitError',
        'MemoryPersistence',
        'PersistenceError',
        'ProtocolError',
        'TimeoutError',
        'VersionMismatchError',
        'WorkerStartError',
        'startSharedWorker',
      ].sort(),
    );
    expect(worker.Hub).toBe(Hub);
    expect(worker.startSharedWorker).toBe(startSharedWorker);
    expect(worker.DEFAULT_LIMITS).toBe(DEFAULT_LIMITS);
    expect(worker.LimitError).toBe(errors.LimitError);
    expect(worker.VersionMismatchError).toBe(errors.VersionMismatchError);
    expect(worker.WorkerStartError).toBe(errors.WorkerStartError);
  });
});
