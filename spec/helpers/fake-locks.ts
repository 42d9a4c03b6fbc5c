/**
 * A Web Locks manager with the browser's semantics for exclusive locks (one holder per name, requests
 * granted in order, a lock released when its callback's promise settles), plus `crash(name)`: the holder
 * loses the lock as a tab does when its context dies.
 */
export class FakeLockManager {
  private readonly queues = new Map<string, Array<() => void>>();
  private readonly holders = new Map<string, () => void>();

  request(name: string, callback: () => unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const run = (): void => {
        let released = false;
        const release = (): void => {
          if (released) return;
          released = true;
          this.holders.delete(name);
          this.queues.get(name)?.shift()?.();
        };
        this.holders.set(name, release);
        Promise.resolve().then(callback).then(resolve, reject).finally(release);
      };
      if (this.holders.has(name)) {
        const queue = this.queues.get(name) ?? [];
        queue.push(run);
        this.queues.set(name, queue);
      } else {
        run();
      }
    });
  }

  isHeld(name: string): boolean {
    return this.holders.has(name);
  }

  /** The holder's context died: the lock passes to the next request. */
  crash(name: string): void {
    this.holders.get(name)?.();
  }
}
