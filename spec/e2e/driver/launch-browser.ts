import { launchChromium } from './chromium-driver.js';
import type { Browser, Engine, LaunchBrowser } from './driver.js';

const LAUNCHERS: Partial<Record<Engine, LaunchBrowser>> = { chromium: launchChromium };

/**
 * Launches the engine named by `E2E_BROWSER` (default `chromium`).
 *
 * @throws {TypeError} when the engine is unknown or has no driver yet.
 */
export function launchBrowser(
  engine: string = process.env['E2E_BROWSER'] ?? 'chromium',
): Promise<Browser> {
  const launch = LAUNCHERS[engine as Engine];
  if (launch === undefined) {
    const known = Object.keys(LAUNCHERS).join(', ');
    throw new TypeError(`launchBrowser(): engine must be one of ${known}, got "${engine}"`);
  }
  return launch();
}
