import type { IDBPDatabase } from 'idb';
import { PersistenceError } from '../../src/errors.js';
import { openDatabase, toPersistenceError } from '../../src/persistence/open-database.js';
import { UPGRADES, type Upgrade } from '../../src/persistence/schema.js';
import { freshIndexedDB, openByHand, putByHand, readByHand } from '../helpers/indexed-db.js';

describe('openDatabase()', () => {
  let factory: IDBFactory;
  const opened: Array<IDBDatabase | IDBPDatabase<unknown>> = [];
  const gone = jest.fn();

  beforeEach(() => {
    factory = freshIndexedDB();
    gone.mockReset();
  });

  afterEach(() => {
    for (const database of opened.splice(0)) database.close();
  });

  async function open(upgrades: readonly Upgrade[]): Promise<IDBPDatabase<unknown>> {
    const database = await openDatabase<unknown>(factory, 'db', upgrades, { gone });
    opened.push(database);
    return database;
  }

  // The next schema, as a later release would append it: it moves every record into a new store.
  const secondStep: Upgrade = (database, transaction) => {
    const moved = database.createObjectStore('values-v2');
    const old = transaction.objectStore('channels');
    void old.getAll().then(async (records: Array<{ channel: string; json: string }>) => {
      for (const record of records) await moved.put(record.json, record.channel);
    });
  };

  it('should create a new database with every step, at the version they reach', async () => {
    const database = await open(UPGRADES);
    expect(database.version).toBe(1);
    expect([...database.objectStoreNames]).toEqual(['channels']);
  });

  it('should upgrade a database of version 1, made by hand, with the later steps only and keep its data', async () => {
    const byHand = await openByHand(factory, 'db', 1, (db) =>
      db.createObjectStore('channels', { keyPath: 'channel' }),
    );
    await putByHand(byHand, 'channels', [{ channel: 'settings', json: '{"a":1}', format: 1 }]);
    byHand.close();
    const firstStep = jest.fn(UPGRADES[0]);
    const database = await open([firstStep, secondStep]);
    expect(firstStep).not.toHaveBeenCalled();
    expect(database.version).toBe(2);
    expect(await database.getAll('values-v2')).toEqual(['{"a":1}']);
    expect(await database.getAllKeys('values-v2')).toEqual(['settings']);
  });

  it('should run no step on a database that is up to date', async () => {
    (await open(UPGRADES)).close();
    const step = jest.fn();
    await open([step]);
    expect(step).not.toHaveBeenCalled();
  });

  it('should reject with PersistenceError when a step throws, and leave the database as it was', async () => {
    (await open(UPGRADES)).close();
    const failing: Upgrade = () => {
      throw new Error('a step that fails');
    };
    const error = (await open([UPGRADES[0]!, failing]).catch((reason: unknown) => reason)) as Error;
    expect(error).toEqual(
      new PersistenceError(
        'IndexedDB "db" could not be upgraded from version 1 to 2: Error: a step that fails',
      ),
    );
    const database = await openByHand(factory, 'db', 1);
    opened.push(database);
    expect(await readByHand(database, 'channels')).toEqual([]);
  });

  it('should reject at once with PersistenceError when an older connection blocks the upgrade', async () => {
    const blocker = await openByHand(factory, 'db', 1, (db) =>
      db.createObjectStore('channels', { keyPath: 'channel' }),
    );
    blocker.onversionchange = () => undefined; // a connection that does not step aside
    const error = (await open([UPGRADES[0]!, secondStep]).catch(
      (reason: unknown) => reason,
    )) as Error;
    expect(error).toEqual(
      new PersistenceError(
        'IndexedDB "db" is blocked: another connection holds an older version open',
      ),
    );
    blocker.close();
    // The blocked request goes through once the blocker has closed; its connection is not kept.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const database = await open([UPGRADES[0]!, secondStep]);
    expect(database.version).toBe(2);
  });

  it('should close and say it is gone when a newer version is asked for', async () => {
    await open(UPGRADES);
    const newer = await openByHand(factory, 'db', 2);
    newer.close();
    expect(gone).toHaveBeenCalledTimes(1);
  });
});

describe('toPersistenceError()', () => {
  it('should keep a PersistenceError as it is', () => {
    const error = new PersistenceError('blocked');
    expect(toPersistenceError('opening', error)).toBe(error);
  });

  it('should name a DOMException and keep it as the cause', () => {
    const cause = new DOMException('full', 'QuotaExceededError');
    const error = toPersistenceError('writing', cause);
    expect(error).toEqual(new PersistenceError('writing: QuotaExceededError: full'));
    expect(error.cause).toBe(cause);
  });

  it('should describe anything else by its text', () => {
    expect(toPersistenceError('writing', null).message).toBe('writing: null');
  });
});
