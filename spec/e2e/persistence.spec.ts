import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SharedWorkerClient } from '../../src/index.js';
import type { Browser, Tab } from './driver/driver.js';
import { launchBrowserWithProfile } from './driver/launch-browser.js';
import { startStaticServer, type StaticServer } from './server/static-server.js';
import { runWithEvidence } from './support/artifacts.js';
import { CASE_TIMEOUT_MS } from './support/browser-suite.js';
import { itWhere } from './support/engine.js';
import { buildFixtures, FIXTURE_PAGE } from './support/build-fixtures.js';
import { freshChannel } from './support/fresh-channel.js';

declare global {
  interface Window {
    /** This tab's client of the persisting worker (the fixture's own client talks to another worker). */
    persisted?: SharedWorkerClient;
  }
}

jest.setTimeout(CASE_TIMEOUT_MS + 30_000);

/** The worker bundle with persistence on for `keep:*` channels; the same URL in every tab. */
const PERSISTING_WORKER = '/shared-worker.js?persist=keep:*';

let server: StaticServer;
let setup: string[] = [];

beforeAll(async () => {
  const built = await buildFixtures();
  setup = [`worker bundle: ${built.workerBundle} (built from ${built.workerOrigin})`];
  server = await startStaticServer({
    files: {
      '/fixture.html': FIXTURE_PAGE,
      '/client.js': built.clientBundle,
      '/shared-worker.js': built.workerBundle,
    },
  });
}, 90_000);

afterAll(async () => {
  await server?.close();
});

/**
 * What a case gets: browsers launched on one profile folder, and tabs in them with a persisting client.
 * Its functions are properties, so a case may destructure them.
 */
interface ProfileScene {
  /** Launches the browser on the case's profile; the previous launch must be closed first. */
  readonly launch: () => Promise<Browser>;
  /** Opens the fixture page in `browser` and connects a client of the persisting worker. */
  readonly openTab: (browser: Browser) => Promise<Tab>;
}

/**
 * Runs a case on a profile folder of its own, kept across the browser launches the case makes and
 * deleted after it. On failure, saves every tab's screenshot and console log, as the suite does.
 */
function withProfile(body: (scene: ProfileScene) => Promise<void>): () => Promise<void> {
  return async () => {
    const userDataDir = await mkdtemp(join(tmpdir(), 'shared-channels-profile-'));
    const browsers: Browser[] = [];
    const tabs: Tab[] = [];
    const firstRequest = server.requests.length;
    const scene: ProfileScene = {
      launch: async () => {
        const browser = await launchBrowserWithProfile(userDataDir);
        browsers.push(browser);
        return browser;
      },
      openTab: async (browser) => {
        const tab = await (await browser.newContext()).openTab(`${server.origin}/fixture.html`);
        tabs.push(tab);
        await tab.evaluate((url) => {
          window.persisted = new window.SharedChannels.SharedWorkerClient(url);
        }, PERSISTING_WORKER);
        return tab;
      },
    };
    try {
      await runWithEvidence(
        () => body(scene),
        CASE_TIMEOUT_MS,
        () => ({
          engine: browsers[0]?.engine ?? 'chromium',
          tabs,
          requests: server.requests.slice(firstRequest),
          setup,
        }),
      );
    } finally {
      await Promise.allSettled(browsers.map((browser) => browser.close()));
      await rm(userDataDir, { recursive: true, force: true });
    }
  };
}

function publish(tab: Tab, channel: string, data: unknown): Promise<void> {
  return tab.evaluate(([name, value]) => window.persisted!.publish(name, value), [
    channel,
    data,
  ] as const);
}

function get(tab: Tab, channel: string): Promise<unknown> {
  return tab.evaluate((name) => window.persisted!.get(name), channel);
}

function hubInstance(tab: Tab): Promise<string> {
  return tab.evaluate(async () => (await window.persisted!.stats()).instanceId);
}

describe('persisted channels in a real browser', () => {
  itWhere(
    'keepsProfile',
    'should give a tab the value published before the browser was closed and started again',
    withProfile(async ({ launch, openTab }) => {
      const settings = freshChannel('keep:settings');
      const notPersisted = freshChannel('memory');
      const first = await launch();
      const tab = await openTab(first);
      await publish(tab, settings, { theme: 'dark', fontSize: 14 });
      await publish(tab, notPersisted, 'gone with the worker');
      await first.close();

      const second = await launch();
      const reopened = await openTab(second);
      expect(await get(reopened, settings)).toEqual({ theme: 'dark', fontSize: 14 });
      expect(await get(reopened, notPersisted)).toBeUndefined();
      // The tab's Observable gets the stored value first, like any current value.
      const firstValue = await reopened.evaluate(
        (name) =>
          new Promise((resolve) => {
            const subscription = window.persisted!.channel(name).subscribe((value) => {
              resolve(value);
              queueMicrotask(() => subscription.unsubscribe());
            });
          }),
        settings,
      );
      expect(firstValue).toEqual({ theme: 'dark', fontSize: 14 });
    }),
  );

  it(
    'should keep the last acknowledged value when every tab closes at once right after the ack',
    withProfile(async ({ launch, openTab }) => {
      const channel = freshChannel('keep:draft');
      const browser = await launch();
      const tabs = await Promise.all([openTab(browser), openTab(browser), openTab(browser)]);
      const [writer] = tabs;
      const hubBefore = await hubInstance(writer);
      // 500 publishes in flight at once; resolves with the last one's ack.
      const acknowledged = await writer.evaluate(async (name) => {
        const acks = Array.from({ length: 500 }, (_, index) =>
          window.persisted!.publish(name, { revision: index + 1 }),
        );
        await acks[acks.length - 1];
        return 500;
      }, channel);
      await Promise.all(tabs.map((tab) => tab.close()));

      const reopened = await openTab(browser);
      expect(await hubInstance(reopened)).not.toBe(hubBefore);
      expect(await get(reopened, channel)).toEqual({ revision: acknowledged });
    }),
  );

  itWhere(
    'keepsProfile',
    'should forget a cleared value across a browser restart',
    withProfile(async ({ launch, openTab }) => {
      const channel = freshChannel('keep:cart');
      const first = await launch();
      await publish(await openTab(first), channel, ['apple']);
      await first.close();

      const second = await launch();
      const tab = await openTab(second);
      expect(await get(tab, channel)).toEqual(['apple']);
      await tab.evaluate((name) => window.persisted!.clear(name), channel);
      expect(await get(tab, channel)).toBeUndefined();
      await second.close();

      const third = await launch();
      expect(await get(await openTab(third), channel)).toBeUndefined();
    }),
  );
});
