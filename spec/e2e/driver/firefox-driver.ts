import puppeteer from 'puppeteer-core';
import type {
  Browser as PuppeteerBrowser,
  BrowserContext as PuppeteerContext,
  Page,
} from 'puppeteer-core';
import type {
  Browser,
  BrowserContext,
  Capabilities,
  ConsoleEntry,
  LaunchBrowser,
  LaunchBrowserWithProfile,
  PageFunction,
  Tab,
} from './driver.js';
import { ProfileBrowser } from './profile-browser.js';

/** Debian's Firefox ESR; the suite never downloads a browser. */
export const FIREFOX_EXECUTABLE = process.env['FIREFOX_PATH'] ?? '/usr/bin/firefox-esr';

/** The viewport of every tab, as in Chromium. */
export const VIEWPORT = { width: 1280, height: 800 } as const;

/** What the Firefox driver can do: WebDriver BiDi has no renderer crash and no CDP. */
export const FIREFOX_CAPABILITIES: Capabilities = {
  cdp: false,
  abruptEnd: 'close-without-pagehide',
  workerDeath: 'self-close',
  consoleBeforeLoad: true,
  keepsProfile: true,
};

const LAUNCH_TIMEOUT_MS = 60_000;
/** Longer than any single evaluate a case makes, so a hung browser still fails the case. */
const PROTOCOL_TIMEOUT_MS = 120_000;

/**
 * Preferences on top of puppeteer's own hermetic profile (which already turns off updates, telemetry and
 * remote settings). Firefox otherwise throttles timers in tabs that are not in front, and every tab but one
 * is in the background here: a page's 10 ms polls would run once a second. With budget throttling off, a
 * background tab's timers are clamped by `..._without_budget_throttling` (1 s by default), not by
 * `dom.min_background_timeout_value`: both are set (measured: `setTimeout(0)` in a background tab took 1 s
 * with only the first, 4 ms with both).
 */
const FIREFOX_PREFS: Readonly<Record<string, unknown>> = {
  'dom.min_background_timeout_value': 4,
  'dom.min_background_timeout_value_without_budget_throttling': 4,
  'dom.timeout.enable_budget_timer_throttling': false,
  'dom.suspend_inactive.enabled': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
};

/**
 * Launches Debian's Firefox ESR through puppeteer-core over WebDriver BiDi, with a fresh temporary profile
 * (deleted on close). No geckodriver is involved.
 *
 * ```ts
 * const browser = await launchFirefox();
 * const tab = await (await browser.newContext()).openTab(url);
 * ```
 */
export const launchFirefox: LaunchBrowser = async () =>
  new FirefoxBrowser(await startFirefox(undefined));

let profileLaunches = 0;

/**
 * Launches Debian's Firefox ESR on the profile kept in `userDataDir`: a relaunch on the same folder is the
 * same profile, as after a user quits and restarts the browser. Its one context is the profile's.
 *
 * ```ts
 * const browser = await launchFirefoxWithProfile(folder);
 * await browser.close(); // then launch again on `folder`
 * ```
 */
export const launchFirefoxWithProfile: LaunchBrowserWithProfile = async (userDataDir) => {
  const browser = await startFirefox(userDataDir);
  profileLaunches += 1;
  // The default context is the profile's own storage; it cannot be closed, only the browser can.
  const context = new FirefoxContext(browser.defaultBrowserContext(), `p${profileLaunches}`, () =>
    browser.close(),
  );
  return new ProfileBrowser('firefox', context);
};

function startFirefox(userDataDir: string | undefined): Promise<PuppeteerBrowser> {
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX_EXECUTABLE,
    headless: true,
    defaultViewport: VIEWPORT,
    extraPrefsFirefox: { ...FIREFOX_PREFS },
    timeout: LAUNCH_TIMEOUT_MS,
    protocolTimeout: PROTOCOL_TIMEOUT_MS,
    ...(userDataDir === undefined ? {} : { userDataDir }),
  });
}

class FirefoxBrowser implements Browser {
  readonly engine = 'firefox';
  private contextCount = 0;
  private closing: Promise<void> | undefined;

  constructor(private readonly browser: PuppeteerBrowser) {}

  async newContext(): Promise<BrowserContext> {
    // A BiDi user context: its own cookies, storage and SharedWorkers, like a private window.
    const context = await this.browser.createBrowserContext();
    this.contextCount += 1;
    return new FirefoxContext(context, `c${this.contextCount}`, () => context.close());
  }

  close(): Promise<void> {
    this.closing ??= this.browser.close();
    return this.closing;
  }
}

class FirefoxContext implements BrowserContext {
  private readonly open = new Set<FirefoxTab>();
  private tabCount = 0;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly context: PuppeteerContext,
    private readonly id: string,
    private readonly end: () => Promise<void>,
  ) {}

  async openTab(url: string): Promise<Tab> {
    const page = await this.context.newPage();
    this.tabCount += 1;
    const tab = new FirefoxTab(page, `${this.id}-t${this.tabCount}`);
    this.open.add(tab);
    page.once('close', () => this.open.delete(tab));
    try {
      await page.goto(url, { waitUntil: 'load' });
    } catch (error) {
      await tab.close();
      throw error;
    }
    return tab;
  }

  tabs(): readonly Tab[] {
    return [...this.open];
  }

  close(): Promise<void> {
    this.closing ??= this.end();
    return this.closing;
  }
}

class FirefoxTab implements Tab {
  private readonly log: ConsoleEntry[] = [];
  private isClosed = false;

  constructor(
    private readonly page: Page,
    readonly id: string,
  ) {
    // Named as Chromium names it, so a case can filter on one type in every engine.
    page.on('console', (message) =>
      this.record(message.type() === 'warn' ? 'warning' : message.type(), message.text()),
    );
    // Puppeteer's BiDi error takes Firefox's "Error: boom" as its message: drop the doubled name.
    page.on('pageerror', (error: unknown) =>
      this.record(
        'pageerror',
        error instanceof Error
          ? (error.stack ?? String(error)).replace(/^(\w*Error): (?=\w*Error: )/, '')
          : String(error),
      ),
    );
    page.on('close', () => {
      this.isClosed = true;
    });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  url(): string {
    return this.page.url();
  }

  evaluate<Result, Arg>(fn: PageFunction<Arg, Result>, arg?: Arg): Promise<Result> {
    // Puppeteer's own EvaluateFunc type unboxes handles, which neutral cases never pass.
    return this.page.evaluate(fn as (value: unknown) => Promise<Result>, arg);
  }

  async reload(): Promise<void> {
    await this.page.reload({ waitUntil: 'load' });
  }

  async close(): Promise<void> {
    // runBeforeUnload stays false: a prompt would hang the close. pagehide and unload still run.
    if (!this.isClosed) await this.page.close({ runBeforeUnload: false });
    this.isClosed = true;
  }

  async screenshot(path: string): Promise<void> {
    await this.page.screenshot({ path });
  }

  consoleLog(): readonly ConsoleEntry[] {
    return [...this.log];
  }

  private record(type: string, text: string): void {
    this.log.push({ type, text, time: Date.now() });
  }
}
