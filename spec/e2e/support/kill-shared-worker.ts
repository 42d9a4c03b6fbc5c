import type { Browser } from '../driver/driver.js';

/** One entry of CDP's `Target.getTargets`. */
interface TargetInfo {
  readonly targetId: string;
  readonly type: string;
  readonly url: string;
}

const GONE_TIMEOUT_MS = 5_000;
const POLL_MS = 20;

/**
 * Ends the SharedWorker running `scriptUrl` the way a browser that reclaims it would: abruptly, with no
 * event in the worker and none in its tabs. Resolves once the worker is no longer among the browser's
 * targets. Needs CDP (Chromium).
 *
 * @throws {Error} when no worker, or more than one, runs `scriptUrl`: the case would not know which hub died.
 */
export async function killSharedWorker(browser: Browser, scriptUrl: string): Promise<void> {
  if (browser.cdp === undefined) {
    throw new TypeError(`killSharedWorker(): the ${browser.engine} driver has no CDP session`);
  }
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
      if (!left.some((target) => target.targetId === worker.targetId)) return;
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

async function sharedWorkers(
  send: (method: string, params?: Record<string, unknown>) => Promise<unknown>,
  scriptUrl: string,
): Promise<TargetInfo[]> {
  const { targetInfos } = (await send('Target.getTargets')) as { targetInfos: TargetInfo[] };
  return targetInfos.filter(
    (target) => target.type === 'shared_worker' && target.url === scriptUrl,
  );
}
