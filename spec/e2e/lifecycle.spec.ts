import { PROTOCOL_VERSION } from '../../src/protocol.js';
import { CASE_TIMEOUT_MS, useBrowserSuite } from './support/browser-suite.js';
import { CAPABILITIES, endTabAbruptly, itWhere } from './support/engine.js';
import { eventually } from './support/eventually.js';
import type { FixtureTab, HubStats } from './support/fixture-tab.js';
import { freshChannel } from './support/fresh-channel.js';
import { killSharedWorker } from './support/kill-shared-worker.js';
import { useTimings } from './support/timings.js';

// Browsers are slow to start tabs on a 2-core machine; a case fails on its own deadline first, with artifacts.
jest.setTimeout(CASE_TIMEOUT_MS + 30_000);

const suite = useBrowserSuite();
const timings = useTimings('lifecycle');

/** Issue 4: the hub forgets a tab that went away within this long, without a word from the tab. */
const FORGET_WITHIN_MS = 2_000;
/**
 * Issue 4: after the worker dies, tabs talk to a new hub within this long. Tabs learn of the death from
 * the hub's life lock, which the browser lets go when the worker's context is gone. Killed through CDP
 * (Chromium) that is at once; a worker that closes itself (`self.close()`, the only way to end one in
 * Firefox and WebKit here) is let go of at once by WebKitGTK, but by Firefox ESR only about 5 s later
 * (measured: 5.3 s), when it tears the closed worker down; a crashed content process frees it at once.
 */
const RECOVER_WITHIN_MS = CAPABILITIES.workerDeath === 'self-close' ? 8_000 : 5_000;
/** How long a case keeps watching, so that a slow outcome is measured rather than only reported late. */
const WATCH_MS = 10_000;
const POLL_MS = 20;

/** What a case checks of a stats snapshot: tabs, and one channel's subscribers and publishes. */
interface Counts {
  clients: number;
  subscribers: number;
  published: number;
}

function countsOf(stats: HubStats, channel: string): Counts {
  const found = stats.channels.find((entry) => entry.channel === channel);
  return {
    clients: stats.clients,
    subscribers: found?.subscribers ?? 0,
    published: found?.published ?? 0,
  };
}

/**
 * Polls `observer`'s hub until `channel` shows `expected`, and resolves with the ms elapsed since `since`
 * (epoch ms); fails with the last counts seen after {@link WATCH_MS}.
 */
