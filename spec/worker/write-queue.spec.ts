import type { Persistence } from '../../src/persistence/persistence.js';
import { WriteQueue } from '../../src/worker/write-queue.js';

/** A Persistence whose writes the test commits or fails by hand, one at a time. */
class ManualPersistence implements Persistence {
  readonly writes: Array<{
    changes: Map<string, string | null>;
    commit: () => void;
    fail: (error: unknown) => void;
  }> = [];

  load(): Promise<ReadonlyMap<string, string>> {
    return Promise.resolve(new Map());
  }

  write(changes: ReadonlyMap<string, string | null>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.writes.push({ changes: new Map(changes), commit: resolve, fail: reject });
    });
  }

  close(): void {}
}

/**
 * A Persistence that fails, like a full disk, every transaction holding a change it refuses, and
 * commits the others at once; it records every transaction tried and every one committed.
 */
class QuotaPersistence implements Persistence {
  readonly attempts: Array<Map<string, string | null>> = [];
  readonly committed: Array<Map<string, string | null>> = [];

  constructor(private readonly refuses: (channel: string, json: string | null) => boolean) {}

  /** What is on disk: every committed change, the later winning. */
  get stored(): Map<string, string | null> {
    return new Map(this.committed.flatMap((changes) => [...changes]));
  }

  load(): Promise<ReadonlyMap<string, string>> {
    return Promise.resolve(new Map());
  }

  write(changes: ReadonlyMap<string, string | null>): Promise<void> {
    const copy = new Map(changes);
    this.attempts.push(copy);
    if ([...copy].some(([channel, json]) => this.refuses(channel, json))) {
      return Promise.reject(new Error('quota exceeded'));
    }
    this.committed.push(copy);
    return Promise.resolve();
  }

