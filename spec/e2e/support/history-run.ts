import type { Browser } from '../driver/driver.js';
import type { HistoryStep, StallTimes, TabHistory } from '../fixtures/history-recorder.js';
import type { CaseContext } from './browser-suite.js';
import { endTabAbruptly } from './engine.js';
import { FixtureTab } from './fixture-tab.js';
import { freshChannel } from './fresh-channel.js';
import type { FaultTimes, RecordedHistory } from './history-check.js';
import {
  fillScript,
  MAX_GAP_MS,
  newTabModel,
  roundFaults,
  tabScript,
  type Departure,
  type Fault,
  type FaultKind,
  type HistoryMode,
  type TabModel,
  type WorkloadChannels,
} from './history-workload.js';
import { killSharedWorker } from './kill-shared-worker.js';
import { createRandom, deriveSeed } from './seeded-random.js';

/** How long a tab may take to become quiet after a round (ms): a request times out after 10 s. */
const QUIET_WITHIN_MS = 30_000;
/** How long a fault waits for a hub to strike: a worker that answers, an elected leader (ms). */
const HUB_WITHIN_MS = 15_000;
const POLL_MS = 50;

/** What one history check does. */
export interface HistoryPlan {
  readonly mode: HistoryMode;
  readonly seed: number;
  /** Steps of the tabs' scripts in all: the workload (the final check's requests come on top). */
  readonly steps: number;
  /** Steps of each tab per round; a round's scripts last about this many times MAX_GAP_MS / 2. */
  readonly stepsPerRound: number;
  /** Tabs open at a time. */
  readonly tabs: number;
  /** Channels of the random operations. */
  readonly channels: number;
  /** Channels that hold only big values, which every tab subscribes to (see WorkloadChannels). */
  readonly bulkChannels: number;
  /** The faults that may strike; none makes a run that a correct library passes by construction. */
  readonly faults: ReadonlySet<FaultKind>;
}

/** A recorded history, with what was done to get it. */
export interface HistoryRun extends RecordedHistory {
  readonly plan: HistoryPlan;
  readonly rounds: number;
}

/** What the run needs of the case's scene. */
export interface HistoryScene {
  readonly context: CaseContext;
  readonly browser: Browser;
  readonly origin: string;
}

/** A fixture tab driven through its page's HistoryRecorder (fixtures/history-recorder.ts). */
class RecordingTab {
  constructor(
    readonly label: string,
    readonly fixture: FixtureTab,
    readonly model: TabModel,
  ) {}

  begin(): Promise<void> {
    return this.fixture.tab.evaluate((label) => window.harness.history().begin(label), this.label);
  }

  run(steps: readonly HistoryStep[]): Promise<void> {
    return this.fixture.tab.evaluate((all) => window.harness.history().run(all), steps);
  }

  halt(): Promise<void> {
    return this.fixture.tab.evaluate(() => window.harness.history().halt());
  }

  idle(timeoutMs: number): Promise<string | null> {
    return this.fixture.tab.evaluate((ms) => window.harness.history().idle(ms), timeoutMs);
  }

  finalGets(channels: readonly string[]): Promise<void> {
    return this.fixture.tab.evaluate(
      (names) => window.harness.history().finalGets(names),
      channels,
    );
  }

  pull(): Promise<TabHistory> {
    return this.fixture.tab.evaluate(() => window.harness.history().pull());
  }

  stallPage(ms: number): Promise<StallTimes> {
    return this.fixture.tab.evaluate((busy) => window.harness.history().stallPage(busy), ms);
  }

  stallWorker(ms: number): Promise<StallTimes> {
    return this.fixture.tab.evaluate((busy) => window.harness.history().stallWorker(busy), ms);
  }

  leader(): Promise<string | null> {
    return this.fixture.tab.evaluate(() => window.harness.history().leader());
  }
}

/** Opens the fixture in a page without SharedWorker (`?sharedWorker=none`): the client elects a hub. */
async function openElected(context: CaseContext): Promise<FixtureTab> {
  const query = new URLSearchParams({ collect: '', via: 'observable', sharedWorker: 'none' });
  const tab = await context.openTab(`/fixture.html?${query.toString()}`);
  await tab.evaluate(() => window.harness.ready);
  return new FixtureTab(tab);
}

