import { Subject, type Observer } from 'rxjs';

/**
 * One channel this tab subscribes to: its local subscribers share one subscription on the wire, and the
 * channel decides what of the hub's pushes reaches them.
 *
 * The rules:
 * - a value older than the one the tab has (a lower `seq`) is dropped;
 * - after a reconnect, the hub's first push may repeat what the subscribers already saw: a repeat is not
 *   news to them, only to the subscribers that came while the channel was being subscribed again (who
 *   were not given the tab's copy, as it may be stale);
 * - a channel the hub has no value for (a `cleared` push, or a `subscribed` reply without `seq`) is
 *   emptied: no value for new subscribers until the next push.
 */
export class RemoteChannel {
  readonly values$ = new Subject<unknown>();
  subscribers = 0;
  /** True once the hub confirmed the subscription; values pushed before that belong to an older one. */
  live = false;
  private hasValue = false;
  private value: unknown = undefined;
  /** The sequence number of `value` at the current hub (0 after a reconnect to a new one). */
  private seq = 0;
  /** Where `value` stood at the hub that last numbered it, to rank an offer of it to a new hub. */
  private rank = { seq: 0, epoch: 0 };
  /** After a reconnect to a new hub, the value the tab showed, as JSON, to tell a repeat by its content. */
  private resync: string | undefined = undefined;
  /** Subscribers that came while the channel was being subscribed again (see the rules). */
  private readonly awaiting = new Set<Observer<unknown>>();

  /** Adds a local subscriber: it gets the current value now, or the hub's first push if resubscribing. */
  attach(subscriber: Observer<unknown>): () => void {
    this.subscribers++;
    if (this.live && this.hasValue) subscriber.next(this.value);
    else if (this.hasValue || this.resync !== undefined) this.awaiting.add(subscriber);
    const subscription = this.values$.subscribe(subscriber);
    return () => {
      subscription.unsubscribe();
      this.awaiting.delete(subscriber);
      this.subscribers--;
    };
  }

  /**
   * What to offer a new hub (`restore`): the newest value with the old hub's number; undefined when the
   * tab has none to offer.
   */
  offer(): { json: string; seq: number; epoch: number } | undefined {
    // Also while a subscription sent to a hub that died at once is still pending (two restarts in a
    // row): the tab's value is still the newest it knows.
    if (!this.hasValue || this.rank.seq === 0) return undefined;
    return { json: JSON.stringify(this.value), ...this.rank };
  }

  /**
   * The link to the hub was replaced and the channel is about to be subscribed again. A new hub numbers
   * anew, so its first push is told a repeat by its content; the same hub's numbers still tell it.
   */
  resubscribing(sameHub: boolean): void {
    this.live = false;
    if (sameHub) return;
    this.resync = this.hasValue ? JSON.stringify(this.value) : undefined;
    this.seq = 0;
  }

  /**
   * The hub confirmed the subscription; `seq` is its current value's, which follows, or none. A hub with
   * none empties the channel; what the subscribers saw is kept to tell a repeat, should a tab offer the
   * same value back a moment later.
   */
  subscribed(seq: number | undefined): void {
    this.live = true;
    if (seq !== undefined) return;
    this.hasValue = false;
    this.value = undefined;
  }

  /** A value the hub pushed; `epoch` is when that hub started (0: unknown). */
  push(data: unknown, seq: number | undefined, epoch = 0): void {
    if (!this.live) return;
    // Older than what the tab has (a push that overtook nothing: numbered before a clear, or before the
    // value shown): dropped whole.
    if (seq !== undefined && seq < this.seq) return;
    let repeat = seq !== undefined && seq === this.seq;
    if (seq !== undefined && seq > this.seq) {
      this.seq = seq;
      this.rank = { seq, epoch };
    }
    if (this.resync !== undefined) {
      repeat ||= this.resync === JSON.stringify(data);
      this.resync = undefined;
    }
    const awaiting = [...this.awaiting];
    this.awaiting.clear();
    if (repeat) {
      // The tab's copy comes back if the hub had none for a moment (see `subscribed`).
      if (!this.hasValue) {
        this.hasValue = true;
        this.value = data;
      }
      for (const subscriber of awaiting) subscriber.next(this.value);
      return;
    }
    this.hasValue = true;
    this.value = data;
    this.values$.next(data);
  }

  /** The hub cleared the channel: no value until the next push; values numbered before it are older. */
  cleared(seq: number | undefined): void {
    if (!this.live) return;
    if (seq !== undefined && seq > this.seq) this.seq = seq;
    this.empty();
  }

  private empty(): void {
    this.hasValue = false;
    this.value = undefined;
    this.resync = undefined;
    this.awaiting.clear();
  }
}
