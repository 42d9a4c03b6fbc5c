import type {
  RequestRecord,
  SubscriptionRecord,
  TabHistory,
} from '../fixtures/history-recorder.js';

/**
 * How much two pages' clocks may disagree when the check compares times of different tabs (ms). Every
 * page reads the one system clock, but Firefox coarsens `Date.now()` to 1 ms and jitters it; a larger
 * slack only makes the check skip a few pairs too close to call.
 */
export const CLOCK_SLACK_MS = 5;

/** The rules of {@link checkHistory}, by name. */
export type CheckName =
  | 'duplicate'
  | 'phantom'
  | 'order'
  | 'lost'
  | 'final'
  | 'observable'
  | 'rejected'
  | 'quiescence'
  | 'restart';

/** One way the history breaks a rule. */
export interface Violation {
  readonly check: CheckName;
  readonly tab?: string;
  readonly channel?: string;
  readonly value?: string;
  readonly detail: string;
}

/** What a history check recorded, for {@link checkHistory}. */
export interface RecordedHistory {
  /** When the run began (epoch ms): times in reports are relative to it. */
  readonly startedAt: number;
  readonly channels: readonly string[];
  /** Every tab's records: a tab that left was pulled just before it left. */
  readonly tabs: readonly TabHistory[];
  /** The tabs open at the end, which made the final gets. */
  readonly finalTabs: readonly string[];
  /** The tab that joined after quiescence: its first values are what the hub holds. */
  readonly fresh: string;
  /** The faults the run struck, and whether each replaces the hub by a new, empty one. */
  readonly faults: readonly FaultTimes[];
  /** Tabs that never became quiet (scripts done, nothing pending, connection open), and why. */
  readonly unquiet: ReadonlyArray<{ readonly tab: string; readonly detail: string }>;
}

/**
 * A fault, by the clock every page shares. `replaces`: `always` (a killed worker, the elected leader's
 * tab gone), `maybe` (a tab that leaves in SharedWorker mode: the worker may live in its renderer
 * process, and die with it), `never` (a stall, another tab leaving an elected hub).
 */
export interface FaultTimes {
  readonly what: string;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly replaces: 'always' | 'maybe' | 'never';
}

/** A resolved request: its settle fields are set. */
type Settled = RequestRecord & { settledAt: number; settledTick: number };

/** An interval of one tab's life during which its connection stayed `open`: one link, one hub. */
interface OpenWindow {
  readonly startTick: number;
  readonly startAt: number;
  readonly endTick: number;
}

function isResolved(request: RequestRecord): request is Settled {
  return request.outcome === 'resolved';
}

/**
 * True when `a` is certainly done at the hub before `b` reaches it: `a` was acknowledged before `b` was
 * issued. Within a tab, by the tab's exact order of events; across tabs, by the clock, with slack.
 */
function happensBefore(a: RequestRecord, b: RequestRecord): boolean {
  if (!isResolved(a)) return false;
  if (a.tab === b.tab) return a.settledTick < b.issuedTick;
  return a.settledAt + CLOCK_SLACK_MS < b.issuedAt;
}

/** The tick at which a Subscription stopped listening: ended, errored, completed or pulled. */
function endOf(subscription: SubscriptionRecord, tab: TabHistory): number {
  return Math.min(
    subscription.endedTick ?? Infinity,
    subscription.errorTick ?? Infinity,
    subscription.completedTick ?? Infinity,
    tab.pulledTick,
  );
}

function openWindows(tab: TabHistory): OpenWindow[] {
  const windows: OpenWindow[] = [];
  tab.states.forEach((entry, index) => {
    if (entry.state !== 'open') return;
    const next = tab.states[index + 1];
    windows.push({
      startTick: entry.tick,
      startAt: entry.at,
      endTick: next?.tick ?? tab.pulledTick,
    });
  });
  return windows;
}

