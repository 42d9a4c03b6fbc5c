import type { Browser, BrowserContext, Tab } from '../driver/driver.js';
import { launchBrowser } from '../driver/launch-browser.js';
import type { ListenVia } from '../fixtures/harness.js';
import { startStaticServer } from '../server/static-server.js';
import type { StaticServer } from '../server/static-server.js';
import { runWithEvidence } from './artifacts.js';
import { buildFixtures, CHUNKS_DIR, FIXTURE_PAGE } from './build-fixtures.js';
import { FixtureTab } from './fixture-tab.js';
import { TICKING_WORKER_URL } from '../fixtures/ticker.js';

/** How long one case may run before it fails (and leaves artifacts); keep jest's timeout above it. */
export const CASE_TIMEOUT_MS = 45_000;

/** Building the bundles and launching the browser, once per spec file. */
const SETUP_TIMEOUT_MS = 90_000;

/** How a fixture tab starts. */
export interface FixtureOptions {
  /** Channels the page starts recording on load, and again after every reload. */
  readonly collect?: readonly string[];
  /** Which client API those recordings use. */
  readonly via?: ListenVia;
  /** `'mortal'`: the page's client uses `/mortal-worker.js`, a worker a case can end (see killSharedWorker). */
  readonly worker?: 'mortal';
}

/** One isolated browser context of a case (its own storage, so its own hub). */
export interface CaseContext {
  /** Opens `fixture.html`; resolves once its startup subscriptions are registered by the hub. */
  readonly openFixture: (options?: FixtureOptions) => Promise<FixtureTab>;
  /** Opens any path of the fixture server, e.g. a built demo mounted with `directories`. */
  readonly openTab: (path: string) => Promise<Tab>;
}

/**
 * What a case body gets: a fresh context, the means to open more, and the shared browser and server.
 * Its functions are properties, not methods, so a case may destructure them.
 */
export interface Scene extends CaseContext {
  /** Another isolated context, closed with the case. */
  readonly newContext: () => Promise<CaseContext>;
  readonly browser: Browser;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
}

/** The per-file browser, server and case wrapper returned by {@link useBrowserSuite}. */
export interface BrowserSuite {
  /**
   * Wraps a case body for `it`: it runs in a fresh context; if it fails, times out or leaves an uncaught page
   * error, every tab's screenshot and console log are saved; its contexts are closed in every outcome.
   */
  inFreshContext(body: (scene: Scene) => Promise<void>, options?: CaseOptions): () => Promise<void>;
}

/** How one case runs. */
export interface CaseOptions {
  /**
   * How long the case may run before it fails with artifacts (ms). Default {@link CASE_TIMEOUT_MS}; a case
   * that waits longer on purpose (an idle minute) sets its own, and jest's timeout above it.
   */
  readonly timeoutMs?: number;
}

/** Extra content for the fixture server. */
export interface BrowserSuiteOptions {
  /** URL prefixes (ending in `/`) mapped to directories, e.g. a built demo. */
  readonly directories?: Readonly<Record<string, string>>;
}

/**
 * Registers `beforeAll`/`afterAll` hooks that build the fixture bundles, start the static server and launch
 * one browser for the spec file, and close both at the end, also when a case or the setup failed.
 *
 * ```ts
 * const suite = useBrowserSuite();
 * it('should ...', suite.inFreshContext(async ({ openFixture }) => { ... }));
 * ```
 */
export function useBrowserSuite(options: BrowserSuiteOptions = {}): BrowserSuite {
  let browser: Browser | undefined;
  let server: StaticServer | undefined;
  let setup: string[] = [];
  let ended = false;

  beforeAll(async () => {
    // Build and launch in parallel; keep whatever started even if the other failed, so afterAll can end it.
    const [launched, built] = await Promise.allSettled([launchBrowser(), buildFixtures()]);
    if (launched.status === 'fulfilled') {
      // A setup that outlived its timeout finishes after afterAll ran: nobody else would close this browser.
      if (ended) return launched.value.close();
      browser = launched.value;
    }
    if (launched.status === 'rejected') throw launched.reason;
    if (built.status === 'rejected') throw built.reason;
    setup = [
      `client bundle: ${built.value.clientBundle}`,
      `worker bundle: ${built.value.workerBundle} (built from ${built.value.workerOrigin})`,
    ];
    server = await startStaticServer({
      files: {
        '/fixture.html': FIXTURE_PAGE,
        '/client.js': built.value.clientBundle,
        '/shared-worker.js': built.value.workerBundle,
        '/mortal-worker.js': built.value.mortalWorkerBundle,
        [TICKING_WORKER_URL]: built.value.tickingWorkerBundle,
      },
      directories: { '/chunks/': CHUNKS_DIR, ...options.directories },
    });
    if (ended) await Promise.allSettled([browser?.close(), server.close()]);
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    ended = true;
    await Promise.allSettled([browser?.close(), server?.close()]);
  });

  return {
    inFreshContext:
      (body, { timeoutMs = CASE_TIMEOUT_MS } = {}) =>
      async () => {
        if (browser === undefined || server === undefined) {
          throw new Error('the browser suite did not start: see the beforeAll error above');
        }
        await runCase(browser, server, setup, body, timeoutMs);
      },
  };
}

async function runCase(
  browser: Browser,
  server: StaticServer,
  setup: readonly string[],
  body: (scene: Scene) => Promise<void>,
  timeoutMs: number,
): Promise<void> {
  const contexts: BrowserContext[] = [];
  const tabs: Tab[] = [];
  const firstRequest = server.requests.length;

  const newContext = async (): Promise<CaseContext> => {
    const context = await browser.newContext();
    contexts.push(context);
    const openTab = async (path: string): Promise<Tab> => {
      const tab = await context.openTab(new URL(path, server.origin).href);
      tabs.push(tab);
      return tab;
    };
    return {
      openTab,
      openFixture: async ({ collect = [], via = 'observable', worker } = {}) => {
        const query = new URLSearchParams({ collect: collect.join(','), via });
        if (worker !== undefined) query.set('worker', worker);
        const tab = await openTab(`/fixture.html?${query.toString()}`);
        await tab.evaluate(() => window.harness.ready);
        return new FixtureTab(tab);
      },
    };
  };

  try {
    await runWithEvidence(
      async () => {
        const first = await newContext();
        await body({ ...first, newContext, browser, origin: server.origin });
        expectNoPageErrors(tabs);
      },
      timeoutMs,
      () => ({
        engine: browser.engine,
        tabs,
        requests: server.requests.slice(firstRequest),
        setup,
      }),
    );
  } finally {
    await Promise.allSettled(contexts.map((context) => context.close()));
  }
}

// An uncaught error or unhandled rejection in a tab is a defect a user would see, even when the case's own
// assertions held.
function expectNoPageErrors(tabs: readonly Tab[]): void {
  const errors = tabs.flatMap((tab) =>
    tab
      .consoleLog()
      .filter((entry) => entry.type === 'pageerror')
      .map((entry) => `${tab.id}: ${entry.text}`),
  );
  if (errors.length > 0) throw new Error(`uncaught errors in the page:\n${errors.join('\n')}`);
}
