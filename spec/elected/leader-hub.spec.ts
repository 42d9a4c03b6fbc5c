import {
  WORKER_START_TIMEOUT_MS,
  startLeaderHub,
  type LeaderHub,
  type LeaderHubOptions,
} from '../../src/elected/leader-hub.js';
import { leaderInboxName, scopeName } from '../../src/elected/relay-protocol.js';
import { MemoryPersistence } from '../../src/persistence/memory-persistence.js';
import type { DedicatedWorkerLike } from '../../src/transport.js';
import { ask } from '../helpers/ask.js';
import { nextTask, within } from '../helpers/deadline.js';
import { FakeDedicatedWorker } from '../helpers/fake-dedicated-worker.js';
import { FakeOrigin, type FakeTab } from '../helpers/fake-tabs.js';

const SCOPE = scopeName('leader-hub-spec');
const LEADER = 'leader-1';
const HUB_LOCK = 'shared-channels:hub:worker-hub';

const WORKER_FAILED =
  "[shared-channels] fallbackWorker: the worker script failed to start (not found, or it threw while loading; a worker file that uses `import` needs { type: 'module' }); the hub runs in this tab instead, and the worker file's own code does not run";
const WORKER_SILENT =
  "[shared-channels] fallbackWorker: the worker started no hub within 10 s (does the worker file call startSharedWorker()?); the hub runs in this tab instead, and the worker file's own code does not run";
const NO_FALLBACK_WORKER =
  "[shared-channels] SharedWorker is unavailable and no fallbackWorker is given: the elected tab runs the hub in its page, and the worker file's own code (startSharedWorker() and what it sets up) does not run";

/** A promise and whether it has settled yet, to tell "still waiting" from "resolved". */
function tracked<T>(promise: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let settled = false;
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  return { promise, settled: () => settled };
}

