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
