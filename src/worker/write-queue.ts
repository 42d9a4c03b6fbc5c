import type { Persistence } from '../persistence/persistence.js';

/** Runs once the transaction holding a change has settled: with `undefined` when it committed. */
export type Settle = (error: unknown) => void;

interface Batch {
  /** Channel name to its new JSON text (`null`: delete); the last change of a channel wins. */
  readonly changes: Map<string, string | null>;
  /** In the order they were queued. */
  readonly settles: Settle[];
}

/**
 * Writes persisted channels' changes through a {@link Persistence}, one transaction at a time.
 *
 * The contract the hub's ordering rests on:
 * 1. Changes queued while a transaction is in flight go together into the next one, so a burst of
 *    10,000 publishes costs a handful of transactions, and the last value of a channel wins on disk.
 * 2. A change's `settle` runs only once the transaction holding it has committed (or failed), and every
 *    `settle` runs in the order it was queued, so values are applied and acknowledged in arrival order.
 * 3. Nothing is written before {@link WriteQueue.start}: the hub reads what is stored first.
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
    batch.settles.push(settle);
    this.schedule();
  }

  /** Runs `run` once every change queued so far for `channel` has settled; at once when there is none. */
  afterWrites(channel: string, run: () => void): void {
    const batch = this.next?.changes.has(channel)
      ? this.next
      : this.inFlight?.changes.has(channel)
        ? this.inFlight
        : undefined;
    if (batch) batch.settles.push(run);
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
    // Through a Promise, so that a persistence that throws fails the batch like one that rejects.
    Promise.resolve(batch.changes)
      .then((changes) => this.persistence.write(changes))
      .then(
        () => this.settle(batch, undefined),
        (error: unknown) => this.settle(batch, error ?? new Error('the write failed')),
      );
  }

  private settle(batch: Batch, error: unknown): void {
    this.inFlight = undefined;
    for (const settle of batch.settles) settle(error);
    // What queued up meanwhile goes at once: it has waited a whole transaction already.
    this.flush();
  }
}