describe('startLeaderHub()', () => {
  // The in-page hub's chunk is loaded once before the cases: its first import() compiles it, which on a
  // busy machine alone can outlast a case's deadline.
  beforeAll(() => import('../../src/elected/in-page-hub.js'));

  let origin: FakeOrigin;
  let leaderTab: FakeTab;
  let worker: FakeDedicatedWorker;
  let onDied: jest.Mock<void, []>;
  let hubs: LeaderHub[];
  let warn: jest.SpyInstance;

  beforeEach(() => {
    origin = new FakeOrigin();
    leaderTab = origin.tab();
    worker = new FakeDedicatedWorker();
    onDied = jest.fn<void, []>();
    hubs = [];
    warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  });

  afterEach(() => {
    for (const hub of hubs) hub.close();
    warn.mockRestore();
    jest.useRealTimers();
  });

  function options(overrides: Partial<LeaderHubOptions> = {}): LeaderHubOptions {
    return {
      scope: SCOPE,
      locks: leaderTab.locks,
      createChannel: leaderTab.createChannel,
      startWorker: () => worker,
      hubOptions: { locks: null },
      onDied,
      ...overrides,
    };
  }

  async function start(
    leaderId: string,
    hubOptions: LeaderHubOptions,
    starter: typeof startLeaderHub = startLeaderHub,
  ): Promise<LeaderHub> {
    const hub = await starter(leaderId, hubOptions);
    hubs.push(hub);
    return hub;
  }

  /** The leader's hub runs in this page: it serves this page's own port, and the leader's inbox. */
  async function expectInPageHub(hub: LeaderHub, leaderId: string): Promise<void> {
    expect(hub.leaderId).toBe(leaderId);
    expect(typeof hub.connectInPage).toBe('function');
    const own = hub.connectInPage!();
    expect(await ask(own, { type: 'ping', clientId: 'own', requestId: 1 })).toEqual(
      expect.objectContaining({ type: 'pong', requestId: 1 }),
    );
    own.close?.();
    expect(origin.bus.openCount(leaderInboxName(SCOPE, leaderId))).toBe(1);
  }

  /** The worker holds its hub's life lock until `release()`, as a live worker's hub does. */
  function workerHoldsLock(name: string): () => void {
    let release = (): void => undefined;
    void origin.lockManager.request(name, () => new Promise<void>((r) => (release = r)));
    return () => release();
  }

  describe('with startWorker', () => {
    it("should ask the worker to host the leader's inbox in the scope", async () => {
      const started = start(LEADER, options());
      expect(worker.posted).toEqual([
        { type: 'shared-channels:host', leader: LEADER, scope: SCOPE },
      ]);
      worker.answer({ type: 'shared-channels:hosting', leader: LEADER });
      await started;
    });

    it('should resolve with a hub in the worker once the worker says it hosts this leader', async () => {
      const started = tracked(start(LEADER, options()));
      await nextTask();
      expect(started.settled()).toBe(false);
      worker.answer({ type: 'shared-channels:hosting', leader: LEADER });
      const hub = await within(started.promise, 'the leader hub');
      expect(hub.leaderId).toBe(LEADER);
      expect(typeof hub.connectInPage).toBe('undefined');
      expect(worker.terminated).toBe(0);
      expect(warn).not.toHaveBeenCalled();
    });

    it('should ignore an answer for another leader, and anything else the worker posts', async () => {
      const started = tracked(start(LEADER, options()));
      worker.answer({ type: 'shared-channels:hosting', leader: 'leader-2' });
      worker.answer({ type: 'shared-channels:hosting' });
      worker.answer('shared-channels:hosting');
      worker.answer({ type: 'something the app posts', leader: LEADER });
      await nextTask();
      expect(started.settled()).toBe(false);
      worker.answer({ type: 'shared-channels:hosting', leader: LEADER });
      expect((await within(started.promise, 'the leader hub')).leaderId).toBe(LEADER);
    });

    it('should terminate the worker on close()', async () => {
      const started = start(LEADER, options());
      worker.answer({ type: 'shared-channels:hosting', leader: LEADER });
      const hub = await started;
      expect(worker.terminated).toBe(0);
      hub.close();
      expect(worker.terminated).toBe(1);
    });

    it("should keep the worker's hub when the worker fires error after its answer", async () => {
      const started = start(LEADER, options());
      worker.answer({ type: 'shared-channels:hosting', leader: LEADER });
      const hub = await started;
      worker.fail();
      await nextTask();
      expect(worker.terminated).toBe(0);
      expect(warn).not.toHaveBeenCalled();
      expect(typeof hub.connectInPage).toBe('undefined');
      expect(origin.bus.openCount(leaderInboxName(SCOPE, LEADER))).toBe(0);
    });

    describe('when the worker does not start its hub', () => {
      it('should warn, terminate the worker and run the hub in the page when the worker fires error first', async () => {
        const started = start(LEADER, options());
        worker.fail();
        const hub = await within(started, 'the leader hub');
        expect(worker.terminated).toBe(1);
        expect(warn.mock.calls).toEqual([[WORKER_FAILED]]);
        await expectInPageHub(hub, LEADER);
      });

      it(`should wait ${WORKER_START_TIMEOUT_MS} ms for the answer, then warn, terminate the worker and run the hub in the page`, async () => {
        jest.useFakeTimers({ doNotFake: ['queueMicrotask', 'nextTick', 'setImmediate'] });
        const started = tracked(start(LEADER, options()));
        await jest.advanceTimersByTimeAsync(WORKER_START_TIMEOUT_MS - 1);
        expect(started.settled()).toBe(false);
        expect(worker.terminated).toBe(0);
        await jest.advanceTimersByTimeAsync(1);
        const hub = await started.promise;
        expect(worker.terminated).toBe(1);
        expect(warn.mock.calls).toEqual([[WORKER_SILENT]]);
        await expectInPageHub(hub, LEADER);
        // A worker that answers after all is too late: it was terminated, and the page serves.
        worker.answer({ type: 'shared-channels:hosting', leader: LEADER });
        expect(worker.terminated).toBe(1);
      });

      it('should warn with the error and run the hub in the page when startWorker throws', async () => {
        const hub = await start(
          LEADER,
          options({
            startWorker: (): DedicatedWorkerLike => {
              throw new Error('SecurityError: Worker is not allowed');
            },
          }),
        );
        expect(warn.mock.calls).toEqual([
          [
            "[shared-channels] fallbackWorker: SecurityError: Worker is not allowed; the hub runs in this tab instead, and the worker file's own code does not run",
          ],
        ]);
        await expectInPageHub(hub, LEADER);
      });

      it('should warn with what startWorker throws when that is no Error', async () => {
        const hub = await start(
          LEADER,
          options({
            startWorker: (): DedicatedWorkerLike => {
              // eslint-disable-next-line @typescript-eslint/only-throw-error -- a factory that throws a string
              throw 'blocked';
            },
          }),
        );
        expect(warn.mock.calls).toEqual([
          [
            "[shared-channels] fallbackWorker: blocked; the hub runs in this tab instead, and the worker file's own code does not run",
          ],
        ]);
        await expectInPageHub(hub, LEADER);
      });

      it.each<[string, unknown]>([
        ['undefined', undefined],
        ['an object', {}],
      ])(
        'should warn and run the hub in the page when startWorker returns %s, which is no Worker, and throw nothing later',
        async (described, made) => {
          jest.useFakeTimers({ doNotFake: ['queueMicrotask', 'nextTick', 'setImmediate'] });
          const hub = await start(
            LEADER,
            options({ startWorker: () => made as DedicatedWorkerLike }),
          );
          expect(warn.mock.calls).toEqual([
            [
              `[shared-channels] fallbackWorker: fallbackWorker must return a Worker, got ${described}; the hub runs in this tab instead, and the worker file's own code does not run`,
            ],
          ]);
          await expectInPageHub(hub, LEADER);
          // No start timeout is left armed for the worker that never was.
          await jest.advanceTimersByTimeAsync(WORKER_START_TIMEOUT_MS + 1);
          expect(warn).toHaveBeenCalledTimes(1);
        },
      );
    });

    describe("with the answer's life lock", () => {
      it("should name that lock as the hub's life lock", async () => {
        const release = workerHoldsLock(HUB_LOCK);
        const started = start(LEADER, options());
        worker.answer({ type: 'shared-channels:hosting', leader: LEADER, lock: HUB_LOCK });
        expect((await started).lock).toBe(HUB_LOCK);
        release();
      });

      it("should call onDied once the lock is granted (the worker's hub is gone)", async () => {
        const release = workerHoldsLock(HUB_LOCK);
        const started = start(LEADER, options());
        worker.answer({ type: 'shared-channels:hosting', leader: LEADER, lock: HUB_LOCK });
        await started;
        await nextTask();
        expect(onDied).not.toHaveBeenCalled();
        const died = new Promise<void>((resolve) => onDied.mockImplementation(resolve));
        release();
        await within(died, 'onDied');
        expect(onDied).toHaveBeenCalledTimes(1);
      });

      it('should not call onDied when the lock is granted after close()', async () => {
        const release = workerHoldsLock(HUB_LOCK);
        const started = start(LEADER, options());
        worker.answer({ type: 'shared-channels:hosting', leader: LEADER, lock: HUB_LOCK });
        const hub = await started;
        hub.close();
        release();
        // Requests are granted in order: once a later one is, the leader's has been.
        await within(
          origin.lockManager.request(HUB_LOCK, () => undefined),
          'the life lock, after the leader',
        );
        expect(onDied).not.toHaveBeenCalled();
      });

      it('should watch no lock when the answer names none', async () => {
        const request = jest.spyOn(leaderTab.locks, 'request');
        const started = start(LEADER, options());
        worker.answer({ type: 'shared-channels:hosting', leader: LEADER });
        await started;
        expect(request).not.toHaveBeenCalled();
      });
    });
  });

  describe('without startWorker', () => {
    it('should run the hub in the page, with the hub options given', async () => {
      const persistence = new MemoryPersistence();
      await persistence.write(new Map([['settings', '"stored"']]));
      const hub = await start(
        LEADER,
        options({
          startWorker: undefined,
          hubOptions: { locks: null, persist: true, persistence },
        }),
      );
      await expectInPageHub(hub, LEADER);
      const own = hub.connectInPage!();
      expect(
        await ask(own, { type: 'get', clientId: 'own', channel: 'settings', requestId: 2 }),
      ).toEqual(expect.objectContaining({ type: 'data', channel: 'settings', data: 'stored' }));
      own.close?.();
    });

    it("should name the in-page hub's life lock, which the hub holds", async () => {
      const hub = await start(
        LEADER,
        options({ startWorker: undefined, hubOptions: { locks: leaderTab.locks } }),
      );
      expect(hub.lock).toEqual(expect.any(String));
      expect(origin.lockManager.isHeld(hub.lock!)).toBe(true);
      hub.close();
      await within(
        origin.lockManager.request(hub.lock!, () => undefined),
        'the life lock, after close()',
      );
    });

    it('should warn once per page, however many leaders start', async () => {
      let fresh: typeof startLeaderHub = startLeaderHub;
      await jest.isolateModulesAsync(async () => {
        ({ startLeaderHub: fresh } = await import('../../src/elected/leader-hub.js'));
      });
      await start('leader-a', options({ startWorker: undefined }), fresh);
      await start('leader-b', options({ startWorker: undefined }), fresh);
      expect(warn.mock.calls).toEqual([[NO_FALLBACK_WORKER]]);
    });
  });
});
