import { resolve } from 'node:path';
import type { Tab } from './driver/driver.js';
import { CASE_TIMEOUT_MS, useBrowserSuite } from './support/browser-suite.js';
import { useTimings } from './support/timings.js';

jest.setTimeout(CASE_TIMEOUT_MS + 30_000);

/** The worker files of these cases (fixtures/worker-start/), served under this prefix. */
const FILES = '/worker-start/';
const suite = useBrowserSuite({
  directories: { [FILES]: resolve(__dirname, 'fixtures/worker-start') },
});
const timings = useTimings('worker-start');

/** A worker that cannot start is a named error within this long of the client's construction. */
const REPORTED_WITHIN_MS = 2_000;
/** The requests' own timeout: the deadline of every wait in the page, far above the bound checked. */
const REQUEST_TIMEOUT_MS = 5_000;
/** How long the page keeps watching after the worker's `error`, past the client's grace for a welcome. */
const AFTER_ERROR_MS = 1_500;

/** How one request of the page's client settled, and when (ms after the client was made). */
interface Settled {
  readonly value?: unknown;
  readonly error?: { readonly name: string; readonly message: string };
  readonly ms: number;
}

/** What a page saw of a client of one worker file. */
interface Started {
  readonly publish: Settled;
  readonly get: Settled;
  /** `connectionState$`, from the client's construction to the end of the watch. */
  readonly states: readonly string[];
  /** When the worker first fired `error` (ms after the client was made); null: it never did. */
  readonly workerError: number | null;
}

/**
 * Makes a client of `url` in the page (`new SharedWorker(url, options)` from a factory, as an app
 * does), publishes and gets one value, and watches until both settled, the client is open or failed
 * and, when the worker fired `error`, {@link AFTER_ERROR_MS} more; at most until the requests' timeout.
 */
function startClient(tab: Tab, url: string, options: WorkerOptions): Promise<Started> {
  // No async/await or optional chaining here: the function is serialised as compiled, without helpers.
  return tab.evaluate(
    ([workerUrl, workerOptions, timeout, afterError]) =>
      new Promise<Started>((done) => {
        const started = performance.now();
        const since = (): number => Math.round(performance.now() - started);
        let workerError: number | null = null;
        const client = new window.SharedChannels.SharedWorkerClient(
          () => {
            const worker = new SharedWorker(workerUrl, workerOptions);
            worker.addEventListener('error', (event) => {
              if (workerError === null) workerError = since();
              // Handled here, as by an app that reports it: Firefox ESR also reports a worker's
              // uncaught exception as one of the page's unless a listener cancels it.
              event.preventDefault();
            });
            return worker;
          },
          { timeout },
        );
        const states: string[] = [];
        client.connectionState$.subscribe((state) => states.push(state));
        const settle = (request: Promise<unknown>): Promise<Settled> =>
          request.then(
            (value) => ({ value, ms: since() }),
            (error: Error) => ({
              error: { name: error.name, message: error.message },
              ms: since(),
            }),
          );
        void Promise.all([settle(client.publish('c', 1)), settle(client.get('c'))]).then(
          ([publish, get]) => {
            const watch = (): void => {
              // A hub may answer requests before its welcome, which opens the client.
              const last = states[states.length - 1];
              const decided = last === 'open' || last === 'failed';
              const watched = workerError === null || since() >= workerError + afterError;
              if ((decided && watched) || since() >= timeout) {
                done({ publish, get, states: states.slice(), workerError });
              } else setTimeout(watch, 20);
            };
            watch();
          },
        );
      }),
    [url, options, REQUEST_TIMEOUT_MS, AFTER_ERROR_MS] as const,
  );
}

/** What a request rejected with WorkerStartError looks like, named by its call. */
function workerStartError(call: string): unknown {
  return expect.objectContaining({
    name: 'WorkerStartError',
    message: expect.stringMatching(
      new RegExp(
        `^${call.replace(/[()]/g, '\\$&')}: the SharedWorker script failed to start.*type: 'module'`,
      ),
    ) as unknown,
  }) as unknown;
}

function expectFailedToStart(started: Started): void {
  expect(started.workerError).not.toBeNull();
  expect(started.publish.error).toEqual(workerStartError('publish("c")'));
  expect(started.get.error).toEqual(workerStartError('get("c")'));
  expect(started.publish.ms).toBeLessThan(REPORTED_WITHIN_MS);
  expect(started.get.ms).toBeLessThan(REPORTED_WITHIN_MS);
  expect(started.states).toEqual(['connecting', 'failed']);
  timings.record('client made -> WorkerStartError', started.get.ms, {
    'client made -> worker error event': started.workerError ?? -1,
  });
}

describe('SharedWorkerClient when its worker cannot start, in a real browser', () => {
  it(
    'should reject get and publish with WorkerStartError within 2 s and say failed, when the worker script is not found',
    suite.inFreshContext(async ({ openFixture }) => {
      const tab = await openFixture();
      expectFailedToStart(await startClient(tab.tab, `${FILES}missing.js`, { name: 'channels' }));
    }),
  );

  it(
    'should reject get and publish with WorkerStartError within 2 s and say failed, when a module worker file is started as a classic script',
    suite.inFreshContext(async ({ openFixture }) => {
      const tab = await openFixture();
      expectFailedToStart(
        await startClient(tab.tab, `${FILES}module-worker.mjs`, { name: 'channels' }),
      );
    }),
  );

  it(
    "should serve through that module worker file started with { type: 'module' }",
    suite.inFreshContext(async ({ openFixture }) => {
      const tab = await openFixture();
      const started = await startClient(tab.tab, `${FILES}module-worker.mjs`, {
        name: 'channels',
        type: 'module',
      });
      expect(started).toEqual({
        publish: { value: undefined, ms: expect.any(Number) as unknown },
        get: { value: 1, ms: expect.any(Number) as unknown },
        states: ['connecting', 'open'],
        workerError: null,
      });
    }),
  );

  it(
    'should serve through a worker whose script threw after it started the hub, though the worker fired error',
    suite.inFreshContext(async ({ openFixture }) => {
      const tab = await openFixture();
      const started = await startClient(tab.tab, `${FILES}throwing-worker.js`, {
        name: 'channels',
      });
      // Every engine fires `error` for it, before the hub welcomes the client: the client waits.
      expect(started.workerError).not.toBeNull();
      expect(started).toMatchObject({
        publish: { value: undefined },
        get: { value: 1 },
        states: ['connecting', 'open'],
      });
    }),
  );
});
