import { IndexedDbPersistence } from '../persistence/indexed-db-persistence.js';
import { MemoryPersistence } from '../persistence/memory-persistence.js';
import type { Persistence } from '../persistence/persistence.js';
import type { HubOptions, LockManagerLike } from './hub.js';
import { createPersistFilter } from './persist-filter.js';

/** The default database of a hub: hubs of one origin with different names keep apart. */
export function databaseName(hubName: string | undefined): string {
  return hubName ? `shared-channels:${hubName}` : 'shared-channels';
}

function defaultPersistence(hubName: string | undefined): Persistence {
  if ((globalThis as { indexedDB?: unknown }).indexedDB !== undefined) {
    return new IndexedDbPersistence({ name: databaseName(hubName) });
  }
  console.warn(
    '[shared-channels] persist is set, but there is no indexedDB here: persisted channels last only as long as the worker',
  );
  return new MemoryPersistence();
}

/**
 * A hub's options with what this context offers filled in where the caller left them out: this
 * context's Web Locks (`navigator.locks`), and, when channels persist, an IndexedDB database named after
 * the hub. The one place that reads the environment for a hub: `startSharedWorker()` and the hubs that
 * tabs run in elected and local mode pass their options through it.
 */
export function withEnvironment(options: HubOptions): HubOptions {
  const filled: HubOptions = { ...options };
  if (filled.locks === undefined) {
    filled.locks =
      (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks ?? null;
  }
  const { persist } = filled;
  const persists =
    createPersistFilter(persist) !== undefined && !(Array.isArray(persist) && persist.length === 0);
  if (filled.persistence === undefined && persists) {
    filled.persistence = defaultPersistence(filled.name);
  }
  return filled;
}
