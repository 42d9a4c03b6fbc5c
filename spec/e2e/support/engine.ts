import type { Capabilities, Engine, Tab } from '../driver/driver.js';
import { engineCapabilities, selectedEngine } from '../driver/launch-browser.js';

/** The engine this run drives (`E2E_BROWSER`, default `chromium`). */
export const ENGINE: Engine = selectedEngine();

/** What this run's driver can do. */
export const CAPABILITIES: Capabilities = engineCapabilities(ENGINE);

const CRASH_TIMEOUT_MS = 10_000;

/** The boolean capabilities a case can require. */
export type Requirement = {
  [Key in keyof Capabilities]: Capabilities[Key] extends boolean ? Key : never;
}[keyof Capabilities];

/**
 * `it(name, body)` where this engine has `requirement`, else a skipped case whose name says which engine
 * lacks what: the case shows up in every engine's report, run or not, never silently dropped.
 *
 * ```ts
 * itWhere('cdp', 'should keep the hub heap flat', suite.inFreshContext(async () => { ... }));
 * // in Firefox: "should keep the hub heap flat [not in firefox: needs cdp]" (skipped)
 * ```
 */
export function itWhere(
  requirement: Requirement,
  name: string,
  body: () => Promise<void>,
  timeoutMs?: number,
): void {
  if (CAPABILITIES[requirement]) it(name, body, timeoutMs);
  else it.skip(`${name} [not in ${ENGINE}: needs ${requirement}]`, body, timeoutMs);
}

/**
 * Ends a tab without its goodbye, the way {@link Capabilities.abruptEnd} says this engine can: a real renderer
 * crash in Chromium, elsewhere a close with `pagehide`, `unload`, `beforeunload` and `visibilitychange`
 * silenced. Either way the page runs none of its own leaving code, and the browser ends its ports and
 * releases its Web Locks. Resolves once the page is gone.
 */
export async function endTabAbruptly(tab: Tab): Promise<void> {
  if (CAPABILITIES.abruptEnd === 'renderer-crash' && tab.cdp !== undefined) {
    const session = await tab.cdp();
    await session.send('Inspector.enable');
    const crashed = new Promise<void>((resolve) =>
      session.on('Inspector.targetCrashed', () => resolve()),
    );
    // Page.crash never answers: its target is gone.
    void session.send('Page.crash').catch(() => undefined);
    await withDeadline(crashed, 'the renderer did not crash');
    return;
  }
  await tab.evaluate(() => {
    const silence = (event: Event): void => event.stopImmediatePropagation();
    // A capturing listener on the target runs before the page's own listeners there (DOM: capture first at
    // the target), so none of them sees the event.
    for (const type of ['pagehide', 'unload', 'beforeunload', 'visibilitychange']) {
      window.addEventListener(type, silence, { capture: true });
      document.addEventListener(type, silence, { capture: true });
    }
  });
  await tab.close();
}

function withDeadline<T>(work: Promise<T>, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${message} within ${CRASH_TIMEOUT_MS} ms`)),
      CRASH_TIMEOUT_MS,
    );
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
