import type { HistoryOp, HistoryStep } from '../fixtures/history-recorder.js';
import type { SeededRandom } from './seeded-random.js';

/** The gap before each step is drawn from [0, MAX_GAP_MS]. */
export const MAX_GAP_MS = 40;
/** Share of publishes on the random channels that send a big value. */
const BIG_SHARE = 0.02;
/** A big value's size in characters: near the default limit of 1 MiB of JSON. */
const BIG_SIZE = { min: 900_000, max: 1_000_000 } as const;
/** Share of steps that replace the value of a bulk channel. */
const BULK_SHARE = 0.01;
/** How long a stall lasts (ms). */
const STALL_MS = { min: 3_000, max: 5_000 } as const;
/** Most Subscriptions one tab keeps open on one channel at a time. */
const MOST_PER_CHANNEL = 2;

/**
 * The channels of a run. The random operations use `random`. Every `bulk` channel holds a big value,
 * and every tab subscribes to all of them for life: when the hub restarts, a tab then offers it back
 * more than one message may carry (the hub bounded a message to 16 values of 1 MiB), all within the
 * default limits.
 */
export interface WorkloadChannels {
  readonly random: readonly string[];
  readonly bulk: readonly string[];
}

/** What a tab's next script depends on: its label, its values' counter and its open Subscriptions. */
export interface TabModel {
  readonly label: string;
  /** False until its first script, which starts with the subscriptions an app makes at startup. */
  started: boolean;
  published: number;
  readonly open: Map<string, number>;
}

/** How a tab leaves: closed as a user would, closed with its goodbye silenced, or ended abruptly. */
export type Departure = 'close' | 'no-goodbye' | 'abrupt';

/** Where the faults strike: a SharedWorker can be killed; an elected hub dies with its leader's tab. */
export type HistoryMode = 'shared-worker' | 'elected';

/** What may go wrong during a round. */
export type FaultKind = 'kill' | 'stall' | 'depart';

/** One fault of a round, `at` ms after the round's scripts started. */
export type Fault =
  | { readonly kind: 'kill'; readonly at: number; readonly from: number }
  | { readonly kind: 'stall'; readonly at: number; readonly ms: number; readonly from: number }
  | {
      readonly kind: 'depart';
      readonly at: number;
      readonly how: Departure;
      /** `leader`: the elected leader's tab; a number: the open tab of that index (modulo). */
      readonly who: 'leader' | number;
    };

/** A fresh tab's model. */
export function newTabModel(label: string): TabModel {
  return { label, started: false, published: 0, open: new Map() };
}

/**
 * The next `steps` steps of `tab`: publishes of unique values (`<tab>.<n>`, a few of them ~1 MB),
 * gets, clears, and Subscriptions opened and ended, on random channels with random gaps, and now and
 * then a new big value on a bulk channel. A tab that has just joined first subscribes to most random
 * channels and every bulk one, as an app does at startup.
 */
export function tabScript(
  random: SeededRandom,
  tab: TabModel,
  channels: WorkloadChannels,
  steps: number,
): HistoryStep[] {
  const script: HistoryStep[] = [];
  if (!tab.started) {
    tab.started = true;
    for (const channel of channels.random) {
      if (random.chance(0.75)) script.push({ gap: 0, op: open(tab, channel) });
    }
    for (const channel of channels.bulk) script.push({ gap: 0, op: open(tab, channel) });
  }
  while (script.length < steps) {
    script.push({ gap: random.int(0, MAX_GAP_MS), op: nextOp(random, tab, channels) });
  }
  return script;
}

/** A big value for every bulk channel, one after another: what a run starts with. */
export function fillScript(
  random: SeededRandom,
  tab: TabModel,
  bulk: readonly string[],
): HistoryStep[] {
  return bulk.map((channel) => ({ gap: 1, op: publish(random, tab, channel, true) }));
}

function publish(random: SeededRandom, tab: TabModel, channel: string, big: boolean): HistoryOp {
  tab.published += 1;
  const id = `${tab.label}.${tab.published}`;
  return big
    ? { kind: 'publish', channel, id, size: random.int(BIG_SIZE.min, BIG_SIZE.max) }
    : { kind: 'publish', channel, id };
}

function nextOp(random: SeededRandom, tab: TabModel, channels: WorkloadChannels): HistoryOp {
  if (channels.bulk.length > 0 && random.chance(BULK_SHARE)) {
    return publish(random, tab, random.pick(channels.bulk), true);
  }
  const channel = random.pick(channels.random);
  const roll = random.next();
  if (roll < 0.45) return publish(random, tab, channel, random.chance(BIG_SHARE));
  if (roll < 0.63) return { kind: 'get', channel };
  if (roll < 0.68) return { kind: 'clear', channel };
  const count = tab.open.get(channel) ?? 0;
  if (roll < 0.97) {
    const subscribe = count === 0 || (count < MOST_PER_CHANNEL && random.chance(0.5));
    if (subscribe) return open(tab, channel);
    tab.open.set(channel, count - 1);
    return { kind: 'unsubscribe', channel };
  }
  if (count === 0) return open(tab, channel);
  tab.open.set(channel, 0);
  return { kind: 'unsubscribeAll', channel };
}

function open(tab: TabModel, channel: string): HistoryOp {
  tab.open.set(channel, (tab.open.get(channel) ?? 0) + 1);
  return { kind: 'subscribe', channel };
}

/**
 * The faults of round `round`, whose scripts last about `span` ms: one of each allowed kind in turn (so
 * that every kind strikes in every run), then a second of any kind half of the time, at random times
 * within the span. Stalls last 3-5 s; in elected mode most departures are the leader's.
 */
export function roundFaults(
  random: SeededRandom,
  mode: HistoryMode,
  allowed: ReadonlySet<FaultKind>,
  round: number,
  span: number,
): Fault[] {
  // An elected hub cannot be killed apart from its tab: a departure, often the leader's, stands for it.
  const all: FaultKind[] =
    mode === 'shared-worker' ? ['kill', 'stall', 'depart'] : ['stall', 'depart'];
  const kinds = all.filter((kind) => allowed.has(kind));
  if (kinds.length === 0) return [];
  const chosen = [kinds[round % kinds.length]!];
  if (random.chance(0.5)) chosen.push(random.pick(kinds));
  const faults = chosen.map((kind): Fault => {
    const at = random.int(0, span);
    const from = random.int(0, 1_000);
    switch (kind) {
      case 'kill':
        return { kind, at, from };
      case 'stall':
        return { kind, at, from, ms: random.int(STALL_MS.min, STALL_MS.max) };
      case 'depart': {
        const how = random.pick<Departure>(['close', 'no-goodbye', 'abrupt']);
        const who = mode === 'elected' && random.chance(0.6) ? 'leader' : random.int(0, 1_000);
        return { kind, at, how, who };
      }
      default: {
        const unknown: never = kind;
        throw new TypeError(`roundFaults(): unknown fault kind ${String(unknown)}`);
      }
    }
  });
  return faults.sort((a, b) => a.at - b.at);
}