async function countsReached(
  observer: FixtureTab,
  channel: string,
  expected: Counts,
  since: number,
): Promise<number> {
  let last: Counts | undefined;
  while (Date.now() - since < WATCH_MS) {
    last = countsOf(await observer.stats(), channel);
    if (JSON.stringify(last) === JSON.stringify(expected)) return Date.now() - since;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error(
    `the hub counts ${JSON.stringify(last)} ${WATCH_MS} ms later, expected ${JSON.stringify(expected)}`,
  );
}

/** `http://localhost:<port>` for `http://127.0.0.1:<port>`: the same server, another origin. */
function otherOrigin(origin: string): string {
  const url = new URL(origin);
  url.hostname = 'localhost';
  return url.origin;
}

/** `expect.stringContaining`, typed as what it is to the caller: a value to compare with. */
function textContaining(text: string): unknown {
  return expect.stringContaining(text) as unknown;
}

/** How a case ends a tab, and what it says in the case's name. */
interface Departure {
  readonly how: string;
  readonly leave: (tab: FixtureTab, origin: string) => Promise<void>;
}

const DEPARTURES: readonly Departure[] = [
  { how: 'is closed', leave: (tab) => tab.close() },
  // The page's pagehide listeners are silenced: only the tab's liveness lock can tell the hub.
  { how: 'is closed without its goodbye', leave: (tab) => tab.closeWithoutGoodbye() },
  {
    how: 'navigates to another origin',
    leave: async (tab, origin) => {
      const destination = `${otherOrigin(origin)}/fixture.html`;
      await tab.navigate(destination);
      await eventually(() => {
        expect(tab.tab.url()).toBe(destination);
        return Promise.resolve();
      });
    },
  },
];

describe('The hub and the lives of real browser tabs', () => {
  /**
   * Opens three tabs on one channel, ends one with `leave`, and checks that the hub forgets it within
   * {@link FORGET_WITHIN_MS} and delivers only to the two others from then on.
   */
  const forgetsWithin2s = (
    what: string,
    leave: (tab: FixtureTab, origin: string) => Promise<void>,
  ) =>
    suite.inFreshContext(async ({ openFixture, origin }) => {
      const channel = freshChannel('presence');
      const observer = await openFixture({ collect: [channel] });
      const stayer = await openFixture({ collect: [channel] });
      const leaver = await openFixture({ collect: [channel] });
      expect(countsOf(await observer.stats(), channel)).toEqual({
        clients: 3,
        subscribers: 3,
        published: 0,
      });

      const leftAt = Date.now();
      await leave(leaver, origin);
      const left = Date.now() - leftAt;
      const forgotten = await countsReached(
        observer,
        channel,
        { clients: 2, subscribers: 2, published: 0 },
        leftAt,
      );
      timings.record(`${what} -> hub forgot it`, forgotten, { 'leaving took': left });
      expect(forgotten).toBeLessThanOrEqual(FORGET_WITHIN_MS);

      const deliveredBefore = (await observer.stats()).delivered;
      await stayer.publish(channel, 'after the departure');
      for (const tab of [observer, stayer]) {
        expect(await tab.waitForValues(channel, 1)).toEqual(['after the departure']);
      }
      const after = await observer.stats();
      expect(after.delivered - deliveredBefore).toBe(2);
      expect(countsOf(after, channel)).toEqual({ clients: 2, subscribers: 2, published: 1 });
    });

  for (const { how, leave } of DEPARTURES) {
    it(
      `should forget a tab within 2 s after it ${how}`,
      forgetsWithin2s(`tab ${how.replace(/^is /, '')}`, leave),
    );
  }

  itWhere(
    'cdp',
    'should forget a tab within 2 s after its renderer crashes, with no goodbye possible',
    forgetsWithin2s('renderer crashed', (tab) => endTabAbruptly(tab.tab)),
  );

  it(
    'should move every tab to a new hub within 5 s of the worker dying, keeping the values the tabs saw',
    suite.inFreshContext(async ({ openFixture, browser, origin }) => {
      const channel = freshChannel('note');
      const kept = freshChannel('kept');
      const writer = await openFixture({ collect: [channel, kept], worker: 'mortal' });
      const reader = await openFixture({ collect: [channel, kept], worker: 'mortal' });
      const tabs = [writer, reader];
      await writer.publish(kept, { n: 1 });
      await writer.publish(channel, 'draft 1');
      for (const tab of tabs) {
        expect(await tab.waitForValues(kept, 1)).toEqual([{ n: 1 }]);
        expect(await tab.waitForValues(channel, 1)).toEqual(['draft 1']);
      }
      const oldHub = (await writer.stats()).instanceId;

      const killedAt = Date.now();
      const death = await killSharedWorker(browser, origin, reader.tab);
      // Sent to the dead hub, so it waits for the new one.
      const published = writer.publish(channel, 'draft 2');
      const seen = await Promise.all(tabs.map((tab) => tab.waitForValues(channel, 2, WATCH_MS)));
      const recovered = Date.now() - killedAt;
      await published;
      timings.record(
        `worker killed (${death}) -> a publish sent at once seen in both tabs`,
        recovered,
      );
      expect(seen).toEqual([
        ['draft 1', 'draft 2'],
        ['draft 1', 'draft 2'],
      ]);
      expect(recovered).toBeLessThanOrEqual(RECOVER_WITHIN_MS);

      await reader.publish(channel, 'draft 3');
      for (const tab of tabs) {
        expect(await tab.waitForValues(channel, 3)).toEqual(['draft 1', 'draft 2', 'draft 3']);
        expect(await tab.connectionStates()).toEqual([
          'connecting',
          'open',
          'reconnecting',
          'open',
        ]);
        // Nobody published `kept` to the new hub: it has the value because the tabs offered it back.
        expect(await tab.get(kept)).toEqual({ n: 1 });
        expect(await tab.collected(kept)).toEqual({
          values: [{ n: 1 }],
          completed: false,
          error: null,
        });
        expect(await tab.collected(channel)).toEqual({
          values: ['draft 1', 'draft 2', 'draft 3'],
          completed: false,
          error: null,
        });
      }
      const [writerHub, readerHub] = await Promise.all(tabs.map((tab) => tab.stats()));
      expect(writerHub!.instanceId).not.toBe(oldHub);
      expect(readerHub!.instanceId).toBe(writerHub!.instanceId);
      expect(countsOf(writerHub!, channel)).toEqual({ clients: 2, subscribers: 2, published: 2 });
      expect(countsOf(writerHub!, kept)).toEqual({ clients: 2, subscribers: 2, published: 0 });
    }),
  );

  it(
    'should answer a get in flight when the worker dies from the new hub, with the value the tabs kept',
    suite.inFreshContext(async ({ openFixture, browser, origin }) => {
      const channel = freshChannel('settings');
      const tabs = [
        await openFixture({ collect: [channel], worker: 'mortal' }),
        await openFixture({ collect: [channel], worker: 'mortal' }),
      ];
      await tabs[0]!.publish(channel, { theme: 'dark' });
      for (const tab of tabs)
        expect(await tab.waitForValues(channel, 1)).toEqual([{ theme: 'dark' }]);
      const oldHub = (await tabs[0]!.stats()).instanceId;

      const killedAt = Date.now();
      const death = await killSharedWorker(browser, origin, tabs[1]!.tab);
      // Each get goes to the dead hub and must be sent again to the new one within its 10 s timeout.
      const answers = await Promise.all(tabs.map((tab) => tab.get(channel)));
      timings.record(`worker killed (${death}) -> gets in flight answered`, Date.now() - killedAt);
      expect(answers).toEqual([{ theme: 'dark' }, { theme: 'dark' }]);
      for (const tab of tabs) {
        expect(await tab.connectionStates()).toEqual([
          'connecting',
          'open',
          'reconnecting',
          'open',
        ]);
        expect(await tab.values(channel)).toEqual([{ theme: 'dark' }]);
      }
      const [first, second] = await Promise.all(tabs.map((tab) => tab.stats()));
      expect(first!.instanceId).not.toBe(oldHub);
      expect(second!.instanceId).toBe(first!.instanceId);
    }),
  );

  it(
    'should refuse a hello in another protocol version with a VersionMismatchError reply',
    suite.inFreshContext(async ({ openFixture }) => {
      const channel = freshChannel('after-skew');
      const tab = await openFixture({ collect: [channel] });
      await tab.openRawPort();
      await tab.sendRaw(
        JSON.stringify({
          type: 'hello',
          clientId: 'tab-of-another-deploy',
          requestId: 'skew',
          version: 999,
          features: [],
        }),
      );
      const replies = await tab.waitForRawReplies(1);
      expect(replies.map((reply) => reply.message)).toEqual([
        {
          type: 'error',
          name: 'VersionMismatchError',
          requestId: 'skew',
          error: textContaining(
            `the hub speaks protocol version ${PROTOCOL_VERSION}, the tab speaks 999`,
          ),
        },
      ]);

      // The tab's own client, on the same hub, is served as before.
      await tab.publish(channel, 'still served');
      expect(await tab.waitForValues(channel, 1)).toEqual(['still served']);
      expect(await tab.connectionStates()).toEqual(['connecting', 'open']);
      expect(await tab.waitForRawReplies(1)).toHaveLength(1);
    }),
  );
});
