import {
  CHROMIUM_CAPABILITIES,
  launchChromium,
  launchChromiumWithProfile,
} from './chromium-driver.js';
import type {
  Browser,
  Capabilities,
  Engine,
  LaunchBrowser,
  LaunchBrowserWithProfile,
} from './driver.js';
import { FIREFOX_CAPABILITIES, launchFirefox, launchFirefoxWithProfile } from './firefox-driver.js';
import { launchWebKit, launchWebKitWithProfile, WEBKIT_CAPABILITIES } from './webkit-driver.js';

const LAUNCHERS: Readonly<Record<Engine, LaunchBrowser>> = {
  chromium: launchChromium,
  firefox: launchFirefox,
  webkit: launchWebKit,
};

const CAPABILITIES: Readonly<Record<Engine, Capabilities>> = {
  chromium: CHROMIUM_CAPABILITIES,
  firefox: FIREFOX_CAPABILITIES,
  webkit: WEBKIT_CAPABILITIES,
};

/**
 * The engine named by `E2E_BROWSER` (default `chromium`).
 *
 * @throws {TypeError} when the name is not one of the engines.
 */
export function selectedEngine(name: string = process.env['E2E_BROWSER'] ?? 'chromium'): Engine {
  if (!isEngine(name)) {
    const known = Object.keys(LAUNCHERS).join(', ');
    throw new TypeError(`E2E_BROWSER must be one of ${known}, got "${name}"`);
  }
  return name;
}

/** What the driver of `engine` can do; known before any browser starts, so case names can say it. */
export function engineCapabilities(engine: Engine = selectedEngine()): Capabilities {
  return CAPABILITIES[engine];
}

/**
 * Launches the engine named by `E2E_BROWSER` (default `chromium`).
 *
 * @throws {TypeError} when the engine is unknown.
 */
export function launchBrowser(
  engine: string = process.env['E2E_BROWSER'] ?? 'chromium',
): Promise<Browser> {
  return LAUNCHERS[selectedEngine(engine)]();
}

/**
 * Launches the engine named by `E2E_BROWSER` on the profile kept in `userDataDir`, for cases about what
 * survives a browser restart (see {@link LaunchBrowserWithProfile}).
 *
 * @throws {TypeError} when the engine is unknown or its driver cannot keep a profile yet.
 */
export function launchBrowserWithProfile(
  userDataDir: string,
  engine: string = process.env['E2E_BROWSER'] ?? 'chromium',
): Promise<Browser> {
  const selected = selectedEngine(engine);
  const launch = PROFILE_LAUNCHERS[selected];
  if (launch === undefined) {
    throw new TypeError(
      `launchBrowserWithProfile(): the ${selected} driver cannot keep a profile yet`,
    );
  }
  return launch(userDataDir);
}

const PROFILE_LAUNCHERS: Partial<Record<Engine, LaunchBrowserWithProfile>> = {
  chromium: launchChromiumWithProfile,
  firefox: launchFirefoxWithProfile,
  // Keeps its storage only while it runs: see Capabilities.keepsProfile.
  webkit: launchWebKitWithProfile,
};

function isEngine(name: string): name is Engine {
  return Object.hasOwn(LAUNCHERS, name);
}