function firstOccurrences(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/**
 * Checks a recorded history against what the library promises. Each rule is strict, yet true of a
 * correct implementation under every fault the check injects:
 *
 * 1. `duplicate`: no Subscription sees a value twice (every value is published once, so a repeat is
 *    a publish applied twice, or an old value brought back). `phantom`: every value seen or got was
 *    published, on that channel.
 * 2. `order`: the Subscriptions of a channel agree on one order (the graph of "seen right before"
 *    edges has no cycle), and no Subscription sees a value after one that was published only once the
 *    first had been acknowledged (what was acknowledged before another was sent is ordered before it).
 * 3. `lost`: a Subscription sees every publish acknowledged while it was provably registered on its
 *    tab's connection: the tab got an answer to a request sent after it subscribed and answered
 *    before the publish was sent, and to another sent after the publish was acknowledged, both on one
 *    connection (no reconnect between). The hub pushes a value to every registered subscriber before
 *    it acknowledges it, and answers a tab in order, so the value reached that tab before the second
 *    answer. Across a reconnect only the newest value is promised: pairs spanning one are not checked.
 * 4. `final`: after quiescence every tab is served by one hub (one `instanceId`); every tab's `get`
 *    agrees; every open Subscription's last value is that value (unless there is none: a clear is not
 *    observable); a tab that joins then gets exactly it; and it is the effect of an operation that no
 *    acknowledged later one superseded. After a hub restart only operations sent after it are held to
 *    that: values no tab held at the restart are lost by design.
 * 5. `observable`: no channel Observable errors, and none completes but by `client.unsubscribe()`.
 * 6. `rejected`: no request fails, except with a `TimeoutError` (counted in the summary, not a
 *    violation: a slow machine may be slower than a timeout). `quiescence`: every tab gets quiet.
 * 7. `restart`: the hub is replaced only by a fault that can replace it (a kill, the elected leader's
 *    tab leaving, in SharedWorker mode any tab leaving: the worker may live in its renderer process),
 *    one new hub per fault. A stall must not cost the hub its life, nor the values only it held.
 *
 * Times of different tabs are compared with {@link CLOCK_SLACK_MS} of slack, times of one tab by its
 * exact order of events. One theoretical gap: a worker ended by CDP between two ports' flushes of one
 * task could deliver a value to a subscriber and lose its publisher's acknowledgement; the client then
 * sends the publish again to the new hub, and rule 1 would call that a duplicate.
 */
export function checkHistory(history: RecordedHistory): Violation[] {
  const publishes = new Map<string, RequestRecord>();
  for (const tab of history.tabs) {
    for (const request of tab.requests) {
      if (request.kind === 'publish' && request.value !== undefined) {
        publishes.set(request.value, request);
      }
    }
  }
  const at = (time: number): string => `+${time - history.startedAt} ms`;
  const { restarts, unexplained } = hubRestarts(history);
  return [
    ...checkValues(history, publishes),
    ...checkOrder(history, publishes, at),
    ...checkLost(history, at),
    ...checkFinal(history, restarts, at),
    ...checkObservables(history),
    ...checkRequests(history),
    ...unexplained.map(({ hub, tab, at: when }): Violation => ({
      check: 'restart',
      tab,
      detail:
        `a new hub (${hub}) served ${tab} from ${at(when)}, yet no fault since the one before ` +
        `could have replaced it (faults that may: ${history.faults
          .filter((fault) => fault.replaces !== 'never')
          .map((fault) => `${fault.what} at ${at(fault.startedAt)}`)
          .join(', ')})`,
    })),
  ];
}

/**
 * When the hub was replaced: every fault that always replaces it, and each fault that may have, where
 * a new hub appeared after it. Each new hub (by the time a tab first met it) is matched with the latest
 * fault before it not matched yet; a hub that finds none is unexplained.
 */
function hubRestarts(history: RecordedHistory): {
  restarts: number[];
  unexplained: Array<{ hub: string; tab: string; at: number }>;
} {
  const firstSeen = new Map<string, { hub: string; tab: string; at: number }>();
  for (const tab of history.tabs) {
    for (const { hub, at } of tab.hubs) {
      const seen = firstSeen.get(hub);
      if (seen === undefined || at < seen.at) firstSeen.set(hub, { hub, tab: tab.tab, at });
    }
  }
  const newHubs = [...firstSeen.values()].sort((a, b) => a.at - b.at).slice(1);
  const capable = history.faults.filter((fault) => fault.replaces !== 'never');
  const matched = new Set<FaultTimes>();
  const unexplained: Array<{ hub: string; tab: string; at: number }> = [];
  for (const hub of newHubs) {
    const fault = [...capable]
      .reverse()
      .find((candidate) => !matched.has(candidate) && candidate.startedAt < hub.at);
    if (fault === undefined) unexplained.push(hub);
    else matched.add(fault);
  }
  const restarts = history.faults
    .filter((fault) => fault.replaces === 'always' || matched.has(fault))
    .map((fault) => fault.endedAt);
  return { restarts, unexplained };
}

function checkValues(
  history: RecordedHistory,
  publishes: ReadonlyMap<string, RequestRecord>,
): Violation[] {
  const found: Violation[] = [];
  const isPublished = (value: string, channel: string): boolean =>
    publishes.get(value)?.channel === channel;
  for (const tab of history.tabs) {
    for (const subscription of tab.subscriptions) {
      const { channel } = subscription;
      const seen = new Map<string, number>();
      subscription.values.forEach((value, index) => {
        const first = seen.get(value);
        if (first === undefined) {
          seen.set(value, index);
          if (!isPublished(value, channel)) {
            found.push({
              check: 'phantom',
              tab: tab.tab,
              channel,
              value,
              detail: `${subscription.id} saw a value never published on this channel`,
            });
          }
          return;
        }
        found.push({
          check: 'duplicate',
          tab: tab.tab,
          channel,
          value,
          detail:
            `${subscription.id} saw it as values #${first} and #${index} ` +
            `of ${subscription.values.length}` +
            ` (published by ${publishes.get(value)?.tab ?? '?'})`,
        });
      });
    }
    for (const request of tab.requests) {
      if (typeof request.result === 'string' && !isPublished(request.result, request.channel)) {
        found.push({
          check: 'phantom',
          tab: tab.tab,
          channel: request.channel,
          value: request.result,
          detail: `a ${request.kind} answered a value never published on this channel`,
        });
      }
    }
  }
  return found;
}

function checkOrder(
  history: RecordedHistory,
  publishes: ReadonlyMap<string, RequestRecord>,
  at: (time: number) => string,
): Violation[] {
  const found: Violation[] = [];
  for (const channel of history.channels) {
    // "x was seen right before y", with the first Subscription that showed it.
    const edges = new Map<string, Map<string, string>>();
    for (const tab of history.tabs) {
      for (const subscription of tab.subscriptions) {
        if (subscription.channel !== channel) continue;
        const sequence = firstOccurrences(subscription.values).filter(
          (value) => publishes.get(value)?.channel === channel,
        );
        for (let index = 0; index + 1 < sequence.length; index++) {
          const from = sequence[index]!;
          const next = edges.get(from) ?? new Map<string, string>();
          if (!next.has(sequence[index + 1]!)) next.set(sequence[index + 1]!, subscription.id);
          edges.set(from, next);
        }
        const inversion = realTimeInversion(sequence, publishes);
        if (inversion !== undefined) {
          const [later, earlier] = inversion;
          found.push({
            check: 'order',
            tab: tab.tab,
            channel,
            value: earlier.value,
            detail:
              `${subscription.id} saw ${later.value} before ${earlier.value}, yet ${earlier.value} ` +
              `(${earlier.tab}) was acknowledged at ${at(earlier.settledAt!)}, before ${later.value} ` +
              `(${later.tab}) was published at ${at(later.issuedAt)}`,
          });
        }
      }
    }
    const cycle = findCycle(edges);
    if (cycle !== undefined) {
      const steps = cycle.map(
        (value, index) =>
          `${edges.get(value)!.get(cycle[(index + 1) % cycle.length]!)!} saw ${value} right before ${
            cycle[(index + 1) % cycle.length]
          }`,
      );
      found.push({
        check: 'order',
        channel,
        value: cycle[0],
        detail: `the tabs disagree on the order: ${steps.slice(0, 6).join('; ')}${
          steps.length > 6 ? `; … (${steps.length} steps)` : ''
        }`,
      });
    }
  }
  return found;
}

/**
 * In one Subscription's sequence, a value `later` seen before a value `earlier` that was acknowledged
 * before `later` was published, if any: `[later, earlier]`.
 */
function realTimeInversion(
  sequence: readonly string[],
  publishes: ReadonlyMap<string, RequestRecord>,
): [RequestRecord, RequestRecord] | undefined {
  let earliest: RequestRecord | undefined; // the earliest acknowledged among the values seen after
  for (let index = sequence.length - 1; index >= 0; index--) {
    const publish = publishes.get(sequence[index]!)!;
    if (earliest !== undefined && happensBefore(earliest, publish)) return [publish, earliest];
    if (
      isResolved(publish) &&
      (earliest === undefined || publish.settledAt < earliest.settledAt!)
    ) {
      earliest = publish;
    }
  }
  return undefined;
}

/** One cycle of the graph, as its nodes in order, or undefined when it has none. */
function findCycle(edges: ReadonlyMap<string, ReadonlyMap<string, string>>): string[] | undefined {
  const incoming = new Map<string, number>();
  const predecessors = new Map<string, string[]>();
  for (const [from, next] of edges) {
    if (!incoming.has(from)) incoming.set(from, 0);
    for (const to of next.keys()) {
      incoming.set(to, (incoming.get(to) ?? 0) + 1);
      predecessors.set(to, [...(predecessors.get(to) ?? []), from]);
    }
  }
  const ready = [...incoming].filter(([, count]) => count === 0).map(([node]) => node);
  while (ready.length > 0) {
    const node = ready.pop()!;
    incoming.delete(node);
    for (const to of edges.get(node)?.keys() ?? []) {
      const left = incoming.get(to)! - 1;
      incoming.set(to, left);
      if (left === 0) ready.push(to);
    }
  }
  if (incoming.size === 0) return undefined;
  // Every node left has a predecessor left: walking back from any of them must come round.
  const path: string[] = [];
  const onPath = new Map<string, number>();
  let node = incoming.keys().next().value!;
  while (!onPath.has(node)) {
    onPath.set(node, path.length);
    path.push(node);
    node = predecessors.get(node)!.find((from) => incoming.has(from))!;
  }
  return path.slice(onPath.get(node)).reverse();
}

function checkLost(history: RecordedHistory, at: (time: number) => string): Violation[] {
  const found: Violation[] = [];
  const acknowledged = new Map<string, Settled[]>();
  for (const tab of history.tabs) {
    for (const request of tab.requests) {
      if (request.kind !== 'publish' || !isResolved(request)) continue;
      acknowledged.set(request.channel, [...(acknowledged.get(request.channel) ?? []), request]);
    }
  }
  for (const tab of history.tabs) {
    const windows = openWindows(tab);
    const answered = tab.requests.filter(isResolved);
    for (const subscription of tab.subscriptions) {
      const seen = new Set(subscription.values);
      const end = endOf(subscription, tab);
      for (const window of windows) {
        const from = Math.max(window.startTick, subscription.subscribedTick);
        const until = Math.min(window.endTick, end);
        const proofs = answered.filter(
          (request) => request.issuedTick > from && request.settledTick < until,
        );
        if (proofs.length < 2) continue;
        const firstAnswer = Math.min(...proofs.map((request) => request.settledAt));
        const lastSent = Math.max(...proofs.map((request) => request.issuedAt));
        for (const publish of acknowledged.get(subscription.channel) ?? []) {
          if (seen.has(publish.value!)) continue;
          if (publish.issuedAt <= firstAnswer + CLOCK_SLACK_MS) continue;
          if (publish.settledAt + CLOCK_SLACK_MS >= lastSent) continue;
          found.push({
            check: 'lost',
            tab: tab.tab,
            channel: subscription.channel,
            value: publish.value,
            detail:
              `${subscription.id} never saw it: published by ${publish.tab} ` +
              `at ${at(publish.issuedAt)}, ` +
              `acknowledged at ${at(publish.settledAt)}, while ${tab.tab} stayed connected from ` +
              `${at(window.startAt)} (answers at ${at(firstAnswer)} and after ${at(lastSent)})`,
          });
        }
      }
    }
  }
  return found;
}

function checkFinal(
  history: RecordedHistory,
  restarts: readonly number[],
  at: (time: number) => string,
): Violation[] {
  const found: Violation[] = [];
  const finalTabs = history.tabs.filter((tab) => history.finalTabs.includes(tab.tab));
  const fresh = history.tabs.find((tab) => tab.tab === history.fresh);
  const lastRestart = Math.max(-Infinity, ...restarts);
  const show = (value: string | null | undefined): string => value ?? 'no value';
  const hubs = new Map<string, string[]>();
  for (const tab of finalTabs) {
    const hub = tab.finalHub ?? 'unknown';
    hubs.set(hub, [...(hubs.get(hub) ?? []), tab.tab]);
  }
  if (hubs.size > 1) {
    found.push({
      check: 'final',
      detail: `the tabs ended on ${hubs.size} hubs: ${[...hubs]
        .map(([hub, tabs]) => `${tabs.join(', ')} on ${hub}`)
        .join('; ')}`,
    });
  }
  for (const channel of history.channels) {
    const answers = finalTabs.map((tab) => ({
      tab: tab.tab,
      get: tab.requests.find((request) => request.final === true && request.channel === channel),
    }));
    for (const { tab, get } of answers) {
      if (get?.outcome !== 'resolved') {
        found.push({
          check: 'final',
          tab,
          channel,
          detail:
            get === undefined
              ? 'the final get was not made'
              : `the final get ${get.outcome}: ${get.error ?? ''}`,
        });
      }
    }
    const results = answers.flatMap(({ tab, get }) =>
      get?.outcome === 'resolved' ? [{ tab, result: get.result ?? null }] : [],
    );
    if (results.length === 0) continue;
    if (new Set(results.map(({ result }) => result)).size > 1) {
      found.push({
        check: 'final',
        channel,
        detail: `the tabs' final gets disagree: ${results
          .map(({ tab, result }) => `${tab}: ${show(result)}`)
          .join(', ')}`,
      });
      continue;
    }
    const agreed = results[0]!.result;
    if (agreed !== null) {
      for (const tab of finalTabs) {
        for (const subscription of tab.subscriptions) {
          if (subscription.channel !== channel || endOf(subscription, tab) < tab.pulledTick)
            continue;
          const last = subscription.values.at(-1);
          if (last === agreed) continue;
          found.push({
            check: 'final',
            tab: tab.tab,
            channel,
            value: agreed,
            detail: `${subscription.id}'s last value is ${show(last)}, but get() says ${agreed}`,
          });
        }
      }
    }
    const first = fresh?.subscriptions.find((subscription) => subscription.channel === channel);
    const expected = agreed === null ? [] : [agreed];
    if (first === undefined || JSON.stringify(first.values) !== JSON.stringify(expected)) {
      found.push({
        check: 'final',
        tab: history.fresh,
        channel,
        value: agreed ?? undefined,
        detail:
          `a tab joining after quiescence got ${JSON.stringify(first?.values ?? 'nothing')}, ` +
          `but get() says ${show(agreed)}`,
      });
    }
    const supersedes = finalWinners(history, channel, lastRestart);
    if (supersedes === undefined) continue;
    const { candidates, latest } = supersedes;
    const explained = candidates.some((operation) =>
      agreed === null ? operation.kind === 'clear' : operation.value === agreed,
    );
    if (!explained) {
      found.push({
        check: 'final',
        channel,
        value: agreed ?? undefined,
        detail:
          `the channel ends with ${show(agreed)}, which no operation left standing explains: ` +
          `the last acknowledged was ${latest.tab}'s ${latest.kind} ${latest.value ?? ''} ` +
          `(${at(latest.issuedAt)}..${at(latest.settledAt!)}); possible ends: ${candidates
            .slice(0, 4)
            .map((operation) => `${operation.kind} ${operation.value ?? ''}`.trim())
            .join(', ')}`,
      });
    }
  }
  return found;
}

/**
 * The operations on `channel` whose effect the channel may end with: those no acknowledged operation
 * sent after them (and after the last hub restart) superseded. Unacknowledged ones stay: they may have
 * been applied at any time. Undefined when no acknowledged operation followed the last restart.
 */
function finalWinners(
  history: RecordedHistory,
  channel: string,
  lastRestart: number,
): { candidates: RequestRecord[]; latest: RequestRecord } | undefined {
  const operations = history.tabs.flatMap((tab) =>
    tab.requests.filter(
      (request) =>
        request.channel === channel && (request.kind === 'publish' || request.kind === 'clear'),
    ),
  );
  const sinceRestart = operations.filter(
    (operation) => isResolved(operation) && operation.issuedAt > lastRestart + CLOCK_SLACK_MS,
  );
  if (sinceRestart.length === 0) return undefined;
  const latest = sinceRestart.reduce((a, b) => (b.issuedAt > a.issuedAt ? b : a));
  const candidates = operations.filter(
    (operation) => !sinceRestart.some((later) => happensBefore(operation, later)),
  );
  return { candidates, latest };
}

function checkObservables(history: RecordedHistory): Violation[] {
  const found: Violation[] = [];
  for (const tab of history.tabs) {
    for (const subscription of tab.subscriptions) {
      const { id, channel } = subscription;
      if (subscription.error !== undefined) {
        found.push({
          check: 'observable',
          tab: tab.tab,
          channel,
          detail: `${id} errored after ${subscription.values.length} values: ${subscription.error}`,
        });
      } else if (
        subscription.completedTick !== undefined &&
        subscription.endedBy !== 'unsubscribeAll'
      ) {
        found.push({
          check: 'observable',
          tab: tab.tab,
          channel,
          detail: `${id} completed, though the check never asked it to`,
        });
      }
    }
  }
  return found;
}

function checkRequests(history: RecordedHistory): Violation[] {
  const found: Violation[] = [];
  for (const tab of history.tabs) {
    for (const request of tab.requests) {
      if (request.outcome !== 'rejected' || request.final === true) continue;
      if (request.errorName === 'TimeoutError') continue;
      found.push({
        check: 'rejected',
        tab: tab.tab,
        channel: request.channel,
        value: request.value,
        detail: `${request.kind} rejected: ${request.error ?? '?'}`,
      });
    }
    for (const failure of tab.failures) {
      found.push({ check: 'rejected', tab: tab.tab, detail: `threw at once: ${failure}` });
    }
  }
  for (const { tab, detail } of history.unquiet) {
    found.push({ check: 'quiescence', tab, detail: `never became quiet: ${detail}` });
  }
  return found;
}

/** How many operations a history holds, by kind and outcome, for the report. */
export function summarize(history: RecordedHistory): string {
  const counts = new Map<string, number>();
  const add = (key: string, by = 1): void => {
    counts.set(key, (counts.get(key) ?? 0) + by);
  };
  for (const tab of history.tabs) {
    const left = !history.finalTabs.includes(tab.tab) && tab.tab !== history.fresh;
    for (const request of tab.requests) {
      add(request.kind);
      if (request.outcome === 'rejected')
        add(`${request.kind} rejected (${request.errorName ?? '?'})`);
      if (request.outcome === 'pending')
        add(`${request.kind} ${left ? 'cut short by a departure' : 'pending'}`);
    }
    for (const subscription of tab.subscriptions) {
      if (subscription.endedBy !== undefined) add(subscription.endedBy);
      add('values seen', subscription.values.length);
    }
  }
  const parts = [...counts].map(([key, count]) => `${count} ${key}`);
  return `${countOperations(history)} operations in ${history.tabs.length} tabs: ${parts.join(', ')}`;
}

/** The number of operations of a history (requests made, Subscriptions ended). */
export function countOperations(history: RecordedHistory): number {
  let operations = 0;
  for (const tab of history.tabs) {
    operations += tab.requests.length;
    operations += tab.subscriptions.filter((subscription) => subscription.endedBy).length;
  }
  return operations;
}

/** The violations, grouped by rule: a count and the first `examples` of each. */
export function formatViolations(violations: readonly Violation[], examples = 8): string {
  const byCheck = new Map<CheckName, Violation[]>();
  for (const violation of violations) {
    byCheck.set(violation.check, [...(byCheck.get(violation.check) ?? []), violation]);
  }
  const lines: string[] = [];
  for (const [check, list] of byCheck) {
    lines.push(`  ${check}: ${list.length}`);
    for (const violation of list.slice(0, examples)) {
      const where = [
        violation.tab,
        violation.channel === undefined ? undefined : `channel ${violation.channel}`,
        violation.value === undefined ? undefined : `value ${violation.value}`,
      ]
        .filter((part) => part !== undefined)
        .join(', ');
      lines.push(`    - ${where}: ${violation.detail}`);
    }
    if (list.length > examples) lines.push(`    - … and ${list.length - examples} more`);
  }
  return lines.join('\n');
}
