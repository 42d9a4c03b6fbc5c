import type { IDBPDatabase } from 'idb';
import { describeValue } from '../protocol.js';
import { openDatabase, toPersistenceError } from './open-database.js';
import type { Persistence } from './persistence.js';
import { RECORD_FORMAT, STORE, UPGRADES, readRecord, type ChannelsSchema } from './schema.js';

/** Options of {@link IndexedDbPersistence}. */
export interface IndexedDbPersistenceOptions {
  /** The database's name. Default `'shared-channels'`; two hubs of one origin need two names. */
  name?: string | undefined;
  /** Where to open it. Default `globalThis.indexedDB`; tests pass a fake-indexeddb `IDBFactory`. */
  indexedDB?: IDBFactory | undefined;
  /**
   * How a write commits. `'strict'` (default): the transaction completes only once the OS has flushed
   * it to disk, so an acknowledged publish survives even a power cut. `'relaxed'`: once it is in the OS's
   * buffers, which is faster and still survives the browser closing or crashing, but not the machine.
   * Chrome made `'relaxed'` its default in version 121, so the default is given explicitly:
   * https://developer.chrome.com/blog/indexeddb-durability-mode-now-defaults-to-relaxed
   */
  durability?: 'strict' | 'relaxed' | undefined;
}

const DEFAULT_NAME = 'shared-channels';

/**
 * Persisted channels in IndexedDB, through idb: one record per channel, every write in one transaction.
 *
 * The database is opened on first use and opened again after the browser closed it or a newer schema
 * took it over, so a worker that lives for days survives "clear site data" and deploys.
 *
 * ```ts
 * startSharedWorker({ persist: ['settings'], persistence: new IndexedDbPersistence({ name: 'my-app' }) });
 * ```
 */
export class IndexedDbPersistence implements Persistence {
  private readonly name: string;
  private readonly factory: IDBFactory;
  private readonly durability: 'strict' | 'relaxed';
  private database: Promise<IDBPDatabase<ChannelsSchema>> | undefined = undefined;

  constructor(options: IndexedDbPersistenceOptions = {}) {
    const { name = DEFAULT_NAME, durability = 'strict' } = options;
    if (typeof name !== 'string' || name === '') {
      throw new TypeError(
        `IndexedDbPersistence(): name must be a non-empty string, got ${describeValue(name)}`,
      );
    }
    if (durability !== 'strict' && durability !== 'relaxed') {
      throw new TypeError(
        `IndexedDbPersistence(): durability must be 'strict' or 'relaxed', got ${describeValue(durability)}`,
      );
    }
    const factory =
      options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB ?? undefined;
    if (factory === undefined) {
      throw new TypeError(
        'IndexedDbPersistence(): there is no indexedDB here; pass options.indexedDB',
      );
    }
    this.name = name;
    this.factory = factory;
    this.durability = durability;
  }

  /** Every stored value; a record this release cannot read is skipped with a warning. */
  async load(): Promise<ReadonlyMap<string, string>> {
    let keys: IDBValidKey[];
    let records: unknown[];
    try {
      const transaction = (await this.open()).transaction(STORE, 'readonly');
      [keys, records] = await Promise.all([
        transaction.store.getAllKeys(),
        transaction.store.getAll(),
        transaction.done,
      ]);
    } catch (error) {
      throw this.failed('could not be read', error);
    }
    const values = new Map<string, string>();
    // getAllKeys and getAll of one transaction list the same records in the same (key) order.
    records.forEach((record, index) => {
      const key = keys[index]!;
      const read = readRecord(key, record);
      if (typeof read === 'string') {
        console.warn(
          `[shared-channels] skipped the stored value of channel ${JSON.stringify(key)}: ${read}`,
        );
      } else {
        values.set(read[0], read[1]);
      }
    });
    return values;
  }

  /** Stores every change in one transaction; resolves once it has committed. */
  async write(changes: ReadonlyMap<string, string | null>): Promise<void> {
    try {
      const database = await this.open();
      const transaction = database.transaction(STORE, 'readwrite', {
        durability: this.durability,
      });
      // Every request's promise is awaited with the transaction's: each one rejects when the transaction
      // aborts (a full quota aborts it at commit), and an unawaited one would be an unhandled rejection.
      const settled: Array<Promise<unknown>> = [transaction.done];
      try {
        for (const [channel, json] of changes) {
          settled.push(
            json === null
              ? transaction.store.delete(channel)
              : transaction.store.put({ channel, json, format: RECORD_FORMAT }),
          );
        }
      } catch (error) {
        // A request refused at once (a value it cannot store): none of this write may be kept.
        transaction.abort();
        void Promise.allSettled(settled);
        throw error;
      }
      await Promise.all(settled);
    } catch (error) {
      throw this.failed('could not be written', error);
    }
  }

  close(): void {
    const database = this.database;
    this.database = undefined;
    database?.then(
      (connection) => connection.close(),
      () => undefined,
    );
  }

  /** The open connection, opened now if there is none (or the last one went away). */
  private open(): Promise<IDBPDatabase<ChannelsSchema>> {
    if (this.database) return this.database;
    const opening = openDatabase<ChannelsSchema>(this.factory, this.name, UPGRADES, {
      gone: () => {
        if (this.database === opening) this.database = undefined;
      },
    });
    this.database = opening;
    // A failed open is not remembered: the next call tries again (the blocker may have closed).
    opening.catch(() => {
      if (this.database === opening) this.database = undefined;
    });
    return opening;
  }

  private failed(what: string, error: unknown): Error {
    // A connection that is closing throws InvalidStateError on transaction(): open a fresh one next time.
    if ((error as { name?: unknown } | null)?.name === 'InvalidStateError') this.close();
    return toPersistenceError(`IndexedDB "${this.name}" ${what}`, error);
  }
}
