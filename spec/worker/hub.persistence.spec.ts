import { LimitError, PersistenceError } from '../../src/errors.js';
import { IndexedDbPersistence } from '../../src/persistence/indexed-db-persistence.js';
import { MemoryPersistence } from '../../src/persistence/memory-persistence.js';
import type { Persistence } from '../../src/persistence/persistence.js';
import { withEnvironment } from '../../src/worker/hub-environment.js';
import { Hub, type HubOptions } from '../../src/worker/hub.js';
import { freshIndexedDB } from '../helpers/indexed-db.js';
import { createTestHub, settle, type RawPort, type TestHub } from '../helpers/wire.js';
import { thrownBy } from '../helpers/thrown-by.js';

type Message = Record<string, unknown>;

/** Counts the transactions a hub asks for; optionally fails them or holds them for the test to finish. */
class ObservedPersistence implements Persistence {
  readonly writes: Array<Map<string, string | null>> = [];
  /** The next writes reject with this, one per entry. */
  readonly failures: Error[] = [];
  /** When set, writes wait until the test calls `release()`. */
  holding = false;
  private readonly held: Array<() => void> = [];

  constructor(private readonly inner: Persistence = new MemoryPersistence()) {}

  load(): Promise<ReadonlyMap<string, string>> {
    return this.inner.load();
  }

  async write(changes: ReadonlyMap<string, string | null>): Promise<void> {
    this.writes.push(new Map(changes));
    if (this.holding) await new Promise<void>((resolve) => this.held.push(resolve));
    const failure = this.failures.shift();
    if (failure) throw failure;
    await this.inner.write(changes);
  }

  /** Lets the held write go on. */
  release(): void {
    this.held.shift()?.();
  }

  close(): void {
    this.inner.close();
  }
}

/** A Persistence whose first load the test finishes by hand. */
class SlowLoad extends MemoryPersistence {
  finish: (stored: ReadonlyMap<string, string>) => void = () => undefined;
  fail: (error: Error) => void = () => undefined;
  private loads = 0;

  override load(): Promise<ReadonlyMap<string, string>> {
    if (this.loads++ > 0) return super.load();
    return new Promise((resolve, reject) => {
      this.finish = resolve;
      this.fail = reject;
    });
  }
}

let opened: TestHub[] = [];
let warn: jest.SpyInstance;

function hubWith(options: HubOptions): TestHub {
  const created = createTestHub({ locks: null, ...options });
  opened.push(created);
  return created;
}

/** Waits for `count` messages, lets anything else in flight arrive, and returns all of them. */
async function exactly(port: RawPort, count: number): Promise<Message[]> {
  await port.waitFor(count);
  await settle();
  return port.received;
}

/** Collects what an Observable emits, and whether it ended. */
function record<T>(source: { subscribe(observer: object): unknown }): {
  values: T[];
  done: string[];
} {
  const seen = { values: [] as T[], done: [] as string[] };
  source.subscribe({
    next: (value: T) => seen.values.push(value),
    error: (error: unknown) => seen.done.push(`error: ${String(error)}`),
    complete: () => seen.done.push('complete'),
  });
  return seen;
}

beforeEach(() => {
  opened = [];
  warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
});

afterEach(() => {
  for (const testHub of opened) testHub.close();
  jest.restoreAllMocks();
});

