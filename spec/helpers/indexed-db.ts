import {
  IDBCursor,
  IDBCursorWithValue,
  IDBDatabase,
  IDBFactory,
  IDBIndex,
  IDBKeyRange,
  IDBObjectStore,
  IDBOpenDBRequest,
  IDBRequest,
  IDBTransaction,
  IDBVersionChangeEvent,
} from 'fake-indexeddb';

// idb recognises IndexedDB objects with `instanceof` against the global classes (IDBRequest,
// IDBDatabase, ...), which jsdom lacks: lend it fake-indexeddb's. `indexedDB` itself stays absent, so a
// test says which factory it uses, and each gets a fresh one (a new, empty origin) from freshIndexedDB().
Object.assign(globalThis, {
  IDBCursor,
  IDBCursorWithValue,
  IDBDatabase,
  IDBFactory,
  IDBIndex,
  IDBKeyRange,
  IDBObjectStore,
  IDBOpenDBRequest,
  IDBRequest,
  IDBTransaction,
  IDBVersionChangeEvent,
});

/** An empty IndexedDB of its own, as a new browser profile has. */
export function freshIndexedDB(): IDBFactory {
  return new IDBFactory();
}

/** Opens `name` at `version` by hand with raw IndexedDB, running `upgrade` if it is new. */
export function openByHand(
  factory: IDBFactory,
  name: string,
  version: number,
  upgrade?: (database: IDBDatabase, transaction: IDBTransaction) => void,
): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = factory.open(name, version);
    request.onupgradeneeded = () => upgrade?.(request.result, request.transaction!);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('open failed'));
  });
}

/** Puts `records` into `store` with raw IndexedDB (out-of-line `keys` when given) and waits for commit. */
export function putByHand(
  database: IDBDatabase,
  store: string,
  records: unknown[],
  keys?: IDBValidKey[],
): Promise<void> {
  return new Promise((resolve, reject) => {
    const transaction = database.transaction(store, 'readwrite');
    records.forEach((record, index) => transaction.objectStore(store).put(record, keys?.[index]));
    transaction.oncomplete = () => resolve();
    transaction.onerror = () => reject(transaction.error ?? new Error('write failed'));
  });
}

/** Every record of `store`, read with raw IndexedDB. */
export function readByHand(database: IDBDatabase, store: string): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const request = database.transaction(store).objectStore(store).getAll();
    request.onsuccess = () => resolve(request.result as unknown[]);
    request.onerror = () => reject(request.error ?? new Error('read failed'));
  });
}
