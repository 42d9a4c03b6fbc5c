import { wrap, type IDBPDatabase } from 'idb';
import { PersistenceError } from '../errors.js';
import type { Upgrade } from './schema.js';

/** What to tell the opener once the database is open. */
export interface OpenDatabaseCallbacks {
  /**
   * The connection is gone for good: the browser closed it (storage cleared, disk error), or a newer
   * schema asked for the database and this connection stepped aside. The next use must open it again.
   */
  gone(): void;
}

/**
 * Opens `name` at version `upgrades.length` in `factory`, running the upgrade steps from the version on
 * disk, and wraps the connection with idb.
 *
 * idb's own `openDB` always uses the global `indexedDB`; this is the same few lines over a factory the
 * caller chooses, so that tests can give each case a fresh fake-indexeddb `IDBFactory`.
 */
export function openDatabase<Schema>(
  factory: IDBFactory,
  name: string,
  upgrades: readonly Upgrade[],
  callbacks: OpenDatabaseCallbacks,
): Promise<IDBPDatabase<Schema>> {
  return new Promise((resolve, reject) => {
    let blocked = false;
    const request = factory.open(name, upgrades.length);
    request.onupgradeneeded = (event) => {
      const database = wrap(request.result);
      const transaction = wrap(request.transaction!) as unknown as Parameters<Upgrade>[1];
      // A failed upgrade is reported through the open request, below.
      transaction.done.catch(() => undefined);
      let version = event.oldVersion;
      try {
        for (; version < upgrades.length; version++) upgrades[version]!(database, transaction);
      } catch (error) {
        // Aborting rolls the whole upgrade back, so the database stays as the last release left it.
        transaction.abort();
        reject(
          toPersistenceError(
            `IndexedDB "${name}" could not be upgraded from version ${version} to ${version + 1}`,
            error,
          ),
        );
      }
    };
    // Only a connection that ignores `versionchange` (ours close on it) blocks an upgrade. Waiting
    // could take forever, and the hub must go on serving: fail now, and let the next write try again.
    request.onblocked = () => {
      blocked = true;
      reject(
        new PersistenceError(
          `IndexedDB "${name}" is blocked: another connection holds an older version open`,
        ),
      );
    };
    request.onerror = () => {
      reject(toPersistenceError(`IndexedDB "${name}" could not be opened`, request.error));
    };
    request.onsuccess = () => {
      const connection = request.result;
      if (blocked) {
        connection.close();
        return;
      }
      // https://developer.mozilla.org/en-US/docs/Web/API/IDBDatabase/versionchange_event: a newer
      // release (another worker URL, another deploy) wants to upgrade; a connection left open blocks it.
      connection.onversionchange = () => {
        connection.close();
        callbacks.gone();
      };
      // Fired when the browser closes the connection itself (the user cleared site data, a disk error);
      // Safari has been seen to do it spontaneously (idb-keyval resets its connection on it too).
      connection.onclose = () => callbacks.gone();
      resolve(wrap(connection) as IDBPDatabase<Schema>);
    };
  });
}

/** Wraps what IndexedDB threw as a PersistenceError that says what was being done. */
export function toPersistenceError(doing: string, cause: unknown): PersistenceError {
  if (cause instanceof PersistenceError) return cause;
  // A DOMException is an Error in today's engines, but not in every older one: read it by its fields.
  const { name, message } = (typeof cause === 'object' && cause !== null ? cause : {}) as {
    name?: unknown;
    message?: unknown;
  };
  const reason =
    typeof name === 'string' && typeof message === 'string' ? `${name}: ${message}` : String(cause);
  return new PersistenceError(`${doing}: ${reason}`, { cause });
}
