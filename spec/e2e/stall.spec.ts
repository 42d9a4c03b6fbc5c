import { STALL_CHANNEL, STALLING } from './fixtures/kill-channel.js';
import { CASE_TIMEOUT_MS, useBrowserSuite, type CaseContext } from './support/browser-suite.js';
import { FixtureTab } from './support/fixture-tab.js';
import { freshChannel } from './support/fresh-channel.js';

/** Issue 12: a hub kept busy this long is not taken for dead. */
const STALL_MS = 5_000;
/** Longer than the stall: a request that waits it out must not time out. */
const REQUEST_TIMEOUT_MS = 15_000;

jest.setTimeout(CASE_TIMEOUT_MS + 2 * STALL_MS + 30_000);

const suite = useBrowserSuite();

/**
 * Makes the mortal worker run one long task of `ms` (fixtures/mortal-worker.ts); resolves once it has
 * begun, so that what the case sends next reaches a busy hub.
 */
function stallWorker(from: FixtureTab, ms: number): Promise<void> {
  return from.tab.evaluate(
    ([name, stalling, busy]) =>
      new Promise<void>((resolve) => {
        const channel = new BroadcastChannel(name);
        channel.onmessage = (event: MessageEvent<unknown>) => {
          if (event.data !== stalling) return;
          channel.close();
          resolve();
        };
        channel.postMessage({ stall: busy });
      }),
    [STALL_CHANNEL, STALLING, ms] as const,
  );
}

/** Runs a long task of `ms` in the tab's page, starting right after this call returns. */
function stallPage(tab: FixtureTab, ms: number): Promise<void> {
  return tab.tab.evaluate((busy) => {
    setTimeout(() => {
      const end = Date.now() + busy;
      while (Date.now() < end) {
        // Busy on purpose: the page's hub (it leads) and its client answer nothing meanwhile.
      }
    }, 0);
  }, ms);
}

/** Opens the fixture in a page without SharedWorker: the client elects a hub. */
async function openElected(context: CaseContext, collect: readonly string[]): Promise<FixtureTab> {
  const query = new URLSearchParams({ collect: collect.join(','), sharedWorker: 'none' });
  const tab = await context.openTab(`/fixture.html?${query.toString()}`);
  await tab.evaluate(() => window.harness.ready);
  return new FixtureTab(tab);
}

/** `client.publish` with a timeout longer than the stall; resolves with how it ended. */
function publishThrough(tab: FixtureTab, channel: string, value: string): Promise<string> {
  return tab.tab.evaluate(
    ([name, data, timeout]) =>
      window.harness.client.publish(name, data, { timeout }).then(
        () => 'published',
        (error: unknown) => String(error),
      ),
    [channel, value, REQUEST_TIMEOUT_MS] as const,
  );
}

describe('A hub kept busy for seconds', () => {
  it(
    'should not be taken for dead when its worker is busy for 5 s: no reconnect, no duplicate, no TimeoutError',
    suite.inFreshContext(async ({ openFixture }) => {
      const channel = freshChannel('busy');
      const writer = await openFixture({ collect: [channel], worker: 'mortal' });
      const reader = await openFixture({ collect: [channel], worker: 'mortal' });
      await writer.publish(channel, 'before');
      expect(await reader.waitForValues(channel, 1)).toEqual(['before']);
      const hub = (await reader.stats()).instanceId;

      await stallWorker(writer, STALL_MS);
      const outcome = await publishThrough(writer, channel, 'during');

      expect(outcome).toBe('published');
      for (const tab of [writer, reader]) {
        expect(await tab.waitForValues(channel, 2)).toEqual(['before', 'during']);
        expect(await tab.connectionStates()).toEqual(['connecting', 'open']);
      }
      const stats = await reader.stats();
      expect(stats.instanceId).toBe(hub);
      expect(stats.channels.find((entry) => entry.channel === channel)?.published).toBe(2);
      expect(await reader.values(channel)).toEqual(['before', 'during']);
    }),
  );

  it(
    "should not be taken for dead when the elected leader's page is busy for 5 s",
    suite.inFreshContext(async (context) => {
      const channel = freshChannel('busy-leader');
      const leader = await openElected(context, [channel]);
      const follower = await openElected(context, [channel]);
      await follower.publish(channel, 'before');
      expect(await leader.waitForValues(channel, 1)).toEqual(['before']);
      const hub = (await follower.stats()).instanceId;

      await stallPage(leader, STALL_MS);
      const outcome = await publishThrough(follower, channel, 'during');

      expect(outcome).toBe('published');
      for (const tab of [leader, follower]) {
        expect(await tab.waitForValues(channel, 2)).toEqual(['before', 'during']);
        expect(await tab.connectionStates()).toEqual(['connecting', 'open']);
      }
      expect((await follower.stats()).instanceId).toBe(hub);
      expect(await follower.values(channel)).toEqual(['before', 'during']);
    }),
  );
});
