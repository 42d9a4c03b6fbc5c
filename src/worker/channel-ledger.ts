import { PersistenceError, toWire } from '../errors.js';
import type { Persistence } from '../persistence/persistence.js';
import { encodeCleared, encodeData } from '../wire.js';
import {
  ChannelStore,
  outranks,
  type Channel,
  type ChannelValue,
  type OfferRank,
} from './channel-store.js';
import type { Connection } from './connection.js';
import { WriteQueue } from './write-queue.js';

/** Runs once a change is applied, or with the error that left everything as it was. */
type Done = (error: PersistenceError | undefined) => void;

/**
 * Every channel's value and its place in one order: publishes, clears and offers, each saved first for a
 * persisted channel. The hub's intake decides what to ask; this decides what each change does.
 *
 * The rules:
 * - every publish, clear and accepted offer takes the next number of one clock, whatever the channel, so
 *   a channel's `seq` only grows, across clears and the channel being let go;
 * - an offer (a tab's newest value from the hub before this one) counts only where this hub has not
 *   decided the channel itself: nothing published or cleared here, nothing stored or being saved; among
 *   offers, the newest wins: the one from the latest hub (by its start), then the highest old `seq`;
 * - a persisted channel's change is applied once its transaction committed, in the order changes came;
 *   the channel is kept meanwhile, so applying it never fails.
 */
export class ChannelLedger {
  readonly store: ChannelStore<Connection>;
  /** Values accepted since the hub started, and values pushed to tabs (one per subscriber per value). */
  published = 0;
  delivered = 0;
  private clock = 0;
  /** Channels cleared at this hub (oldest first): an offer made before the clear must not undo it. */
  private readonly tombstones = new Set<string>();
  private readonly writes: WriteQueue | undefined;

  constructor(
    private readonly maxChannels: number,
    /** True for a channel whose value is saved; undefined when nothing persists. */
    private readonly persists: ((channel: string) => boolean) | undefined,
    persistence: Persistence | undefined,
  ) {
    this.store = new ChannelStore(maxChannels);
    this.writes = persistence && new WriteQueue(persistence);
  }

  isPersisted(channel: string): boolean {
    return this.persists?.(channel) ?? false;
  }

  /**
   * True when the channel's value is one a tab offered back after a restart, and its JSON is `json`: a
   * publish of it sent again by a tab that never heard the old hub's answer was applied there already.
   */
  isOffered(name: string, json: string): boolean {
    const current = this.store.get(name)?.value$.value;
    return current?.offer !== undefined && current.json === json;
  }

  /** Runs `run` after the channel's pending saves (at once for a memory channel): read your writes. */
  afterWrites(channel: string, run: () => void): void {
    if (this.writes && this.isPersisted(channel)) this.writes.afterWrites(channel, run);
    else run();
  }

  /**
   * Publishes a value: at once for a memory channel; for a persisted one, once saved. The channel is made
   * first, so that a full hub refuses with `LimitError` (thrown) before anything is written.
   */
  publish(name: string, json: string, done: Done): void {
    const channel = this.store.ensure(name);
    if (!this.writes || !this.isPersisted(name)) {
      this.commit(channel, json);
      done(undefined);
      return;
    }
    channel.pendingWrites++;
    this.writes.write(name, json, (error) => {
      channel.pendingWrites--;
      if (error !== undefined) {
        this.store.release(channel);
        done(saveFailed('publish', name, error));
        return;
      }
      this.commit(channel, json);
      done(undefined);
    });
  }

  /**
   * Deletes a channel's value: on disk first when it persists, then in memory, telling subscribers.
   * `done` gets the clear's place in the order.
   */
  clear(name: string, done: (error: PersistenceError | undefined, seq: number) => void): void {
    // At once, not when saved: an offer arriving while the delete is written must not undo it either.
    this.tombstone(name);
    if (!this.writes || !this.isPersisted(name)) {
      done(undefined, this.forget(name));
      return;
    }
    const channel = this.store.get(name);
    if (channel) channel.pendingWrites++;
    this.writes.write(name, null, (error) => {
      if (channel) channel.pendingWrites--;
      if (error !== undefined) {
        if (channel) this.store.release(channel);
        done(saveFailed('clear', name, error), 0);
        return;
      }
      done(undefined, this.forget(name));
    });
  }

