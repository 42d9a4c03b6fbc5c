import { chromium } from 'playwright-core';
import type {
  Browser as PlaywrightBrowser,
  BrowserContext as PlaywrightContext,
  CDPSession,
  Page,
} from 'playwright-core';
import type {
  Browser,
  BrowserContext,
  Capabilities,
  CdpSession,
  ConsoleEntry,
  LaunchBrowser,
  LaunchBrowserWithProfile,
  PageFunction,
  Tab,
} from './driver.js';
import { ProfileBrowser } from './profile-browser.js';

/** Debian's Chromium; the suite never downloads a browser. */
export const CHROMIUM_EXECUTABLE = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/**
 * Flags for a quiet, hermetic headless run: no sandbox (containers have no user namespaces), no GPU, and no
 * background traffic (component updates, sync, QUIC probes) that could slow a 2-core machine or reach the
 * network.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** What the Chromium driver can do: everything, through CDP. */
export const CHROMIUM_CAPABILITIES: Capabilities = {
  cdp: true,
  abruptEnd: 'renderer-crash',
  workerDeath: 'close-target',
  consoleBeforeLoad: true,
  keepsProfile: true,
};

/** The viewport of every tab; the size the demo is judged at. */
export const VIEWPORT = { width: 1280, height: 800 } as const;

/**
 * Launches Debian's Chromium through playwright-core with a fresh temporary profile (deleted on close).
 *
 * ```ts
 * const browser = await launchChromium();
 * const tab = await (await browser.newContext()).openTab(url);
 * ```
 */
export const launchChromium: LaunchBrowser = async () => {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_EXECUTABLE,
    args: [...CHROMIUM_ARGS],
  });
  return new ChromiumBrowser(browser);
};

let profileLaunches = 0;

/**
 * Launches Debian's Chromium on the profile kept in `userDataDir`: a relaunch on the same folder is the
 * same browser profile, as after a user quits and restarts the browser.
 *
 * ```ts
 * const browser = await launchChromiumWithProfile(folder);
 * const tab = await (await browser.newContext()).openTab(url);
 * await browser.close(); // then launch again on `folder`
 * ```
 */
export const launchChromiumWithProfile: LaunchBrowserWithProfile = async (userDataDir) => {
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_EXECUTABLE,
    args: [...CHROMIUM_ARGS],
    viewport: VIEWPORT,
  });
  profileLaunches += 1;
  return new ProfileBrowser('chromium', new ChromiumContext(context, `p${profileLaunches}`));
};

class ChromiumBrowser implements Browser {
  readonly engine = 'chromium';
  private contextCount = 0;
  private closing: Promise<void> | undefined;

  constructor(private readonly browser: PlaywrightBrowser) {}

  async newContext(): Promise<BrowserContext> {
    const context = await this.browser.newContext({ viewport: VIEWPORT });
    this.contextCount += 1;
    return new ChromiumContext(context, `c${this.contextCount}`);
  }

  close(): Promise<void> {
    this.closing ??= this.browser.close();
    return this.closing;
  }

  async cdp(): Promise<CdpSession> {
    return toCdpSession(await this.browser.newBrowserCDPSession());
  }
}

class ChromiumContext implements BrowserContext {
  private readonly open = new Set<ChromiumTab>();
  private tabCount = 0;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly context: PlaywrightContext,
    private readonly id: string,
  ) {}

  async openTab(url: string): Promise<Tab> {
    const page = await this.context.newPage();
    this.tabCount += 1;
    const tab = new ChromiumTab(page, `${this.id}-t${this.tabCount}`, this.context);
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
    this.closing ??= this.context.close();
    return this.closing;
  }
}

class ChromiumTab implements Tab {
  private readonly log: ConsoleEntry[] = [];
  private isClosed = false;

  constructor(
    private readonly page: Page,
    readonly id: string,
    private readonly context: PlaywrightContext,
  ) {
    page.on('console', (message) => this.record(message.type(), message.text()));
    page.on('pageerror', (error) => this.record('pageerror', error.stack ?? String(error)));
    page.on('crash', () => this.record('crash', 'the renderer process crashed'));
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
    // Playwright's own PageFunction type unboxes handles, which neutral cases never pass.
    return this.page.evaluate(fn as (value: unknown) => Result | Promise<Result>, arg);
  }

  async reload(): Promise<void> {
    await this.page.reload({ waitUntil: 'load' });
  }

  async close(): Promise<void> {
    // runBeforeUnload stays false: a prompt would hang the close. pagehide and unload still run.
    if (!this.isClosed) await this.page.close();
  }

  async screenshot(path: string): Promise<void> {
    await this.page.screenshot({ path });
  }

  consoleLog(): readonly ConsoleEntry[] {
    return [...this.log];
  }

  async cdp(): Promise<CdpSession> {
    return toCdpSession(await this.context.newCDPSession(this.page));
  }

  private record(type: string, text: string): void {
    this.log.push({ type, text, time: Date.now() });
  }
}

// Playwright types CDP methods and events from its bundled protocol; the neutral session takes plain strings,
// so the casts below only widen Playwright's signatures.
function toCdpSession(session: CDPSession): CdpSession {
  type Send = (method: string, params?: Record<string, unknown>) => Promise<unknown>;
  type On = (event: string, listener: (params: unknown) => void) => unknown;
  return {
    send: (method, params) => (session.send as Send).call(session, method, params),
    on: (event, listener) => {
      (session.on as On).call(session, event, listener);
    },
    detach: () => session.detach(),
  };
}
