/**
 * Where a hub keeps the values of its persisted channels. The hub depends on this interface only; the
 * library ships {@link IndexedDbPersistence} (the default in a browser) and {@link MemoryPersistence}.
 *
 * Values travel as JSON text, exactly as the hub holds and sends them, so nothing is serialised twice.
 *
 * The contract:
 * - `load()` resolves with every stored value by channel name. The hub reads it once, before it answers
 *   any tab, and skips (with a warning) a value whose text no longer parses.
 * - `write(changes)` stores every change in one atomic transaction (`null` deletes the channel's value)
 *   and resolves only once that transaction is durable; it rejects when nothing was stored.
 * - The hub never has two writes in flight, so an implementation need not order them.
 */
export interface Persistence {
  load(): Promise<ReadonlyMap<string, string>>;
  write(changes: ReadonlyMap<string, string | null>): Promise<void>;
  /** Lets go of the storage (closes the database); a later call opens it again. */
  close(): void;
}
