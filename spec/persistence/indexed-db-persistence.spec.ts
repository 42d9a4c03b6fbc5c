import { forceCloseDatabase } from 'fake-indexeddb';
import { PersistenceError } from '../../src/errors.js';
import { IndexedDbPersistence } from '../../src/persistence/indexed-db-persistence.js';
import { freshIndexedDB, openByHand, putByHand, readByHand } from '../helpers/indexed-db.js';
import { thrownBy } from '../helpers/thrown-by.js';

describe('IndexedDbPersistence', () => {
  let factory: IDBFactory;
  let persistence: IndexedDbPersistence;
  let warn: jest.SpyInstance;
  const opened: IDBDatabase[] = [];

  beforeEach(() => {
    factory = freshIndexedDB();
    persistence = new IndexedDbPersistence({ indexedDB: factory });
    warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  });

  afterEach(() => {
    persistence.close();
    for (const database of opened.splice(0)) database.close();
    jest.restoreAllMocks();
  });

  async function byHand(
    version: number,
    upgrade?: (database: IDBDatabase) => void,
  ): Promise<IDBDatabase> {
    const database = await openByHand(factory, 'shared-channels', version, upgrade);
    opened.push(database);
    return database;
  }

  describe('constructor', () => {
    it('should refuse a name that is not a non-empty string', () => {
      expect(thrownBy(() => new IndexedDbPersistence({ name: '', indexedDB: factory }))).toEqual(
        new TypeError('IndexedDbPersistence(): name must be a non-empty string, got "" (string)'),
      );
    });

    it('should refuse a durability other than strict or relaxed', () => {
      expect(
        thrownBy(
          () => new IndexedDbPersistence({ durability: 'default' as never, indexedDB: factory }),
        ),
      ).toEqual(
        new TypeError(
          `IndexedDbPersistence(): durability must be 'strict' or 'relaxed', got "default" (string)`,
        ),
      );
    });

    it('should refuse to be made where there is no indexedDB', () => {
      expect('indexedDB' in globalThis).toBe(false);
      expect(thrownBy(() => new IndexedDbPersistence())).toEqual(
        new TypeError('IndexedDbPersistence(): there is no indexedDB here; pass options.indexedDB'),
      );
    });

    it('should use the global indexedDB by default', async () => {
      (globalThis as { indexedDB?: IDBFactory }).indexedDB = factory;
      try {
        const byDefault = new IndexedDbPersistence();
        await byDefault.write(new Map([['a', '1']]));
        byDefault.close();
        expect(await persistence.load()).toEqual(new Map([['a', '1']]));
      } finally {
        delete (globalThis as { indexedDB?: IDBFactory }).indexedDB;
      }
    });
  });

  describe('.load()', () => {
    it('should find nothing in a new profile, and leave the database at the current version', async () => {
      expect(await persistence.load()).toEqual(new Map());
      persistence.close();
      const database = await byHand(1);
      expect([...database.objectStoreNames]).toEqual(['channels']);
    });

    it('should read what another instance wrote, as a restarted worker does', async () => {
      await persistence.write(
        new Map([
          ['settings', '{"theme":"dark"}'],
          ['count', '3'],
        ]),
      );
      persistence.close();
      const restarted = new IndexedDbPersistence({ indexedDB: factory });
      expect(await restarted.load()).toEqual(
        new Map([
          ['count', '3'],
          ['settings', '{"theme":"dark"}'],
        ]),
      );
      restarted.close();
    });

    it('should read a database of the current version made by hand, record by record', async () => {
      const database = await byHand(1, (db) =>
        db.createObjectStore('channels', { keyPath: 'channel' }),
      );
      await putByHand(database, 'channels', [
        { channel: 'cart:1', json: '[1,2]', format: 1 },
        { channel: 'settings', json: 'null', format: 1 },
      ]);
      database.close();
      expect(await persistence.load()).toEqual(
        new Map([
          ['cart:1', '[1,2]'],
          ['settings', 'null'],
        ]),
      );
      expect(warn).not.toHaveBeenCalled();
    });

    it('should skip, with a warning, a record it cannot read and keep the others', async () => {
      await persistence.write(new Map([['good', '1']]));
      persistence.close();
      const database = await byHand(1);
      await putByHand(database, 'channels', [
        { channel: 'future', json: '2', format: 2 },
        { channel: 'broken', json: 42, format: 1 },
      ]);
      database.close();
      expect(await persistence.load()).toEqual(new Map([['good', '1']]));
      expect(warn.mock.calls).toEqual([
        [
          `[shared-channels] skipped the stored value of channel "broken": the record's json is 42 (number), not a string`,
        ],
        [
          `[shared-channels] skipped the stored value of channel "future": the record's format is 2 (number); this release reads format 1`,
        ],
      ]);
    });

    it('should reject with PersistenceError when the database is of a newer release', async () => {
      (await byHand(7)).close();
      const error = (await persistence.load().catch((reason: unknown) => reason)) as Error;
      expect(error).toBeInstanceOf(PersistenceError);
      expect(error.message).toMatch(
        /^IndexedDB "shared-channels" could not be opened: VersionError: /,
      );
    });
  });

  describe('.close()', () => {
    it('should let a load under way finish, then close its connection', async () => {
      const loading = persistence.load();
      persistence.close();
      expect(await loading).toEqual(new Map());
    });

    it('should quietly drop a connection that is still opening and then fails', async () => {
      (await byHand(7)).close();
      const loading = persistence.load();
      persistence.close();
      await expect(loading).rejects.toBeInstanceOf(PersistenceError);
    });
  });

  describe('.write()', () => {
    it('should store one record per channel in the documented format, and delete on null', async () => {
      await persistence.write(
        new Map([
          ['a', '{"v":1}'],
          ['b', '"x"'],
        ]),
      );
      await persistence.write(new Map<string, string | null>([['a', null]]));
      persistence.close();
      const database = await byHand(1);
      expect(await readByHand(database, 'channels')).toEqual([
        { channel: 'b', json: '"x"', format: 1 },
      ]);
    });

    it('should write every change of one call in one strict transaction', async () => {
      await persistence.load();
      const transaction = jest.spyOn(IDBDatabase.prototype, 'transaction');
      await persistence.write(
        new Map([
          ['a', '1'],
          ['b', '2'],
          ['c', '3'],
        ]),
      );
      expect(transaction.mock.calls).toEqual([['channels', 'readwrite', { durability: 'strict' }]]);
    });

    it('should commit relaxed when asked to', async () => {
      const relaxed = new IndexedDbPersistence({ indexedDB: factory, durability: 'relaxed' });
      await relaxed.load();
      const transaction = jest.spyOn(IDBDatabase.prototype, 'transaction');
      await relaxed.write(new Map([['a', '1']]));
      expect(transaction.mock.calls).toEqual([
        ['channels', 'readwrite', { durability: 'relaxed' }],
      ]);
      relaxed.close();
    });

    it('should reject with PersistenceError and store nothing when the transaction aborts, as a full quota does', async () => {
      await persistence.write(new Map([['kept', '"before"']]));
      // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with its store as `this`
      const put = IDBObjectStore.prototype.put;
      jest.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (
        this: IDBObjectStore,
        ...args: Parameters<IDBObjectStore['put']>
      ) {
        const request = put.apply(this, args);
        this.transaction.abort();
        return request;
      });
      const error = (await persistence
        .write(new Map([['kept', '"after"']]))
        .catch((reason: unknown) => reason)) as Error;
      expect(error).toBeInstanceOf(PersistenceError);
      expect(error.message).toMatch(
        /^IndexedDB "shared-channels" could not be written: AbortError/,
      );
      jest.restoreAllMocks();
      expect(await persistence.load()).toEqual(new Map([['kept', '"before"']]));
    });

    it('should reject with PersistenceError and store nothing when a value is refused at once', async () => {
      await persistence.write(new Map([['kept', '"before"']]));
      // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with its store as `this`
      const put = IDBObjectStore.prototype.put;
      let calls = 0;
      jest.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (
        this: IDBObjectStore,
        ...args: Parameters<IDBObjectStore['put']>
      ) {
        if (++calls === 2) {
          throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        }
        return put.apply(this, args);
      });
      const error = (await persistence
        .write(
          new Map([
            ['kept', '"after"'],
            ['big', '"too big"'],
          ]),
        )
        .catch((reason: unknown) => reason)) as Error;
      expect(error).toBeInstanceOf(PersistenceError);
      expect(error.message).toBe(
        'IndexedDB "shared-channels" could not be written: QuotaExceededError: The quota has been exceeded.',
      );
      jest.restoreAllMocks();
      expect(await persistence.load()).toEqual(new Map([['kept', '"before"']]));
    });

    it('should open the database again after the browser closed it', async () => {
      const open = jest.spyOn(factory, 'open');
      await persistence.write(new Map([['a', '1']]));
      const connection = (open.mock.results[0]!.value as IDBOpenDBRequest).result;
      // fake-indexeddb's stand-in for the browser closing a connection (site data cleared, disk error).
      forceCloseDatabase(connection as never);
      await persistence.write(new Map([['b', '2']]));
      expect(open).toHaveBeenCalledTimes(2);
      expect(await persistence.load()).toEqual(
        new Map([
          ['a', '1'],
          ['b', '2'],
        ]),
      );
    });

    it('should step aside for a newer release, then fail with PersistenceError', async () => {
      await persistence.write(new Map([['a', '1']]));
      // A newer deploy opens the database at version 2: ours closes instead of blocking it.
      const newer = await byHand(2);
      newer.close();
      const error = (await persistence
        .write(new Map([['a', '2']]))
        .catch((reason: unknown) => reason)) as Error;
      expect(error).toBeInstanceOf(PersistenceError);
      expect(error.message).toMatch(
        /^IndexedDB "shared-channels" could not be opened: VersionError: /,
      );
    });

    it('should start a new database after the old one was deleted under it', async () => {
      await persistence.write(new Map([['a', '1']]));
      await new Promise<void>((resolve, reject) => {
        const request = factory.deleteDatabase('shared-channels');
        request.onsuccess = () => resolve();
        request.onerror = () => reject(request.error ?? new Error('delete failed'));
        request.onblocked = () => reject(new Error('the persistence blocked the deletion'));
      });
      await persistence.write(new Map([['b', '2']]));
      expect(await persistence.load()).toEqual(new Map([['b', '2']]));
    });

    it('should keep databases of different names apart', async () => {
      const other = new IndexedDbPersistence({ indexedDB: factory, name: 'other-app' });
      await other.write(new Map([['a', 'true']]));
      expect(await persistence.load()).toEqual(new Map());
      expect(await other.load()).toEqual(new Map([['a', 'true']]));
      other.close();
    });
  });
});