describe('Hub (persistence)', () => {
  describe('options', () => {
    it('should refuse a persistence without persist', () => {
      expect(thrownBy(() => new Hub({ persistence: new MemoryPersistence() }))).toEqual(
        new TypeError(
          'new Hub(): persistence is given but persist is not: say which channels persist (persist: true for all)',
        ),
      );
    });

    it('should refuse a persist option of the wrong kind', () => {
      expect(thrownBy(() => new Hub({ persist: 'all' as never }))).toEqual(
        new TypeError(
          'new Hub(): persist must be true, an array of names and RegExps, or a function, got "all" (string)',
        ),
      );
    });

    it('should be ready at once, and answer synchronously, when nothing persists', async () => {
      const t = hubWith({});
      await expect(t.hub.ready).resolves.toBeUndefined();
      void t.hub.publish('a', 1);
      expect(t.hub.get('a')).toBe(1);
    });

    it('should keep values in IndexedDB by default where there is one', async () => {
      const factory = freshIndexedDB();
      (globalThis as { indexedDB?: IDBFactory }).indexedDB = factory;
      try {
        const client = hubWith(withEnvironment({ persist: true })).client();
        await client.publish('settings', { theme: 'dark' });
        const stored = new IndexedDbPersistence({ indexedDB: factory });
        expect(await stored.load()).toEqual(new Map([['settings', '{"theme":"dark"}']]));
        stored.close();
      } finally {
        delete (globalThis as { indexedDB?: IDBFactory }).indexedDB;
      }
    });

    it('should fall back to memory, with a warning, where there is no IndexedDB', async () => {
      const client = hubWith(withEnvironment({ persist: true })).client();
      await client.publish('a', 1);
      expect(await client.get('a')).toBe(1);
      expect(warn).toHaveBeenCalledWith(
        '[shared-channels] persist is set, but there is no indexedDB here: persisted channels last only as long as the worker',
      );
    });
  });

  describe('loading stored values', () => {
    it('should answer a tab that asks at once with the stored value, never with "no value"', async () => {
      const persistence = new SlowLoad();
      const t = hubWith({ persist: ['settings'], persistence });
      const client = t.client();
      const get = client.get('settings');
      const seen = record(client.channel('settings'));
      await settle();
      persistence.finish(new Map([['settings', '{"theme":"dark"}']]));
      expect(await get).toEqual({ theme: 'dark' });
      expect(seen.values).toEqual([{ theme: 'dark' }]);
    });

    it('should hold every message until loaded, then answer them in arrival order', async () => {
      const persistence = new SlowLoad();
      const t = hubWith({ persist: true, persistence });
      const tab = t.rawPort();
      tab.request({ type: 'subscribe', clientId: 't', channel: 'a', requestId: 1 });
      tab.request({ type: 'get', clientId: 't', channel: 'b', requestId: 2 });
      tab.request({ type: 'ping', clientId: 't', requestId: 3 });
      await settle();
      expect(tab.received).toEqual([]);
      persistence.finish(
        new Map([
          ['a', '"stored a"'],
          ['b', '"stored b"'],
        ]),
      );
      await t.hub.ready;
      expect(await exactly(tab, 4)).toEqual([
        { type: 'subscribed', channel: 'a', requestId: 1, seq: 1 },
        { type: 'data', channel: 'a', data: 'stored a', seq: 1 },
        { type: 'data', channel: 'b', data: 'stored b', requestId: 2, seq: 2 },
        { type: 'pong', requestId: 3, instanceId: t.hub.instanceId },
      ]);
    });

    it('should drop the waiting messages of a tab that left while loading', async () => {
      const persistence = new SlowLoad();
      const t = hubWith({ persist: true, persistence });
      const tab = t.rawPort();
      tab.request({ type: 'subscribe', clientId: 'gone', channel: 'a', requestId: 1 });
      await settle();
      const [connection] = (t.hub as unknown as { tabs: { connections: Set<never> } }).tabs
        .connections;
      t.hub.disconnect(connection!);
      persistence.finish(new Map());
      await t.hub.ready;
      await settle();
      expect(tab.received).toEqual([]);
      expect(t.hub.stats().channels).toEqual([]);
    });

    it('should skip, with a warning, a stored value that no longer parses and serve the others', async () => {
      const persistence = new MemoryPersistence();
      await persistence.write(
        new Map([
          ['good', '{"v":1}'],
          ['bad', '{"v":'],
        ]),
      );
      const t = hubWith({ persist: true, persistence });
      await t.hub.ready;
      expect(t.hub.get('good')).toEqual({ v: 1 });
      expect(t.hub.get('bad')).toBeUndefined();
      expect(warn).toHaveBeenCalledWith(
        expect.stringMatching(
          /^\[shared-channels\] skipped the stored value of channel "bad": SyntaxError: /,
        ),
      );
    });

    it('should skip, with a warning, a stored value beyond the limits', async () => {
      const persistence = new MemoryPersistence();
      await persistence.write(
        new Map([
          ['long-name', '1'],
          ['ok', '"x"'],
        ]),
      );
      const t = hubWith({ persist: true, persistence, limits: { maxChannelName: 4 } });
      await t.hub.ready;
      expect(t.hub.get('ok')).toBe('x');
      expect(warn).toHaveBeenCalledWith(
        '[shared-channels] skipped the stored value of channel "long-name": LimitError: channel name limit exceeded: 9 characters (limits.maxChannelName is 4)',
      );
    });

    it('should leave on disk, unserved, a stored channel that does not persist any more', async () => {
      const persistence = new MemoryPersistence();
      await persistence.write(
        new Map([
          ['settings', '1'],
          ['prices', '2'],
        ]),
      );
      const t = hubWith({ persist: ['settings'], persistence });
      await t.hub.ready;
      expect([t.hub.get('settings'), t.hub.get('prices')]).toEqual([1, undefined]);
      expect(await persistence.load()).toEqual(
        new Map([
          ['settings', '1'],
          ['prices', '2'],
        ]),
      );
    });

    it('should serve without the stored values, and say so, when they cannot be read', async () => {
      const persistence = new SlowLoad();
      const t = hubWith({ persist: true, persistence });
      const client = t.client();
      const get = client.get('a');
      persistence.fail(new DOMException('the disk is on fire', 'UnknownError'));
      await expect(t.hub.ready).rejects.toEqual(
        new PersistenceError(
          'the stored values could not be read: UnknownError: the disk is on fire',
        ),
      );
      expect(await get).toBeUndefined();
      expect(warn).toHaveBeenCalledWith(
        '[shared-channels] the stored values could not be read: UnknownError: the disk is on fire; serving without them',
      );
      await client.publish('a', 'saved anyway');
      expect(await persistence.load()).toEqual(new Map([['a', '"saved anyway"']]));
    });
  });

  describe('publish on a persisted channel', () => {
    it('should keep the value across a restart of the hub', async () => {
      const persistence = new MemoryPersistence();
      const first = hubWith({ persist: ['settings'], persistence });
      await first.client().publish('settings', { theme: 'dark' });
      first.close();
      const restarted = hubWith({ persist: ['settings'], persistence });
      expect(await restarted.client().get('settings')).toEqual({ theme: 'dark' });
    });

    it('should keep the value in IndexedDB across a restart of the hub', async () => {
      const factory = freshIndexedDB();
      const first = new IndexedDbPersistence({ indexedDB: factory });
      await hubWith({ persist: true, persistence: first }).client().publish('doc', [1, 2, 3]);
      first.close();
      const second = new IndexedDbPersistence({ indexedDB: factory });
      const restarted = hubWith({ persist: true, persistence: second });
      expect(await restarted.client().get('doc')).toEqual([1, 2, 3]);
      second.close();
    });

    it('should acknowledge and deliver the value only once its transaction has committed', async () => {
      const persistence = new ObservedPersistence();
      const t = hubWith({ persist: true, persistence });
      const publisher = t.client();
      const subscriber = t.client();
      const seen = record(subscriber.channel('a'));
      await subscriber.get('a');
      persistence.holding = true;
      let acknowledged = false;
      const publish = publisher.publish('a', 'saved').then(() => (acknowledged = true));
      await settle();
      expect(persistence.writes).toEqual([new Map([['a', '"saved"']])]);
      expect([acknowledged, seen.values, t.hub.get('a')]).toEqual([false, [], undefined]);
      persistence.release();
      await publish;
      await subscriber.get('a');
      expect(seen.values).toEqual(['saved']);
    });

    it('should let a tab read its own write, and show a subscriber the old value then the new', async () => {
      const persistence = new ObservedPersistence();
      const t = hubWith({ persist: true, persistence });
      const client = t.client();
      await client.publish('a', 'old');
      persistence.holding = true;
      const publish = client.publish('a', 'new');
      const get = client.get('a');
      const seen = record(client.channel('a'));
      await settle();
      expect(seen.values).toEqual(['old']);
      persistence.release();
      expect(await get).toBe('new');
      await publish;
      expect(seen.values).toEqual(['old', 'new']);
    });

    it('should not hold up memory-only channels while a save is in flight', async () => {
      const persistence = new ObservedPersistence();
      const t = hubWith({ persist: ['slow'], persistence });
      const client = t.client();
      await t.hub.ready;
      persistence.holding = true;
      let saved = false;
      const slow = client.publish('slow', 1).then(() => (saved = true));
      await client.publish('fast', 2);
      expect(await client.get('fast')).toBe(2);
      expect(saved).toBe(false);
      persistence.release();
      await slow;
    });

    it('should turn a burst of 10,000 publishes from one tab into a few transactions, the last value winning', async () => {
      const factory = freshIndexedDB();
      const persistence = new ObservedPersistence(new IndexedDbPersistence({ indexedDB: factory }));
      const t = hubWith({ persist: true, persistence });
      const publisher = t.client();
      const subscriber = t.client();
      const seen = record<number>(subscriber.channel('counter'));
      await subscriber.get('counter');
      const values = Array.from({ length: 10_000 }, (_, index) => index + 1);
      const acks: number[] = [];
      await Promise.all(
        values.map((value) => publisher.publish('counter', value).then(() => acks.push(value))),
      );
      expect(acks).toEqual(values);
      expect(await subscriber.get('counter')).toBe(10_000);
      expect(seen.values).toEqual(values);
      expect(persistence.writes.length).toBeLessThanOrEqual(3);
      persistence.close();
      const stored = new IndexedDbPersistence({ indexedDB: factory });
      expect(await stored.load()).toEqual(new Map([['counter', '10000']]));
      stored.close();
    }, 20_000);

    it('should coalesce 10,000 publishes sent as separate messages into a few transactions', async () => {
      const factory = freshIndexedDB();
      const persistence = new ObservedPersistence(new IndexedDbPersistence({ indexedDB: factory }));
      const t = hubWith({ persist: true, persistence });
      await t.hub.ready;
      const tab = t.rawPort();
      for (let index = 1; index <= 10_000; index++) {
        tab.request({
          type: 'publish',
          clientId: 'raw',
          channel: 'counter',
          data: index,
          requestId: index,
        });
      }
      const replies = await tab.waitFor(10_000);
      expect(replies.map((reply) => reply.requestId)).toEqual(
        Array.from({ length: 10_000 }, (_, index) => index + 1),
      );
      expect(replies.every((reply) => reply.type === 'published')).toBe(true);
      expect(persistence.writes.length).toBeLessThan(100);
      expect(persistence.writes.at(-1)).toEqual(new Map([['counter', '10000']]));
      persistence.close();
    }, 20_000);

    it('should reject a publish it could not save with PersistenceError, change nothing, and go on serving', async () => {
      const persistence = new ObservedPersistence();
      const t = hubWith({ persist: ['settings'], persistence });
      const client = t.client();
      const watcher = t.client();
      await client.publish('settings', 'before');
      const seen = record(watcher.channel('settings'));
      await watcher.get('settings');
      persistence.failures.push(
        new DOMException('The quota has been exceeded.', 'QuotaExceededError'),
      );
      const error = (await client
        .publish('settings', 'after')
        .catch((reason: unknown) => reason)) as Error;
      expect(error).toBeInstanceOf(PersistenceError);
      expect(error.message).toBe(
        'publish("settings"): not saved, so nothing changed: QuotaExceededError: The quota has been exceeded.',
      );
      expect(await client.get('settings')).toBe('before');
      expect(seen.values).toEqual(['before']);
      await client.publish('prices', 1);
      await client.publish('settings', 'later');
      expect(await watcher.get('settings')).toBe('later');
      expect(seen.values).toEqual(['before', 'later']);
      expect(await persistence.load()).toEqual(new Map([['settings', '"later"']]));
    });

    it('should settle a worker-side publish when its value is saved, and reject one that was not', async () => {
      const persistence = new ObservedPersistence();
      const t = hubWith({ persist: ['settings'], persistence });
      await t.hub.ready;
      await t.hub.publish('settings', 'saved');
      expect(await persistence.load()).toEqual(new Map([['settings', '"saved"']]));
      persistence.failures.push(new PersistenceError('IndexedDB "x" is blocked'));
      const logged = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      const error = (await t.hub.publish('settings', 'lost').catch((e: unknown) => e)) as Error;
      expect(error).toBeInstanceOf(PersistenceError);
      expect(error.message).toBe(
        'publish("settings"): not saved, so nothing changed: IndexedDB "x" is blocked',
      );
      expect(logged).toHaveBeenCalledWith(`[shared-channels] ${error.message}`);
      logged.mockRestore();
      expect(t.hub.get('settings')).toBe('saved');
      await expect(t.hub.publish('memory-only', 1)).resolves.toBeUndefined();
      expect(t.hub.get('memory-only')).toBe(1);
    });

    it('should fail every publish of a failed transaction, and apply those of the next', async () => {
      const persistence = new ObservedPersistence();
      const t = hubWith({ persist: true, persistence });
      const client = t.client();
      await t.hub.ready;
      persistence.holding = true;
      persistence.failures.push(new PersistenceError('IndexedDB "x" is blocked'));
      const first = client.publish('a', 1).catch((error: Error) => error.message);
      await settle();
      const second = client.publish('a', 2).catch((error: Error) => error.message);
      const third = client.publish('a', 3).catch((error: Error) => error.message);
      await settle();
      persistence.release();
      expect(await first).toBe(
        'publish("a"): not saved, so nothing changed: IndexedDB "x" is blocked',
      );
      await settle();
      persistence.release();
      expect([await second, await third]).toEqual([undefined, undefined]);
      expect(persistence.writes).toEqual([new Map([['a', '1']]), new Map([['a', '3']])]);
      expect(t.hub.stats().channels).toEqual([
        expect.objectContaining({ channel: 'a', published: 2 }),
      ]);
    });

    it('should refuse a publish beyond the channel limit before writing anything', async () => {
      const persistence = new ObservedPersistence();
      const t = hubWith({ persist: true, persistence, limits: { maxChannels: 1 } });
      const client = t.client();
      await client.publish('one', 1);
      await expect(client.publish('two', 2)).rejects.toBeInstanceOf(LimitError);
      expect(persistence.writes).toEqual([new Map([['one', '1']])]);
    });

    it('should let go of a channel made for a publish that failed', async () => {
      const persistence = new ObservedPersistence();
      const t = hubWith({ persist: true, persistence });
      const client = t.client();
      persistence.failures.push(new Error('broken'));
      await expect(client.publish('a', 1)).rejects.toBeInstanceOf(PersistenceError);
      expect(t.hub.stats().channels).toEqual([]);
    });

    it('should keep a channel let go of while its value is being saved, and publish the value', async () => {
      const persistence = new ObservedPersistence();
      const t = hubWith({ persist: true, persistence });
      const client = t.client();
      await t.hub.ready;
      persistence.holding = true;
      const publish = client.publish('a', 'saved');
      const seen = record(client.channel('a'));
      await client.get('b');
      client.unsubscribe('a');
      await client.get('b');
      expect(t.hub.stats().channels.map(({ channel }) => channel)).toEqual(['a']);
      persistence.release();
      await publish;
      expect(t.hub.get('a')).toBe('saved');
      expect(seen).toEqual({ values: [], done: ['complete'] });
    });

    it('should ignore an offer for a value on disk, and take one for a channel the disk has nothing for', async () => {
      const persistence = new MemoryPersistence();
      await persistence.write(new Map([['doc', '"on disk"']]));
      const t = hubWith({ persist: ['doc', 'empty'], persistence });
      const tab = t.rawPort();
      for (const [requestId, channel] of [
        [1, 'doc'],
        [2, 'empty'],
      ] as const) {
        tab.request({
          type: 'restore',
          clientId: 't',
          channel,
          data: 'offered',
          seq: 99,
          requestId,
        });
      }
      expect(await exactly(tab, 2)).toEqual([
        { type: 'restored', channel: 'doc', requestId: 1 },
        { type: 'restored', channel: 'empty', requestId: 2 },
      ]);
      expect([t.hub.get('doc'), t.hub.get('empty')]).toEqual(['on disk', 'offered']);
      // Taken, the offer is saved like any value: the next hub loads it.
      expect((await persistence.load()).get('empty')).toBe('"offered"');
    });

    it('should save a worker-side publish before publishing it', async () => {
      const persistence = new ObservedPersistence();
      const t = hubWith({ persist: true, persistence });
      await t.hub.ready;
      const values = record(t.hub.channel('feed'));
      void t.hub.publish('feed', { n: 1 });
      expect(values.values).toEqual([]);
      await settle();
      expect(values.values).toEqual([{ n: 1 }]);
      expect(await persistence.load()).toEqual(new Map([['feed', '{"n":1}']]));
    });

    it('should log a worker-side publish it could not save, and keep the value it had', async () => {
      const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      const persistence = new ObservedPersistence();
      const t = hubWith({ persist: true, persistence });
      await t.hub.ready;
      persistence.failures.push(new Error('disk full'));
      void t.hub.publish('feed', 1);
      await settle();
      expect(t.hub.get('feed')).toBeUndefined();
      expect(error).toHaveBeenCalledWith(
        '[shared-channels] publish("feed"): not saved, so nothing changed: Error: disk full',
      );
    });
  });

  describe('clear', () => {
    it('should delete a memory-only value and leave subscriptions open for the next value', async () => {
      const t = hubWith({});
      const client = t.client();
      const other = t.client();
      const seen = record(other.channel('a'));
      await client.publish('a', 1);
      await client.publish('a', 2);
      await client.clear('a');
      expect(await client.get('a')).toBeUndefined();
      expect(await other.get('a')).toBeUndefined();
      const late = record(other.channel('a'));
      await other.get('a');
      expect(late.values).toEqual([]);
      await client.publish('a', 3);
      await other.get('a');
      expect(seen).toEqual({ values: [1, 2, 3], done: [] });
      expect(late.values).toEqual([3]);
    });

    it('should delete a persisted value on disk too', async () => {
      const persistence = new ObservedPersistence();
      const first = hubWith({ persist: true, persistence });
      const client = first.client();
      await client.publish('settings', 'x');
      await client.publish('other', 'y');
      await client.clear('settings');
      expect(persistence.writes.at(-1)).toEqual(new Map([['settings', null]]));
      first.close();
      const restarted = hubWith({ persist: true, persistence }).client();
      expect([await restarted.get('settings'), await restarted.get('other')]).toEqual([
        undefined,
        'y',
      ]);
    });

    it('should reject with PersistenceError and keep the value when the deletion fails', async () => {
      const persistence = new ObservedPersistence();
      const t = hubWith({ persist: true, persistence });
      const client = t.client();
      await client.publish('a', 1);
      persistence.failures.push(new DOMException('blocked', 'InvalidStateError'));
      const error = (await client.clear('a').catch((reason: unknown) => reason)) as Error;
      expect(error).toBeInstanceOf(PersistenceError);
      expect(error.message).toBe(
        'clear("a"): not saved, so nothing changed: InvalidStateError: blocked',
      );
      expect(await client.get('a')).toBe(1);
    });

    it('should push cleared to subscribers that announced they understand it, and to no other', async () => {
      const t = hubWith({});
      const modern = t.rawPort();
      const legacy = t.rawPort();
      modern.request({
        type: 'hello',
        clientId: 'm',
        requestId: 1,
        version: 1,
        features: ['cleared'],
      });
      modern.request({ type: 'subscribe', clientId: 'm', channel: 'a', requestId: 2 });
      legacy.request({ type: 'subscribe', clientId: 'l', channel: 'a', requestId: 1 });
      await modern.waitFor(2);
      await legacy.waitFor(1);
      void t.hub.publish('a', 'v');
      await t.hub.clear('a');
      await t.hub.clear('never-published');
      expect((await exactly(modern, 4)).slice(2)).toEqual([
        { type: 'data', channel: 'a', data: 'v', seq: 1 },
        { type: 'cleared', channel: 'a', seq: 2 },
      ]);
      expect((await exactly(legacy, 2)).slice(1)).toEqual([
        { type: 'data', channel: 'a', data: 'v', seq: 1 },
      ]);
    });

    it('should answer a clear request with cleared, numbered in the order, and number the next value after it', async () => {
      const t = hubWith({});
      const tab = t.rawPort();
      void t.hub.publish('a', 'v1');
      void t.hub.publish('a', 'v2');
      tab.request({ type: 'clear', clientId: 't', channel: 'a', requestId: 'c' });
      await tab.waitFor(1);
      void t.hub.publish('a', 'v3');
      tab.request({ type: 'get', clientId: 't', channel: 'a', requestId: 'g' });
      expect(await exactly(tab, 2)).toEqual([
        { type: 'cleared', channel: 'a', requestId: 'c', seq: 3 },
        { type: 'data', channel: 'a', data: 'v3', requestId: 'g', seq: 4 },
      ]);
    });

    it('should refuse a clear request without a channel', async () => {
      const tab = hubWith({}).rawPort();
      tab.request({ type: 'clear', clientId: 't', requestId: 1 });
      expect(await exactly(tab, 1)).toEqual([
        expect.objectContaining({
          type: 'error',
          name: 'ProtocolError',
          error: 'clear: channel must be a non-empty string, got undefined',
          requestId: 1,
        }),
      ]);
    });

    it('should clear from worker-side code, resolving once saved or rejecting with PersistenceError', async () => {
      const persistence = new ObservedPersistence();
      const t = hubWith({ persist: true, persistence });
      await t.hub.ready;
      void t.hub.publish('a', 1);
      await settle();
      persistence.failures.push(new Error('broken'));
      await expect(t.hub.clear('a')).rejects.toBeInstanceOf(PersistenceError);
      expect(t.hub.get('a')).toBe(1);
      await t.hub.clear('a');
      expect(t.hub.get('a')).toBeUndefined();
      expect(thrownBy(() => t.hub.clear(''))).toEqual(
        new TypeError('clear(): channel must be a non-empty string, got "" (string)'),
      );
    });

    it('should let a channel with no value and no subscriber go', async () => {
      const t = hubWith({});
      void t.hub.publish('a', 1);
      await t.hub.clear('a');
      expect(t.hub.stats().channels).toEqual([]);
    });
  });
});
