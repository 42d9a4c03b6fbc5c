import { CASE_TIMEOUT_MS, useBrowserSuite } from './support/browser-suite.js';
import { eventually } from './support/eventually.js';
import type { FixtureTab, HubStats } from './support/fixture-tab.js';
import { freshChannel } from './support/fresh-channel.js';
import { publisherSwitches, range } from './support/sequences.js';

// Browsers are slow to start tabs on a 2-core machine; a case fails on its own deadline first, with artifacts.
jest.setTimeout(CASE_TIMEOUT_MS + 30_000);

const suite = useBrowserSuite();

/** The subscriber and publish counts of one channel in a stats snapshot. */
function channelCounts(
  stats: HubStats,
  channel: string,
): { subscribers: number; published: number } {
  const found = stats.channels.find((entry) => entry.channel === channel);
  return { subscribers: found?.subscribers ?? 0, published: found?.published ?? 0 };
}

/** `expect.stringMatching`, typed as what it is to the caller: a value to compare with. */
function textMatching(pattern: RegExp): unknown {
  return expect.stringMatching(pattern) as unknown;
}

describe('SharedWorkerClient in real browser tabs', () => {
  it(
    'should deliver a value published in one tab to the other tabs of its context, and to no other context',
    suite.inFreshContext(async ({ openFixture, newContext }) => {
      const channel = freshChannel('news');
      const tabs = await Promise.all(range(3).map(() => openFixture({ collect: [channel] })));
      const [first, second, third] = tabs as [FixtureTab, FixtureTab, FixtureTab];

      await first.publish(channel, { headline: 'from the first tab', n: 1 });
      for (const tab of tabs) {
        expect(await tab.waitForValues(channel, 1)).toEqual([
          { headline: 'from the first tab', n: 1 },
        ]);
      }
      await third.publish(channel, 'from the third tab');
      for (const tab of tabs) {
        expect(await tab.waitForValues(channel, 2)).toEqual([
          { headline: 'from the first tab', n: 1 },
          'from the third tab',
        ]);
      }

      const snapshots = await Promise.all(tabs.map((tab) => tab.stats()));
      const hubIds = new Set(snapshots.map((stats) => stats.instanceId));
      expect(hubIds.size).toBe(1);
      const [hubOfFirstContext] = [...hubIds];
      const shared = await second.stats();
      expect(shared.clients).toBe(3);
      expect(channelCounts(shared, channel)).toEqual({ subscribers: 3, published: 2 });

      const otherContext = await newContext();
      const outsider = await otherContext.openFixture({ collect: [channel] });
      const outsiderHub = await outsider.stats();
      expect(outsiderHub.instanceId).not.toBe(hubOfFirstContext);
      expect(outsiderHub.clients).toBe(1);
      expect(outsiderHub.published).toBe(0);
      expect(await outsider.get(channel)).toBeUndefined();
      expect(await outsider.values(channel)).toEqual([]);

      await outsider.publish(channel, 'only in the second context');
      expect(await outsider.waitForValues(channel, 1)).toEqual(['only in the second context']);
      for (const tab of tabs) {
        // A get is answered after everything its hub sent this tab before, so no stray value is in flight.
        expect(await tab.get(channel)).toBe('from the third tab');
        expect(await tab.values(channel)).toEqual([
          { headline: 'from the first tab', n: 1 },
          'from the third tab',
        ]);
      }
    }),
  );

  it(
    'should give a tab opened after a publish the current value first, then every update',
    suite.inFreshContext(async ({ openFixture }) => {
      const channel = freshChannel('price');
      const publisher = await openFixture();
      await publisher.publish(channel, { symbol: 'BTC', price: 45_000 });

      const viaObservable = await openFixture({ collect: [channel] });
      const viaCallback = await openFixture({ collect: [channel], via: 'callback' });
      expect(await viaObservable.values(channel)).toEqual([{ symbol: 'BTC', price: 45_000 }]);
      expect(await viaCallback.values(channel)).toEqual([{ symbol: 'BTC', price: 45_000 }]);

      await publisher.publish(channel, { symbol: 'BTC', price: 45_100 });
      for (const tab of [viaObservable, viaCallback]) {
        expect(await tab.waitForValues(channel, 2)).toEqual([
          { symbol: 'BTC', price: 45_000 },
          { symbol: 'BTC', price: 45_100 },
        ]);
      }

      const bystander = await openFixture();
      for (const tab of [publisher, viaObservable, viaCallback, bystander]) {
        expect(await tab.get(channel)).toEqual({ symbol: 'BTC', price: 45_100 });
      }
      expect(await bystander.get(freshChannel('never-published'))).toBeUndefined();
    }),
  );

  it(
    'should stop deliveries only in the tab that unsubscribes',
    suite.inFreshContext(async ({ openFixture }) => {
      const channel = freshChannel('counter');
      const publisher = await openFixture({ collect: [channel] });
      const stayer = await openFixture({ collect: [channel] });
      const leaver = await openFixture({ collect: [channel] });
      const callbackLeaver = await openFixture({ collect: [channel], via: 'callback' });
      const everyone = [publisher, stayer, leaver, callbackLeaver];

      await publisher.publish(channel, 1);
      for (const tab of everyone) expect(await tab.waitForValues(channel, 1)).toEqual([1]);

      await leaver.unsubscribe(channel);
      await callbackLeaver.stop(channel);
      expect(await leaver.collected(channel)).toEqual({
        values: [1],
        completed: true,
        error: null,
      });

      await publisher.publish(channel, 2);
      await publisher.publish(channel, 3);
      expect(await publisher.waitForValues(channel, 3)).toEqual([1, 2, 3]);
      expect(await stayer.waitForValues(channel, 3)).toEqual([1, 2, 3]);
      for (const tab of [leaver, callbackLeaver]) {
        // The hub answers this get after anything it pushed to the tab before, so [1] is final.
        expect(await tab.get(channel)).toBe(3);
        expect(await tab.values(channel)).toEqual([1]);
      }
      expect(channelCounts(await publisher.stats(), channel)).toEqual({
        subscribers: 2,
        published: 3,
      });
    }),
  );

  it(
    'should show every tab the same order of 1,000 values published by two tabs at once',
    suite.inFreshContext(async ({ openFixture }) => {
      const channel = freshChannel('ticks');
      const startSignal = freshChannel('start');
      const tabs = await Promise.all(range(3).map(() => openFixture({ collect: [channel] })));
      const [alice, bob, observer] = tabs as [FixtureTab, FixtureTab, FixtureTab];
      const fromAlice = range(500).map((n) => `a${n}`);
      const fromBob = range(500).map((n) => `b${n}`);

      // Both start on the same pushed signal, then publish one value per ack: their values interleave.
      await alice.armPublishEach(startSignal, channel, fromAlice);
      await bob.armPublishEach(startSignal, channel, fromBob);
      await observer.publish(startSignal, 'go');
      await Promise.all([alice.armed(), bob.armed()]);

      const sequences = await Promise.all(tabs.map((tab) => tab.waitForValues(channel, 1_000)));
      const [reference] = sequences as [unknown[]];
      expect(reference).toHaveLength(1_000);
      expect(reference.filter((value) => String(value).startsWith('a'))).toEqual(fromAlice);
      expect(reference.filter((value) => String(value).startsWith('b'))).toEqual(fromBob);
      // The two runs overlapped (a…b…a or b…a…b), so the hub really ordered concurrent publishers. How
      // finely they interleave depends on how the machine schedules the two tabs: at least twice.
      expect(publisherSwitches(reference)).toBeGreaterThanOrEqual(2);
      for (const sequence of sequences) expect(sequence).toEqual(reference);

      const last = reference[reference.length - 1];
      for (const tab of tabs) {
        expect(await tab.get(channel)).toBe(last);
        expect(await tab.values(channel)).toHaveLength(1_000);
      }
      expect(channelCounts(await observer.stats(), channel)).toEqual({
        subscribers: 3,
        published: 1_000,
      });
    }),
  );

  it(
    "should answer garbage sent to the worker's port with errors while other tabs lose nothing",
    suite.inFreshContext(async ({ openFixture }) => {
      const channel = freshChannel('traffic');
      const sender = await openFixture({ collect: [channel] });
      const receiver = await openFixture({ collect: [channel] });
      const vandal = await openFixture();
      await vandal.openRawPort();
      const values = range(300).map((n) => ({ n }));

      await sender.publishEach(channel, values.slice(0, 100));
      await Promise.all([
        sender.publishEach(channel, values.slice(100, 200)),
        (async () => {
          await vandal.sendRaw('{"type":"publish", not json');
          await vandal.sendRaw({ type: 'publish', note: 'an object, not a JSON string' });
          await vandal.sendRaw(
            JSON.stringify({ type: 'explode', clientId: 'vandal', channel, requestId: 'unknown' }),
          );
          // Built in the page: 5 MiB need not cross the test-process boundary.
          await vandal.tab.evaluate(
            ([name, size]) =>
              window.harness.sendRaw(
                JSON.stringify({
                  type: 'publish',
                  clientId: 'vandal',
                  channel: name,
                  data: 'x'.repeat(size),
                  requestId: 'too-large',
                }),
              ),
            [channel, 5 * 1024 * 1024] as const,
          );
          await vandal.sendRaw(
            JSON.stringify({
              type: 'publish',
              clientId: 'vandal',
              channel: 42,
              data: 'to a number',
              requestId: 'bad-channel',
            }),
          );
        })(),
      ]);
      await sender.publishEach(channel, values.slice(200));

      // The port that sent garbage is still served.
      await vandal.sendRaw(
        JSON.stringify({
          type: 'publish',
          clientId: 'vandal',
          channel,
          data: 'from the raw port',
          requestId: 'valid',
        }),
      );
      const replies = await vandal.waitForRawReplies(6);
      expect(replies.every((reply) => typeof reply.raw === 'string')).toBe(true);
      expect(replies.map((reply) => reply.message)).toMatchObject([
        { type: 'error', error: textMatching(/not valid JSON/) },
        { type: 'error', error: textMatching(/must be a JSON string/) },
        {
          type: 'error',
          error: textMatching(/unknown message type "explode"/),
          requestId: 'unknown',
        },
        { type: 'error', error: textMatching(/payload limit exceeded/) },
        {
          type: 'error',
          error: textMatching(/channel must be a non-empty string, got 42/),
          requestId: 'bad-channel',
        },
        { type: 'published', channel, requestId: 'valid' },
      ]);

      const expected = [...values, 'from the raw port'];
      for (const tab of [sender, receiver]) {
        expect(await tab.waitForValues(channel, expected.length)).toEqual(expected);
        expect(await tab.get(channel)).toBe('from the raw port');
      }
      expect(channelCounts(await receiver.stats(), channel)).toEqual({
        subscribers: 2,
        published: 301,
      });
      expect(await vandal.waitForRawReplies(6)).toHaveLength(6);
    }),
  );

  it(
    'should resubscribe a reloaded tab and give it the current value',
    suite.inFreshContext(async ({ openFixture }) => {
      const channel = freshChannel('note');
      const writer = await openFixture({ collect: [channel] });
      const reader = await openFixture({ collect: [channel] });
      await writer.publish(channel, 'draft 1');
      expect(await reader.waitForValues(channel, 1)).toEqual(['draft 1']);

      await reader.reload();
      expect(await reader.values(channel)).toEqual(['draft 1']);
      await writer.publish(channel, 'draft 2');
      expect(await reader.waitForValues(channel, 2)).toEqual(['draft 1', 'draft 2']);
      expect(await writer.values(channel)).toEqual(['draft 1', 'draft 2']);

      // The page before the reload said goodbye: the hub counts two tabs, not three.
      await eventually(async () => {
        const stats = await writer.stats();
        expect({ clients: stats.clients, ...channelCounts(stats, channel) }).toEqual({
          clients: 2,
          subscribers: 2,
          published: 2,
        });
      });
    }),
  );

  it(
    'should stop counting a tab once it is closed',
    suite.inFreshContext(async ({ openFixture }) => {
      const channel = freshChannel('presence');
      const tabs = await Promise.all(range(3).map(() => openFixture({ collect: [channel] })));
      const [stayer, otherStayer, leaver] = tabs as [FixtureTab, FixtureTab, FixtureTab];
      const before = await stayer.stats();
      expect({ clients: before.clients, ...channelCounts(before, channel) }).toEqual({
        clients: 3,
        subscribers: 3,
        published: 0,
      });

      await leaver.close();
      await eventually(async () => {
        const stats = await stayer.stats();
        expect({
          clients: stats.clients,
          subscribers: channelCounts(stats, channel).subscribers,
        }).toEqual({ clients: 2, subscribers: 2 });
      });

      const deliveredBefore = (await stayer.stats()).delivered;
      await otherStayer.publish(channel, 'after the close');
      for (const tab of [stayer, otherStayer]) {
        expect(await tab.waitForValues(channel, 1)).toEqual(['after the close']);
      }
      expect((await stayer.stats()).delivered - deliveredBefore).toBe(2);
    }),
  );
});