function leave(tab: FixtureTab, how: Departure): Promise<void> {
  switch (how) {
    case 'close':
      return tab.close();
    case 'no-goodbye':
      return tab.closeWithoutGoodbye();
    case 'abrupt':
      return endTabAbruptly(tab.tab);
    default: {
      const unknown: never = how;
      throw new TypeError(`leave(): unknown departure ${String(unknown)}`);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** Polls `probe` until it returns something, for at most `timeoutMs`; fails with `what`. */
async function waitFor<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + HUB_WITHIN_MS;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`history run: ${what} within ${HUB_WITHIN_MS} ms`);
    await sleep(POLL_MS);
  }
}

/**
 * Runs a seeded workload in `plan.tabs` tabs of one context, round by round: each open tab gets a script
 * (support/history-workload.ts) that its page runs on its own, while this process strikes the round's
 * faults at their times; then every tab must become quiet. A tab that leaves is pulled first and
 * replaced by a fresh one. At the end, once every tab is quiet and served by one hub, every tab gets
 * each channel once, a new tab joins and subscribes to all of them, and every tab's records are pulled
 * for checkHistory().
 */
export async function recordHistory(scene: HistoryScene, plan: HistoryPlan): Promise<HistoryRun> {
  const { context, browser, origin } = scene;
  const random = createRandom(deriveSeed(plan.seed, plan.mode));
  const startedAt = Date.now();
  const channels: WorkloadChannels = {
    random: Array.from({ length: plan.channels }, (_, index) =>
      freshChannel(`h${String.fromCharCode(97 + index)}`),
    ),
    bulk: Array.from({ length: plan.bulkChannels }, (_, index) => freshChannel(`bulk${index}`)),
  };
  const every = [...channels.random, ...channels.bulk];
  const open: RecordingTab[] = [];
  const pulled: TabHistory[] = [];
  const faults: FaultTimes[] = [];
  const unquiet: Array<{ tab: string; detail: string }> = [];
  let labels = 0;
  let steps = 0;

  const join = async (scriptSteps: number): Promise<RecordingTab> => {
    const label = `t${labels++}`;
    const fixture =
      plan.mode === 'elected'
        ? await openElected(context)
        : await context.openFixture({ worker: 'mortal' });
    const tab = new RecordingTab(label, fixture, newTabModel(label));
    await tab.begin();
    open.push(tab);
    if (scriptSteps > 0) await give(tab, scriptSteps);
    return tab;
  };
  const give = async (tab: RecordingTab, count: number): Promise<void> => {
    const script = tabScript(random, tab.model, channels, count);
    steps += script.length;
    await tab.run(script);
  };
  const pick = (index: number): RecordingTab => open[index % open.length]!;
  // A round trip proves there is a worker to strike: right after a kill the tabs still say `open` until
  // their heartbeat notices, and a stats request waits for (and is sent again to) the next worker. A hub
  // that never answers is a finding, not a harness failure: the workload ends and the checks run.
  const hubAnswers = async (tab: RecordingTab): Promise<boolean> => {
    try {
      await waitFor(
        () =>
          tab.fixture.stats().then(
            () => true as const,
            () => undefined,
          ),
        `the hub did not answer ${tab.label}`,
      );
      return true;
    } catch (error) {
      unquiet.push({ tab: tab.label, detail: `before a fault: ${String(error)}` });
      return false;
    }
  };
  const leader = async (): Promise<RecordingTab> => {
    const label = await waitFor(
      async () => (await open[0]!.leader()) ?? undefined,
      'no tab took the elected leader lock',
    );
    const found = open.find((tab) => tab.label === label);
    if (found === undefined) throw new Error(`history run: the leader ${label} is not open`);
    return found;
  };

  const strike = async (fault: Fault): Promise<FaultTimes | undefined> => {
    switch (fault.kind) {
      case 'kill': {
        // A kill needs a worker to kill: right after another, the tabs may not have made the next yet.
        const from = pick(fault.from);
        if (!(await hubAnswers(from))) return undefined;
        const startedAt = Date.now();
        const death = await killSharedWorker(browser, origin, from.fixture.tab);
        const endedAt = Date.now();
        return { what: `worker killed (${death})`, startedAt, endedAt, replaces: 'always' };
      }
      case 'stall': {
        if (plan.mode === 'elected') {
          const stalled = await leader();
          const times = await stalled.stallPage(fault.ms);
          const what = `leader ${stalled.label}'s page stalled ${fault.ms} ms`;
          return { what, ...times, replaces: 'never' };
        }
        const from = pick(fault.from);
        if (!(await hubAnswers(from))) return undefined;
        const times = await from.stallWorker(fault.ms);
        return { what: `worker stalled ${fault.ms} ms`, ...times, replaces: 'never' };
      }
      case 'depart': {
        const leading = plan.mode === 'elected' ? await leader() : undefined;
        const victim = fault.who === 'leader' ? leading! : pick(fault.who);
        await victim.halt();
        pulled.push(await victim.pull());
        const startedAt = Date.now();
        await leave(victim.fixture, fault.how);
        const endedAt = Date.now();
        open.splice(open.indexOf(victim), 1);
        const joined = await join(Math.ceil(plan.stepsPerRound / 2));
        const role = victim === leading ? ' (the leader)' : '';
        // A SharedWorker runs in the renderer process of one of its tabs, and may end with it.
        const replaces =
          plan.mode === 'shared-worker' ? 'maybe' : victim === leading ? 'always' : 'never';
        return {
          what: `${victim.label}${role} left (${fault.how}), ${joined.label} joined`,
          startedAt,
          endedAt,
          replaces,
        };
      }
      default: {
        const unknown: never = fault;
        throw new TypeError(`strike(): unknown fault ${JSON.stringify(unknown)}`);
      }
    }
  };

  const quiet = async (tabs: readonly RecordingTab[]): Promise<void> => {
    const states = await Promise.all(tabs.map((tab) => tab.idle(QUIET_WITHIN_MS)));
    states.forEach((detail, index) => {
      if (detail !== null) unquiet.push({ tab: tabs[index]!.label, detail });
    });
  };

  // Quiet is not enough before the final check: a tab whose hub died unnoticed still says `open`. A
  // round trip from every tab goes to (or is sent again to) the hub that serves it now, and every tab
  // must name the same one.
  const oneHub = async (): Promise<void> => {
    const deadline = Date.now() + QUIET_WITHIN_MS;
    for (;;) {
      const hubs = await Promise.all(
        open.map((tab) =>
          tab.fixture.stats().then(
            (stats) => stats.instanceId,
            (error: unknown) => `none (${String(error)})`,
          ),
        ),
      );
      if (new Set(hubs).size === 1 && !hubs[0]!.startsWith('none')) return;
      if (Date.now() > deadline) {
        const served = open.map((tab, index) => `${tab.label}: ${hubs[index]}`).join(', ');
        unquiet.push({ tab: 'every tab', detail: `not served by one hub: ${served}` });
        return;
      }
      await sleep(POLL_MS);
    }
  };

  for (let index = 0; index < plan.tabs; index++) await join(0);
  const first = open[0]!;
  const filling = fillScript(random, first.model, channels.bulk);
  steps += filling.length;
  await first.run(filling);
  const span = plan.stepsPerRound * (MAX_GAP_MS / 2);
  let rounds = 0;
  // A tab that never gets quiet ends the workload: what follows would only repeat the finding.
  while (steps < plan.steps && unquiet.length === 0) {
    for (const tab of open) await give(tab, plan.stepsPerRound);
    const roundStart = Date.now();
    for (const fault of roundFaults(random, plan.mode, plan.faults, rounds, span)) {
      // The workload's own timing, not a wait for an event.
      await sleep(roundStart + fault.at - Date.now());
      const struck = await strike(fault);
      if (struck === undefined) break;
      faults.push(struck);
    }
    await quiet(open);
    rounds++;
  }

  await oneHub();
  await quiet(open);
  await Promise.all(open.map((tab) => tab.finalGets(every)));
  const finalTabs = open.map((tab) => tab.label);
  const fresh = await join(0);
  await fresh.run(every.map((channel) => ({ gap: 0, op: { kind: 'subscribe', channel } })));
  await quiet([fresh]);
  for (const tab of open) pulled.push(await tab.pull());

  return {
    plan,
    startedAt,
    channels: every,
    tabs: pulled,
    finalTabs,
    fresh: fresh.label,
    unquiet,
    faults,
    rounds,
  };
}
