import type { Persistence } from '../persistence/persistence.js';

/** Runs once the change it was queued with has been stored (`undefined`) or refused (the error). */
export type Settle = (error: unknown) => void;

/** The changes that go to the persistence together, and who waits for them. */
interface Batch {
  /** Channel name to its new JSON text (`null`: delete); the last change of a channel wins. */
  readonly changes: Map<string, string | null>;
  /** In the order they were queued, each with the channel whose outcome it gets. */
  readonly settles: Array<{ readonly channel: string; readonly settle: Settle }>;
}

/**
 * Writes persisted channels' changes through a {@link Persistence}, one transaction at a time.
 *
 * The contract the hub's ordering rests on:
 * 1. Changes queued while a transaction is in flight go together into the next one, so a burst of
 *    10,000 publishes costs a handful of transactions, and the last value of a channel wins on disk.
 * 2. A change's `settle` runs only once its channel's change in the batch has committed (or failed),
 *    and every `settle` runs in the order it was queued, so values are applied and acknowledged in
 *    arrival order. The settles of a batch all run once the whole batch is done, retries included.
 * 3. One channel's failure is not another's: when a transaction holding several channels' changes
 *    fails, they are written again apart (by halves, see `writeApart`), and only a change that
 *    fails in a transaction of its own settles with an error. Several changes of one channel in a batch
 *    are one change, the last: its settles all get that change's outcome.
 * 4. A `settle` that throws is reported with `console.error` and stops nothing: the batch's other
 *    settles run, and so do the later batches.
 * 5. Nothing is written before {@link WriteQueue.start}: the hub reads what is stored first.
 */
export class WriteQueue {
  private inFlight: Batch | undefined = undefined;
  private next: Batch | undefined = undefined;
  private started = false;
  private flushQueued = false;

  constructor(private readonly persistence: Persistence) {}

  /** Lets writes begin. */
  start(): void {
    this.started = true;
    this.schedule();
  }

  /** Queues `json` (`null`: none) as the channel's stored value; `settle` says how it went. */
  write(channel: string, json: string | null, settle: Settle): void {
    const batch: Batch = (this.next ??= { changes: new Map(), settles: [] } satisfies Batch);
    batch.changes.set(channel, json);
    batch.settles.push({ channel, settle });
    this.schedule();
  }

  /** Runs `run` once every change queued so far for `channel` has settled; at once when there is none. */
  afterWrites(channel: string, run: () => void): void {
    const batch = this.next?.changes.has(channel)
      ? this.next
      : this.inFlight?.changes.has(channel)
        ? this.inFlight
        : undefined;
    if (batch) batch.settles.push({ channel, settle: run });
    else run();
  }

  private schedule(): void {
    if (!this.started || this.inFlight || this.flushQueued || !this.next) return;
    this.flushQueued = true;
    // A microtask, not at once: everything queued in this task (a whole batch message from a tab)
    // joins the same transaction.
    queueMicrotask(() => {
      this.flushQueued = false;
      this.flush();
    });
  }

  private flush(): void {
    const batch = this.next;
    if (!batch || this.inFlight) return;
    this.next = undefined;
    this.inFlight = batch;
    // Never rejects: every failure of the persistence becomes an outcome, every settle is guarded.
    void this.run(batch);
  }

  private async run(batch: Batch): Promise<void> {
    const failures = new Map<string, unknown>();
    await this.writeApart(batch.changes, failures);
    this.inFlight = undefined;
    for (const { channel, settle } of batch.settles) {
      try {
        settle(failures.get(channel));
      } catch (error) {
        console.error('[shared-channels] a callback run after a write threw', error);
      }
    }
    // What queued up meanwhile goes at once: it has waited a whole transaction already.
    this.flush();
  }

  /**
   * Writes `changes` in one transaction. When that fails and it holds more than one channel's change,
   * writes each half apart, in the original order, and so on down, so that a change gets an error only
   * when it fails in a transaction of its own; the error of that transaction is recorded in `failures`.
   *
   * Halves rather than one change at a time: the usual failure is one value too big for the quota
   * among many fine ones, which costs about 2·log2(n) more transactions this way instead of n. When
   * every change fails on its own (the database is broken), it costs 2n - 1 instead of n + 1, on a
   * path that fails anyway. The retry is safe because a failed transaction stored nothing (the
   * {@link Persistence} contract), and since a batch holds one change per channel, the order of the
   * transactions cannot change what ends up on disk.
   */
  private async writeApart(
    changes: ReadonlyMap<string, string | null>,
    failures: Map<string, unknown>,
  ): Promise<void> {
    const error = await this.attempt(changes);
    if (error === undefined) return;
    if (changes.size === 1) {
      for (const channel of changes.keys()) failures.set(channel, error);
      return;
    }
    const entries = [...changes];
    const middle = Math.ceil(entries.length / 2);
    await this.writeApart(new Map(entries.slice(0, middle)), failures);
    await this.writeApart(new Map(entries.slice(middle)), failures);
  }

  /** One transaction: `undefined` when it committed, else the error (never `undefined` then). */
  private async attempt(changes: ReadonlyMap<string, string | null>): Promise<unknown> {
    try {
      // Inside the try, so that a persistence that throws fails like one that rejects.
      await this.persistence.write(changes);
      return undefined;
    } catch (error) {
      return error ?? new Error('the write failed');
    }
  }
}
