import { BehaviorSubject } from 'rxjs';
import { LimitError } from '../errors.js';

/**
 * Where an offered value stood at the hub before this one: when that hub started, and its `seq` there.
 * A later hub's values are newer than an earlier one's, whatever their numbers.
 */
export interface OfferRank {
  readonly epoch: number;
  readonly seq: number;
}

/** True when `a` is newer than `b` (or `b` is none). */
export function outranks(a: OfferRank, b: OfferRank | undefined): boolean {
  return b === undefined || a.epoch > b.epoch || (a.epoch === b.epoch && a.seq > b.seq);
}

/** A channel's latest value as the hub keeps it: serialised once, when it was published. */
export interface ChannelValue {
  /** The value as JSON text, ready to splice into every message that carries it. */
  readonly json: string;
  /**
   * The value's place in the hub's order: a number from the hub's one clock, so it grows on every channel
   * across clears, and a tab can tell a newer value from an older one.
   */
  readonly seq: number;
  /**
   * Set when a tab offered the value after a hub restart (`restore`): the old hub's `seq` of it, which
   * the next offers are compared with. A publish here replaces it.
   */
  readonly offer?: OfferRank;
}

/** One channel: its latest value, the tabs subscribed to it, and counters for `stats`. */
export class Channel<Subscriber> {
  /** The latest value; `undefined` until the first publish. */
  readonly value$ = new BehaviorSubject<ChannelValue | undefined>(undefined);
  /**
   * The tabs subscribed, in the order they came. An array, made on the first subscription: most
   * channels have no or few subscribers, and a Set costs three times the memory of a small array.
   */
  subscribers: Subscriber[] | undefined = undefined;
  published = 0;
  lastPublished: number | null = null;
  /** Changes of this channel being saved: the channel is kept until they are applied. */
  pendingWrites = 0;
  /** Of those, offers (`restore`), and the highest among them. */
  pendingOffers = 0;
  pendingOffer: OfferRank | undefined = undefined;

  constructor(readonly name: string) {}

  get subscriberCount(): number {
    return this.subscribers?.length ?? 0;
  }

  /** Adds a subscriber; the caller makes sure it is not one already. */
  addSubscriber(subscriber: Subscriber): void {
    (this.subscribers ??= []).push(subscriber);
  }

  removeSubscriber(subscriber: Subscriber): void {
    const index = this.subscribers?.indexOf(subscriber) ?? -1;
    if (index >= 0) this.subscribers!.splice(index, 1);
  }

  /** True while anything (a value, a tab, worker-side code) still needs this channel. */
  get isInUse(): boolean {
    return (
      this.value$.value !== undefined ||
      this.subscriberCount > 0 ||
      this.value$.observed ||
      this.pendingWrites > 0
    );
  }
}

/**
 * Every channel of one hub, by name. A `Map`, so `__proto__` or `constructor` are ordinary channels.
 */
export class ChannelStore<Subscriber> {
  private readonly channels = new Map<string, Channel<Subscriber>>();

  constructor(private readonly maxChannels: number) {}

  get size(): number {
    return this.channels.size;
  }

  get(name: string): Channel<Subscriber> | undefined {
    return this.channels.get(name);
  }

  /** The channel named `name`, made if it is new. */
  ensure(name: string): Channel<Subscriber> {
    let channel = this.channels.get(name);
    if (channel) return channel;
    if (this.channels.size >= this.maxChannels) {
      throw new LimitError(
        `channel limit reached: the hub holds ${this.maxChannels} channels (limits.maxChannels)`,
      );
    }
    channel = new Channel<Subscriber>(name);
    this.channels.set(name, channel);
    return channel;
  }

  /** Forgets the channel when nothing needs it any more, so churn of names does not leak. */
  release(channel: Channel<Subscriber>): void {
    if (!channel.isInUse && this.channels.get(channel.name) === channel) {
      this.channels.delete(channel.name);
    }
  }

  values(): IterableIterator<Channel<Subscriber>> {
    return this.channels.values();
  }
}
