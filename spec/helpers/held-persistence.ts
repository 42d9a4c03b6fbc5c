import { MemoryPersistence } from '../../src/persistence/memory-persistence.js';
import type { Persistence } from '../../src/persistence/persistence.js';

/** A persistence whose writes wait for the test's `release()`, one at a time, while `holding`. */
export class HeldPersistence implements Persistence {
  readonly writes: Array<Map<string, string | null>> = [];
  holding = true;
  private readonly held: Array<() => void> = [];
  private readonly watchers: Array<() => void> = [];

  constructor(readonly inner: Persistence = new MemoryPersistence()) {}

  load(): Promise<ReadonlyMap<string, string>> {
    return this.inner.load();
  }

  async write(changes: ReadonlyMap<string, string | null>): Promise<void> {
    this.writes.push(new Map(changes));
    for (const wake of this.watchers.splice(0)) wake();
    if (this.holding) await new Promise<void>((resolve) => this.held.push(resolve));
    await this.inner.write(changes);
  }

  /** Resolves once `count` transactions have been asked for. */
  async written(count: number): Promise<void> {
    while (this.writes.length < count) {
      await new Promise<void>((resolve) => this.watchers.push(resolve));
    }
  }

  /** Lets the oldest held transaction commit. */
  release(): void {
    this.held.shift()?.();
  }

  close(): void {
    this.inner.close();
  }
}
