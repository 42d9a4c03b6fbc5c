import type { Persistence } from './persistence.js';

/**
 * A {@link Persistence} in a `Map`: what survives is what the same instance holds. Tests give one instance
 * to two hubs in turn to stand for a worker restart; a hub falls back to it where there is no IndexedDB.
 *
 * ```ts
 * const persistence = new MemoryPersistence();
 * new Hub({ persist: true, persistence });
 * ```
 */
export class MemoryPersistence implements Persistence {
  private readonly values = new Map<string, string>();

  /** A copy of what is stored: later writes do not change it. */
  load(): Promise<ReadonlyMap<string, string>> {
    return Promise.resolve(new Map(this.values));
  }

  write(changes: ReadonlyMap<string, string | null>): Promise<void> {
    for (const [channel, json] of changes) {
      if (json === null) this.values.delete(channel);
      else this.values.set(channel, json);
    }
    return Promise.resolve();
  }

  close(): void {
    // Nothing to let go of: the values stay for the next hub that is given this instance.
  }
}
