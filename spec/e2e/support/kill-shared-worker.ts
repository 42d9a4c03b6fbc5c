import type { Browser, Tab } from '../driver/driver.js';
import { CLOSING, KILL_CHANNEL } from '../fixtures/kill-channel.js';
import { CAPABILITIES } from './engine.js';

/** One entry of CDP's `Target.getTargets`. */
interface TargetInfo {
  readonly targetId: string;
  readonly type: string;
  readonly url: string;
}

const GONE_TIMEOUT_MS = 5_000;
const POLL_MS = 20;

/** The URL path of the worker a case can end: fixture tabs opened with `{ worker: 'mortal' }` use it. */
const MORTAL_WORKER_PATH = '/mortal-worker.js';

/** How {@link killSharedWorker} ended the worker, for the case's timings. */
export type WorkerDeath = 'target closed (CDP)' | 'worker closed itself';

/**
 * Ends the hub's worker (`/mortal-worker.js` of `origin`) while its tabs live, with no word to them, the
 * way `CAPABILITIES.workerDeath` says this engine can.
 *
 * - `close-target` (Chromium): the way a browser that reclaims a worker does, abruptly, with no event in
 *   the worker; resolves once the worker is no longer among the browser's targets.
 * - `self-close`, the nearest real equivalent: `from` asks the worker over a BroadcastChannel to call
 *   `close()`; resolves once the worker said it is closing. It stops at once; its ports stay open and
 *   silent, as after a crash.
 *
 * Either way the tabs learn of it only from the hub's life lock, which the browser then lets go.
 *
 * @throws {Error} (CDP) when no worker, or more than one, runs it: the case would not know which hub died.
 * @throws {Error} (self-close) when the worker does not answer within {@link GONE_TIMEOUT_MS}.
 */
export async function killSharedWorker(
  browser: Browser,
  origin: string,
  from: Tab,
): Promise<WorkerDeath> {
  if (CAPABILITIES.workerDeath === 'self-close') {
    await closeMortalWorker(from);
    return 'worker closed itself';
  }
  if (browser.cdp === undefined) {
    throw new Error(
      `killSharedWorker(): ${browser.engine} has no CDP to close the worker's target`,
    );
  }
  const scriptUrl = `${origin}${MORTAL_WORKER_PATH}`;
  const session = await browser.cdp();
  try {
    const workers = await sharedWorkers(session.send.bind(session), scriptUrl);
    if (workers.length !== 1) {
      throw new Error(
        `killSharedWorker(): expected one SharedWorker running ${scriptUrl}, found ${workers.length}`,
      );
    }
    const [worker] = workers as [TargetInfo];
    await session.send('Target.closeTarget', { targetId: worker.targetId });
    const deadline = Date.now() + GONE_TIMEOUT_MS;
    for (;;) {
      const left = await sharedWorkers(session.send.bind(session), scriptUrl);
      if (!left.some((target) => target.targetId === worker.targetId)) return 'target closed (CDP)';
      if (Date.now() > deadline) {
        throw new Error(
          `killSharedWorker(): ${scriptUrl} still runs ${GONE_TIMEOUT_MS} ms after closeTarget`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  } finally {
    await session.detach().catch(() => undefined);
  }
}

/**
 * Asks the mortal worker (fixtures/mortal-worker.ts: a SharedWorker, or the dedicated Worker an elected
 * leader made from it) to close itself, from any tab of its origin; resolves once it said it is closing.
 */
export async function closeMortalWorker(from: Tab): Promise<void> {
  await from.evaluate(
    ({ channelName, closing, timeoutMs }) =>
      new Promise<void>((resolve, reject) => {
        const channel = new BroadcastChannel(channelName);
        const timer = setTimeout(() => {
          channel.close();
          reject(
            new Error(`the mortal worker did not answer on ${channelName} in ${timeoutMs} ms`),
          );
        }, timeoutMs);
        channel.onmessage = (event: MessageEvent) => {
          if (event.data !== closing) return;
          clearTimeout(timer);
          channel.close();
          resolve();
        };
        channel.postMessage('close');
      }),
    { channelName: KILL_CHANNEL, closing: CLOSING, timeoutMs: GONE_TIMEOUT_MS },
  );
}

async function sharedWorkers(
  send: (method: string, params?: Record<string, unknown>) => Promise<unknown>,
  scriptUrl: string,
): Promise<TargetInfo[]> {
  const { targetInfos } = (await send('Target.getTargets')) as { targetInfos: TargetInfo[] };
  return targetInfos.filter(
    (target) => target.type === 'shared_worker' && target.url === scriptUrl,
  );
}