  /** A tab's offer of the newest value it saw at the hub before this one (`restore`); see the rules. */
  offer(name: string, json: string, rank: OfferRank, done: () => void): void {
    if (!this.acceptsOffer(name, rank)) {
      done();
      return;
    }
    const channel = this.store.ensure(name);
    if (!this.writes || !this.isPersisted(name)) {
      this.applyOffer(channel, json, rank);
      done();
      return;
    }
    // A persisted channel with nothing on disk (the database was deleted, or could not be read) takes
    // the offer too, saved first like any value.
    channel.pendingWrites++;
    channel.pendingOffers++;
    if (outranks(rank, channel.pendingOffer)) channel.pendingOffer = rank;
    this.writes.write(name, json, (error) => {
      channel.pendingWrites--;
      if (--channel.pendingOffers === 0) channel.pendingOffer = undefined;
      // Offers are saved and applied in the order they came, each higher than the one before.
      if (error === undefined) this.applyOffer(channel, json, rank);
      else this.store.release(channel);
      done();
    });
  }

  /**
   * Puts the stored values into their channels (each checked by `check`, skipped with a warning when it
   * fails), then lets writes begin.
   */
  load(stored: ReadonlyMap<string, string>, check: (name: string, json: string) => void): void {
    for (const [name, json] of stored) {
      try {
        // A channel stored under another persist setting stays on disk, unserved.
        if (!this.isPersisted(name)) continue;
        check(name, json);
        JSON.parse(json);
        this.store.ensure(name).value$.next({ json, seq: ++this.clock });
      } catch (error) {
        console.warn(
          `[shared-channels] skipped the stored value of channel ${JSON.stringify(name)}: ${describeError(error)}`,
        );
      }
    }
    this.writes?.start();
  }

  /**
   * Takes an accepted offer. The value the channel holds, offered again with a higher rank (a tab that
   * heard it from a later hub than the tab that offered it first, as when leaders fall in quick
   * succession), is not news: it keeps its number and is not pushed again; only its rank rises.
   */
  private applyOffer(channel: Channel<Connection>, json: string, rank: OfferRank): void {
    const current = channel.value$.value;
    if (current?.offer !== undefined && current.json === json) {
      channel.value$.next({ json, seq: current.seq, offer: rank });
      return;
    }
    this.fanOut(channel, { json, seq: ++this.clock, offer: rank });
  }

  /** Accepts a published value: the next number of the clock, the counters, and the fan-out. */
  private commit(channel: Channel<Connection>, json: string): void {
    channel.published++;
    channel.lastPublished = Date.now();
    this.published++;
    this.fanOut(channel, { json, seq: ++this.clock });
  }

  /**
   * Stores a value and pushes it, serialised once, to every subscriber (in the order they came). Tabs are
   * sent the value before worker-side observers see it: an observer that publishes in reply must not
   * overtake the value it replies to.
   */
  private fanOut(channel: Channel<Connection>, value: ChannelValue): void {
    const subscribers = channel.subscribers;
    if (subscribers !== undefined && subscribers.length > 0) {
      const message = encodeData(channel.name, value.json, value.seq);
      for (const subscriber of subscribers) subscriber.send(message);
      this.delivered += subscribers.length;
    }
    channel.value$.next(value);
  }

  /** Drops a channel's value in memory and pushes `cleared` to the subscribers that understand it. */
  private forget(name: string): number {
    const seq = ++this.clock;
    const channel = this.store.get(name);
    if (channel?.value$.value !== undefined) {
      const message = encodeCleared(name, seq);
      for (const subscriber of channel.subscribers ?? []) {
        if (subscriber.hearsCleared) subscriber.send(message);
      }
      channel.value$.next(undefined);
    }
    if (channel) this.store.release(channel);
    return seq;
  }

  private tombstone(name: string): void {
    this.tombstones.delete(name);
    this.tombstones.add(name);
    // Bounded like the channels themselves; the oldest clears are the least likely to meet an offer.
    if (this.tombstones.size > this.maxChannels) {
      this.tombstones.delete(this.tombstones.values().next().value!);
    }
  }

  private acceptsOffer(name: string, rank: OfferRank): boolean {
    if (this.tombstones.has(name)) return false;
    const channel = this.store.get(name);
    if (channel === undefined) return true;
    // A publish or a clear being saved is this hub's own decision, newer than any offer.
    if (channel.pendingWrites > channel.pendingOffers) return false;
    const current = channel.value$.value;
    if (current !== undefined && current.offer === undefined) return false;
    return outranks(rank, current?.offer) && outranks(rank, channel.pendingOffer);
  }
}

/** `Name: message`, for warnings and wrapped errors. */
export function describeError(error: unknown): string {
  const { name, message } = toWire(error);
  return `${name}: ${message}`;
}

function saveFailed(call: 'publish' | 'clear', channel: string, error: unknown): PersistenceError {
  const reason = error instanceof PersistenceError ? error.message : describeError(error);
  return new PersistenceError(
    `${call}(${JSON.stringify(channel)}): not saved, so nothing changed: ${reason}`,
    { cause: error },
  );
}
