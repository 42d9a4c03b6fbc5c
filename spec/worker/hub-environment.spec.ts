import { IndexedDbPersistence } from '../../src/persistence/indexed-db-persistence.js';
import { MemoryPersistence } from '../../src/persistence/memory-persistence.js';
import type { HubOptions } from '../../src/worker/hub.js';
import { withEnvironment } from '../../src/worker/hub-environment.js';
import { FakeLockManager } from '../helpers/fake-locks.js';
import { freshIndexedDB } from '../helpers/indexed-db.js';

const global = globalThis as { indexedDB?: IDBFactory };

/**
 * What `withEnvironment()` fills in from this context. How a hub then keeps its values (in
 * `shared-channels:<name>`, or in memory with a warning) is in hub.persistence.spec.ts and
 * hub.guarantees.spec.ts.
 */
describe('withEnvironment()', () => {
  let warn: jest.SpyInstance;

  beforeEach(() => {
    warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  });

  afterEach(() => {
    warn.mockRestore();
    delete (navigator as unknown as Record<string, unknown>).locks;
    delete global.indexedDB;
  });

  function installLocks(): FakeLockManager {
    const locks = new FakeLockManager();
    Object.defineProperty(navigator, 'locks', { value: locks, configurable: true });
    return locks;
  }

  describe('locks', () => {
    it("should use this context's navigator.locks when none are given", () => {
      const locks = installLocks();
      expect(withEnvironment({}).locks).toBe(locks);
    });

    it('should be null where there are no Web Locks', () => {
      expect('locks' in navigator).toBe(false);
      expect(withEnvironment({}).locks).toBeNull();
    });

    it('should keep locks: null, even where there are Web Locks', () => {
      installLocks();
      expect(withEnvironment({ locks: null }).locks).toBeNull();
    });

    it('should keep the locks given', () => {
      installLocks();
      const given = new FakeLockManager();
      expect(withEnvironment({ locks: given }).locks).toBe(given);
    });
  });

  describe('persistence', () => {
    it.each<[string, HubOptions['persist']]>([
      ['is left out', undefined],
      ['is false', false],
    ])('should add none when persist %s, even where there is IndexedDB', (_, persist) => {
      global.indexedDB = freshIndexedDB();
      expect(withEnvironment({ persist, locks: null }).persistence).toBeUndefined();
    });

    it('should add none, and not warn, when nothing persists where there is no IndexedDB', () => {
      expect(withEnvironment({ locks: null }).persistence).toBeUndefined();
      expect(warn).not.toHaveBeenCalled();
    });

    it('should add none, and not warn, when persist is an empty list (nothing persists)', () => {
      expect(withEnvironment({ persist: [], locks: null }).persistence).toBeUndefined();
      expect(warn).not.toHaveBeenCalled();
    });

    it.each<[string, HubOptions['persist']]>([
      ['a list of names', ['settings']],
      ['a RegExp', [/^cart:/]],
      ['a predicate', (channel: string) => channel === 'settings'],
    ])(
      'should add an IndexedDbPersistence named after the hub when persist is %s',
      async (_, persist) => {
        const factory = freshIndexedDB();
        global.indexedDB = factory;
        const { persistence } = withEnvironment({ persist, name: 'prices', locks: null });
        expect(persistence).toBeInstanceOf(IndexedDbPersistence);
        await persistence!.write(new Map([['settings', '"dark"']]));
        persistence!.close();
        expect((await factory.databases()).map(({ name }) => name)).toEqual([
          'shared-channels:prices',
        ]);
        expect(warn).not.toHaveBeenCalled();
      },
    );

    it('should use memory where there is no IndexedDB', () => {
      expect(withEnvironment({ persist: true, locks: null }).persistence).toBeInstanceOf(
        MemoryPersistence,
      );
    });

    it('should never replace the persistence given, nor warn where there is no IndexedDB', () => {
      const persistence = new MemoryPersistence();
      expect(withEnvironment({ persist: true, persistence, locks: null }).persistence).toBe(
        persistence,
      );
      expect(warn).not.toHaveBeenCalled();
    });

    it('should never replace the persistence given where there is IndexedDB', async () => {
      const factory = freshIndexedDB();
      global.indexedDB = factory;
      const persistence = new MemoryPersistence();
      expect(withEnvironment({ persist: true, persistence, locks: null }).persistence).toBe(
        persistence,
      );
      expect(await factory.databases()).toEqual([]);
    });
  });

  it('should keep every other option, and leave the options given as they were', () => {
    const locks = installLocks();
    const persist = ['settings'];
    const given: HubOptions = { persist, name: 'prices', limits: { maxChannels: 5 } };
    const filled = withEnvironment(given);
    expect(filled).toEqual({
      persist,
      name: 'prices',
      limits: { maxChannels: 5 },
      locks,
      persistence: expect.any(MemoryPersistence) as unknown,
    });
    expect(given).toEqual({ persist, name: 'prices', limits: { maxChannels: 5 } });
  });
});
