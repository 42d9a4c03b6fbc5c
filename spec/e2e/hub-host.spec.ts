import type { Tab } from './driver/driver.js';
import { TICKER_LOCK_PREFIX, TICKS_CHANNEL } from './fixtures/ticker.js';
import { CASE_TIMEOUT_MS, useBrowserSuite, type CaseContext } from './support/browser-suite.js';
import { eventually } from './support/eventually.js';
import { FixtureTab } from './support/fixture-tab.js';
import { closeMortalWorker } from './support/kill-shared-worker.js';

// Issue 13: the app's worker file hosts the hub in every mode. Where SharedWorker is missing, the elected
// leader runs that file as a dedicated Worker (`fallbackWorker`), so its own code (here a timer standing
// in for a WebSocket) keeps publishing to every tab, across a handover; without one, the leader runs the
// hub in its page, from a chunk that no other tab fetches.

jest.setTimeout(CASE_TIMEOUT_MS + 30_000);

const suite = useBrowserSuite();

/** A tick published by fixtures/ticking-worker.ts: which run of the worker, and its count. */
interface Tick {
  worker: string;
  tick: number;
}

/** Opens the fixture page with `query`, recording the ticks channel, once its client is ready. */
async function open(context: CaseContext, query: Record<string, string>): Promise<FixtureTab> {
  const search = new URLSearchParams({ collect: TICKS_CHANNEL, via: 'observable', ...query });
  const tab = await context.openTab(`/fixture.html?${search.toString()}`);
  await tab.evaluate(() => window.harness.ready);
  return new FixtureTab(tab);
}

/** The runs of the ticking worker alive now, by the Web Lock each holds (seen from `tab`). */
function tickers(tab: Tab): Promise<string[]> {
  return tab.evaluate(async (prefix) => {
    const { held = [] } = await navigator.locks.query();
    return held.flatMap(({ name }) =>
      name?.startsWith(prefix) ? [name.slice(prefix.length)] : [],
    );
  }, TICKER_LOCK_PREFIX);
}

/** The workers whose ticks `tab` has seen, in the order it first saw them. */
async function workersSeen(tab: FixtureTab): Promise<string[]> {
  const ticks = (await tab.values(TICKS_CHANNEL)) as Tick[];
  return [...new Set(ticks.map(({ worker }) => worker))];
}

/** The chunks (`/chunks/...`, loaded with import()) that the page fetched. */
function chunksFetched(tab: Tab): Promise<string[]> {
  return tab.evaluate(() =>
    performance
      .getEntriesByType('resource')
      .map(({ name }) => new URL(name).pathname)
      .filter((path) => path.startsWith('/chunks/')),
  );
}

const ELECTED_WITH_WORKER = { sharedWorker: 'none', hub: 'factory', worker: 'ticking' };
const ELECTED_IN_PAGE = { sharedWorker: 'none', hub: 'page', worker: 'ticking' };

describe('The hub runs in the app worker file in every mode (elected leaders)', () => {
  it(
    "should run the worker file's own code in the leader's dedicated worker, one at a time, and go on in the next leader's",
    suite.inFreshContext(async (scene) => {
      // The first tab asks for the leader lock first, so it leads.
      const leader = await open(scene, ELECTED_WITH_WORKER);
      const followers = [
        await open(scene, ELECTED_WITH_WORKER),
        await open(scene, ELECTED_WITH_WORKER),
      ];
      const tabs = [leader, ...followers];
      let first: string | undefined;
      await eventually(
        async () => {
          const running = await tickers(leader.tab);
          expect(running).toHaveLength(1);
          first = running[0];
          for (const tab of tabs) expect(await workersSeen(tab)).toContain(first);
        },
        { timeoutMs: 10_000 },
      );
      // Worker-side publishes reach every tab through the worker's hub; the page never ran a hub.
      for (const tab of tabs) {
        expect(await tab.tab.evaluate(() => window.harness.client.transport)).toBe('elected');
        expect(
          (await chunksFetched(tab.tab)).filter((path) => path.includes('in-page-hub')),
        ).toEqual([]);
      }
      expect((await leader.stats()).clients).toBe(3);

      await leader.close();
      let second: string | undefined;
      await eventually(
        async () => {
          const running = await tickers(followers[0]!.tab);
          expect(running).toHaveLength(1);
          second = running[0];
          expect(second).not.toBe(first);
          for (const tab of followers) {
            const seen = await workersSeen(tab);
            expect(seen.slice(-1)).toEqual([second]);
          }
        },
        { timeoutMs: 15_000 },
      );
      // The new worker's ticks keep coming to both survivors.
      const before = ((await followers[1]!.values(TICKS_CHANNEL)) as Tick[]).length;
      await followers[1]!.waitForValues(TICKS_CHANNEL, before + 5);
      expect(await tickers(followers[1]!.tab)).toEqual([second]);
    }),
  );

  it(
    "should elect a hub again when the leader's worker dies while its page lives, with every acknowledged value kept",
    suite.inFreshContext(async (scene) => {
      const mortal = { sharedWorker: 'none', worker: 'mortal' };
      const leader = await open(scene, mortal);
      const follower = await open(scene, mortal);
      await leader.collect('kept');
      await follower.collect('kept');
      await follower.publish('kept', 'before');
      const hubBefore = (await leader.stats()).instanceId;
      await closeMortalWorker(follower.tab);
      // The leader learns of its worker's death from the hub's life lock, steps down, and a new election
      // starts a new worker; every tab reconnects to it and offers back what it had.
      await eventually(
        async () => {
          const { instanceId, clients } = await follower.stats();
          expect(instanceId).not.toBe(hubBefore);
          expect(clients).toBe(2);
        },
        { timeoutMs: 15_000 },
      );
      expect(await leader.get('kept')).toBe('before');
      await leader.publish('kept', 'after');
      expect(await follower.waitForValues('kept', 2)).toEqual(['before', 'after']);
      expect(await leader.waitForValues('kept', 2)).toEqual(['before', 'after']);
    }),
  );

  it(
    "should run the hub in the leader's page without fallbackWorker, say so once, and fetch the hub's chunk there only",
    suite.inFreshContext(async (scene) => {
      const leader = await open(scene, ELECTED_IN_PAGE);
      const follower = await open(scene, ELECTED_IN_PAGE);
      await follower.publish('news', 'from the follower');
      expect(await leader.get('news')).toBe('from the follower');
      await leader.publish('news', 'from the leader');
      expect(await follower.get('news')).toBe('from the leader');
      // The worker file does not run: no ticks, no ticker.
      expect(await tickers(leader.tab)).toEqual([]);
      expect(await leader.values(TICKS_CHANNEL)).toEqual([]);

      const inPageHub = (paths: string[]): string[] =>
        paths.filter((p) => p.includes('in-page-hub'));
      expect(inPageHub(await chunksFetched(leader.tab))).toHaveLength(1);
      expect(inPageHub(await chunksFetched(follower.tab))).toEqual([]);
      const warnings = (tab: FixtureTab): Promise<string[]> =>
        tab.tab.evaluate(() =>
          window.warnings.filter((text) => text.includes('no fallbackWorker is given')),
        );
      expect(await warnings(leader)).toHaveLength(1);
      expect(await warnings(follower)).toEqual([]);

      // A tab with SharedWorker fetches none of the fallback's code.
      const sharing = await open(scene, {});
      expect(await sharing.tab.evaluate(() => window.harness.client.transport)).toBe(
        'shared-worker',
      );
      expect(await chunksFetched(sharing.tab)).toEqual([]);
    }),
  );
});
