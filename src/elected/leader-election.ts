import type { LockManagerLike } from '../transport.js';

/**
 * One tab's candidacy: it asks for the leader lock at once and, once granted, holds it until
 * {@link LeaderElection.close} or until the tab dies. Web Locks grant an exclusive lock to one holder
 * at a time, in the order it was asked for, and hand it to the next tab that asked the moment the
 * holder's context is gone (closed, crashed, discarded): the first tab to ask leads, and a successor is
 * waiting in line from the start.
 *
 * ```ts
 * const election = new LeaderElection(navigator.locks, 'shared-channels:v1:leader', () => startHub());
 * ```
 */
export class LeaderElection {
  private resign: (() => void) | undefined = undefined;
  private closed = false;

  /** @param onElected called once, when this tab becomes the leader; never after `close()`. */
  constructor(locks: LockManagerLike, lockName: string, onElected: () => void) {
    locks
      .request(
        lockName,
        () =>
          new Promise<void>((release) => {
            // A tab that gave up waiting may still be granted the lock later: it passes it on at once.
            if (this.closed) {
              release();
              return;
            }
            this.resign = release;
            onElected();
          }),
      )
      .catch(() => {
        // The lock manager refused (the page is being torn down): this tab never leads.
      });
  }

  /** True while this tab holds the leader lock. */
  get leading(): boolean {
    return this.resign !== undefined;
  }

  /** Withdraws: releases the lock if held (the next tab in line leads), or gives up waiting for it. */
  close(): void {
    this.closed = true;
    const resign = this.resign;
    this.resign = undefined;
    resign?.();
  }
}