  close(): void {}
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('WriteQueue', () => {
  let persistence: ManualPersistence;
  let queue: WriteQueue;
  let log: string[];
  const settle =
    (label: string) =>
    (error: unknown): void => {
      log.push(error === undefined ? label : `${label}: ${(error as Error).message}`);
    };

  beforeEach(() => {
    persistence = new ManualPersistence();
    queue = new WriteQueue(persistence);
    log = [];
  });

  it('should write nothing before it is started', async () => {
    queue.write('a', '1', settle('a'));
    await tick();
    expect(persistence.writes).toHaveLength(0);
    queue.start();
    await tick();
    expect(persistence.writes).toHaveLength(1);
  });

  it('should put everything queued in one task into one write, the last change of a channel winning', async () => {
    queue.start();
    queue.write('a', '1', settle('a1'));
    queue.write('b', '2', settle('b'));
    queue.write('a', '3', settle('a3'));
    queue.write('b', null, settle('b cleared'));
    await tick();
    expect(persistence.writes.map((write) => write.changes)).toEqual([
      new Map([
        ['a', '3'],
        ['b', null],
      ]),
    ]);
    expect(log).toEqual([]);
    persistence.writes[0]!.commit();
    await tick();
    expect(log).toEqual(['a1', 'b', 'a3', 'b cleared']);
  });

  it('should gather what arrives during a write into the next one, started when the first commits', async () => {
    queue.start();
    queue.write('a', '1', settle('a1'));
    await tick();
    queue.write('a', '2', settle('a2'));
    await tick();
    queue.write('a', '3', settle('a3'));
    await tick();
    expect(persistence.writes).toHaveLength(1);
    persistence.writes[0]!.commit();
    await tick();
    expect(log).toEqual(['a1']);
    expect(persistence.writes.map((write) => write.changes)).toEqual([
      new Map([['a', '1']]),
      new Map([['a', '3']]),
    ]);
    persistence.writes[1]!.commit();
    await tick();
    expect(log).toEqual(['a1', 'a2', 'a3']);
  });

  it('should settle every change of a failed write with its error, and go on with the next', async () => {
    queue.start();
    queue.write('a', '1', settle('a1'));
    await tick();
    queue.write('a', '2', settle('a2'));
    persistence.writes[0]!.fail(new Error('quota'));
    await tick();
    expect(log).toEqual(['a1: quota']);
    persistence.writes[1]!.commit();
    await tick();
    expect(log).toEqual(['a1: quota', 'a2']);
  });

  it('should settle with an error when the persistence throws or rejects with nothing', async () => {
    const broken: Persistence = {
      load: () => Promise.resolve(new Map()),
      write: jest
        .fn()
        .mockImplementationOnce(() => {
          throw new Error('thrown');
        })
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a contract broken on purpose
        .mockImplementationOnce(() => Promise.reject(undefined)),
      close: () => undefined,
    };
    const brokenQueue = new WriteQueue(broken);
    brokenQueue.start();
    brokenQueue.write('a', '1', settle('a'));
    await tick();
    brokenQueue.write('b', '1', settle('b'));
    await tick();
    expect(log).toEqual(['a: thrown', 'b: the write failed']);
  });

  describe('when a transaction of several channels fails', () => {
    const bigFails = (): QuotaPersistence => new QuotaPersistence((channel) => channel === 'big');

    it('should fail only the change that fails on its own, and commit the others', async () => {
      const quota = bigFails();
      const retrying = new WriteQueue(quota);
      retrying.start();
      retrying.write('a', '1', settle('a'));
      retrying.write('big', '2', settle('big'));
      retrying.write('c', '3', settle('c'));
      await tick();
      expect(log).toEqual(['a', 'big: quota exceeded', 'c']);
      expect(quota.attempts[0]).toEqual(
        new Map([
          ['a', '1'],
          ['big', '2'],
          ['c', '3'],
        ]),
      );
      expect(quota.stored).toEqual(
        new Map([
          ['a', '1'],
          ['c', '3'],
        ]),
      );
    });

    it('should write the halves apart, in the order the changes were queued', async () => {
      const quota = bigFails();
      const retrying = new WriteQueue(quota);
      retrying.start();
      for (const channel of ['a', 'b', 'big', 'd']) retrying.write(channel, '1', settle(channel));
      await tick();
      expect(quota.attempts.map((changes) => [...changes.keys()])).toEqual([
        ['a', 'b', 'big', 'd'],
        ['a', 'b'],
        ['big', 'd'],
        ['big'],
        ['d'],
      ]);
      expect(log).toEqual(['a', 'b', 'big: quota exceeded', 'd']);
    });

    it('should give every change of a channel in the batch the outcome of its last one', async () => {
      const quota = new QuotaPersistence((_, json) => json === 'too big');
      const retrying = new WriteQueue(quota);
      retrying.start();
      retrying.write('a', '1', settle('a1'));
      retrying.write('b', '1', settle('b'));
      retrying.write('a', 'too big', settle('a too big'));
      retrying.write('c', '1', settle('c1'));
      retrying.write('c', '2', settle('c2'));
      await tick();
      expect(log).toEqual(['a1: quota exceeded', 'b', 'a too big: quota exceeded', 'c1', 'c2']);
      expect(quota.stored).toEqual(
        new Map([
          ['b', '1'],
          ['c', '2'],
        ]),
      );
    });

    it('should settle in queue order once the retries are done, and only then write the next batch', async () => {
      queue.start();
      queue.write('a', '1', settle('a'));
      queue.write('big', '1', settle('big'));
      queue.write('c', '1', settle('c'));
      await tick();
      persistence.writes[0]!.fail(new Error('quota exceeded'));
      await tick();
      queue.write('later', '1', settle('later'));
      await tick();
      // Never two transactions at once: the retry of [a, big] is in flight, 'later' waits.
      expect(persistence.writes.map((write) => [...write.changes.keys()])).toEqual([
        ['a', 'big', 'c'],
        ['a', 'big'],
      ]);
      persistence.writes[1]!.fail(new Error('quota exceeded'));
      await tick();
      persistence.writes[2]!.commit(); // a
      await tick();
      persistence.writes[3]!.fail(new Error('quota exceeded')); // big
      await tick();
      expect(log).toEqual([]);
      persistence.writes[4]!.commit(); // c
      await tick();
      expect(log).toEqual(['a', 'big: quota exceeded', 'c']);
      expect(persistence.writes.map((write) => [...write.changes.keys()])).toEqual([
        ['a', 'big', 'c'],
        ['a', 'big'],
        ['a'],
        ['big'],
        ['c'],
        ['later'],
      ]);
      persistence.writes[5]!.commit();
      await tick();
      expect(log).toEqual(['a', 'big: quota exceeded', 'c', 'later']);
    });

    it('should run afterWrites() for a channel being retried once its outcome is known', async () => {
      queue.start();
      queue.write('a', '1', settle('a'));
      queue.write('big', '1', settle('big'));
      await tick();
      persistence.writes[0]!.fail(new Error('quota exceeded'));
      await tick();
      expect(persistence.writes).toHaveLength(2); // the retry of 'a' alone
      queue.afterWrites('big', () => log.push('read big'));
      queue.afterWrites('a', () => log.push('read a'));
      queue.afterWrites('other', () => log.push('read other'));
      expect(log).toEqual(['read other']);
      persistence.writes[1]!.commit();
      await tick();
      persistence.writes[2]!.fail(new Error('quota exceeded'));
      await tick();
      expect(log).toEqual(['read other', 'a', 'big: quota exceeded', 'read big', 'read a']);
    });
  });

  describe('when a settle throws', () => {
    let consoleError: jest.SpyInstance;

    beforeEach(() => {
      consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    });

    afterEach(() => {
      consoleError.mockRestore();
    });

    it('should still run the other settles of the batch, and report the error', async () => {
      const thrown = new Error('a bug in a settle');
      queue.start();
      queue.write('a', '1', () => {
        throw thrown;
      });
      queue.write('b', '1', settle('b'));
      queue.afterWrites('a', () => log.push('read a'));
      await tick();
      persistence.writes[0]!.commit();
      await tick();
      expect(log).toEqual(['b', 'read a']);
      expect(consoleError).toHaveBeenCalledTimes(1);
      expect(consoleError).toHaveBeenCalledWith(
        expect.stringMatching(/^\[shared-channels\] /),
        thrown,
      );
    });

    it('should still write and settle the batches after', async () => {
      queue.start();
      queue.write('a', '1', () => {
        throw new Error('a bug in a settle');
      });
      await tick();
      queue.write('a', '2', settle('a2'));
      persistence.writes[0]!.fail(new Error('quota exceeded'));
      await tick();
      expect(persistence.writes).toHaveLength(2);
      persistence.writes[1]!.commit();
      await tick();
      expect(log).toEqual(['a2']);
      queue.write('b', '1', settle('b'));
      await tick();
      persistence.writes[2]!.commit();
      await tick();
      expect(log).toEqual(['a2', 'b']);
    });
  });

  describe('.afterWrites()', () => {
    it('should run at once when the channel has nothing pending', () => {
      queue.start();
      queue.write('other', '1', settle('other'));
      queue.afterWrites('a', () => log.push('read a'));
      expect(log).toEqual(['read a']);
    });

    it('should run after the pending change of the channel, in flight or queued', async () => {
      queue.start();
      queue.write('a', '1', settle('a1'));
      await tick();
      queue.afterWrites('a', () => log.push('read after a1'));
      queue.write('a', '2', settle('a2'));
      queue.afterWrites('a', () => log.push('read after a2'));
      persistence.writes[0]!.commit();
      await tick();
      expect(log).toEqual(['a1', 'read after a1']);
      persistence.writes[1]!.commit();
      await tick();
      expect(log).toEqual(['a1', 'read after a1', 'a2', 'read after a2']);
    });
  });
});
