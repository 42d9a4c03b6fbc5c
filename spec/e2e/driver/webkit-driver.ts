import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { Builder } from 'selenium-webdriver';
import type { WebDriver } from 'selenium-webdriver';
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
import { decodeValue, encodeValue, installPageRuntime } from './page-runtime.js';
import type { PageReport } from './page-runtime.js';
import { startVirtualDisplay, startWebDriverServer, withTimeout } from './webkit-processes.js';
import type { VirtualDisplay, WebDriverServer } from './webkit-processes.js';

/**
 * Debian's WebKitGTK MiniBrowser (package `webkit2gtk-driver` brings it with WebKitWebDriver); the first of
 * these that exists. The suite never downloads a browser.
 */
const MINIBROWSER_CANDIDATES = [
  process.env['WEBKIT_MINIBROWSER_PATH'],
  '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
  '/usr/lib/aarch64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
  '/usr/lib/x86_64-linux-gnu/webkitgtk-6.0/MiniBrowser',
  '/usr/lib/aarch64-linux-gnu/webkitgtk-6.0/MiniBrowser',
];

/** The viewport of every tab, as in Chromium. */
export const VIEWPORT = { width: 1280, height: 800 } as const;

/**
 * What the WebKit driver can do. WebDriver classic has no renderer crash, no CDP, no console events and no
 * script that runs before the page's own: the console recorder starts once a page has loaded.
 */
export const WEBKIT_CAPABILITIES: Capabilities = {
  cdp: false,
  abruptEnd: 'close-without-pagehide',
  workerDeath: 'self-close',
  consoleBeforeLoad: false,
  keepsProfile: false,
};

const DISPLAY_TIMEOUT_MS = 15_000;
const DRIVER_TIMEOUT_MS = 15_000;
// Without a usable display the new-session request never answers: this bound turns that into an error.
const SESSION_TIMEOUT_MS = 30_000;
const QUIT_TIMEOUT_MS = 10_000;
const PAGE_LOAD_TIMEOUT_MS = 30_000;
/** Each call into the page returns by then; longer work is polled, so no call holds the session long. */
const IN_PAGE_WAIT_MS = 50;
const SCRIPT_TIMEOUT_MS = 10_000;
/** How often the console recorders of idle tabs are read, so `consoleLog()` stays current. */
const DRAIN_INTERVAL_MS = 500;

/** Every call into the page installs the runtime first (once per document), so a reload needs no hook. */
const RUNTIME = `const runtime = (${installPageRuntime.toString()})(${encodeValue.toString()}, ${decodeValue.toString()});`;
const POLL_SCRIPT = `${RUNTIME}\nreturn runtime.poll(arguments[0], ${IN_PAGE_WAIT_MS});`;
const DRAIN_SCRIPT = `${RUNTIME}\nreturn runtime.drain();`;

/**
 * Launches WebKitGTK's MiniBrowser through selenium-webdriver and WebKitWebDriver, under an Xvfb of its own.
 *
 * WebKitWebDriver serves one session at a time and each session is a MiniBrowser with its own ephemeral
 * storage, so every context is a driver process of its own. Tabs are separate windows: a background tab of
 * MiniBrowser is `hidden` and its timers are throttled to about one a second, while every window on a
 * display without a window manager is `visible`.
 *
 * ```ts
 * const browser = await launchWebKit();
 * const tab = await (await browser.newContext()).openTab(url);
 * ```
 */
export const launchWebKit: LaunchBrowser = async () => {
  const miniBrowser = MINIBROWSER_CANDIDATES.find(
    (path): path is string => path !== undefined && existsSync(path),
  );
  if (miniBrowser === undefined) {
    throw new Error(
      `launchWebKit(): no MiniBrowser at ${MINIBROWSER_CANDIDATES.filter(Boolean).join(', ')}; ` +
        'install Debian package webkit2gtk-driver, or set WEBKIT_MINIBROWSER_PATH',
    );
  }
  // Big enough for a window whose viewport is VIEWPORT, with MiniBrowser's toolbar above it.
  const display = await startVirtualDisplay('1600x1200x24', DISPLAY_TIMEOUT_MS);
  return new WebKitBrowser(display, miniBrowser);
};

/**
 * Launches WebKit for a case about a kept profile, as far as WebKit can: its one context is one session,
 * kept until the browser closes, so its tabs may all close and new ones find the storage. `userDataDir` is
 * not used: MiniBrowser's automation sessions are always ephemeral, so a relaunch starts empty
 * (`WEBKIT_CAPABILITIES.keepsProfile` is false; cases about a restart say so).
 */
export const launchWebKitWithProfile: LaunchBrowserWithProfile = async () => {
  const browser = await launchWebKit();
  try {
    return new WebKitProfileBrowser(browser, await browser.newContext());
  } catch (error) {
    await browser.close();
    throw error;
  }
};

/** A browser with one context, which `newContext()` resolves with every time; closing either ends both. */
class WebKitProfileBrowser implements Browser {
  readonly engine = 'webkit';

  constructor(
    private readonly browser: Browser,
    private readonly context: BrowserContext,
  ) {}

  newContext(): Promise<BrowserContext> {
    return Promise.resolve(this.context);
  }

  close(): Promise<void> {
    return this.browser.close();
  }
}

/** A WebKitWebDriver process and the one session it serves. */
interface Session {
  readonly server: WebDriverServer;
  readonly driver: WebDriver;
}

class WebKitBrowser implements Browser {
  readonly engine = 'webkit';
  private readonly contexts = new Set<WebKitContext>();
  private contextCount = 0;
  /**
   * The next context's session, started while the current case runs: a session takes about a second to
   * open, and most cases open one or two contexts.
   */
  private spare: Promise<Session> | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly display: VirtualDisplay,
    private readonly miniBrowser: string,
  ) {}

  async newContext(): Promise<BrowserContext> {
    if (this.closing !== undefined) throw new Error('newContext(): the browser is closed');
    const taken = this.spare;
    this.spare = undefined;
    // A spare that failed to start is replaced by a fresh attempt, whose error is the one reported.
    const session = (await taken?.catch(() => undefined)) ?? (await this.startSession());
    if (this.closing !== undefined) {
      await endSession(session);
      throw new Error('newContext(): the browser was closed while the context opened');
    }
    this.spare = this.startSession();
    // Nobody may await the spare (the last case): its failure must not be an unhandled rejection.
    this.spare.catch(() => undefined);
    try {
      this.contextCount += 1;
      const context = new WebKitContext(session.driver, session.server, `c${this.contextCount}`);
      await context.prepare();
      this.contexts.add(context);
      void context.closed.then(() => this.contexts.delete(context));
      return context;
    } catch (error) {
      await endSession(session);
      throw error;
    }
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const spare = this.spare?.then(endSession, () => undefined);
      await Promise.allSettled([spare, ...[...this.contexts].map((context) => context.close())]);
      await this.display.stop();
    })();
    return this.closing;
  }

  private async startSession(): Promise<Session> {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DISPLAY: this.display.display,
      GDK_BACKEND: 'x11',
    };
    delete env['WAYLAND_DISPLAY'];
    const server = await startWebDriverServer(env, DRIVER_TIMEOUT_MS);
    try {
      return { server, driver: await openSession(server, this.miniBrowser) };
    } catch (error) {
      await server.stop();
      throw error;
    }
  }
}

async function endSession({ server, driver }: Session): Promise<void> {
  await withTimeout(driver.quit(), QUIT_TIMEOUT_MS, 'the session did not quit').catch(
    () => undefined,
  );
  await server.stop();
}

async function openSession(server: WebDriverServer, miniBrowser: string): Promise<WebDriver> {
  const driver = new Builder()
    .usingServer(server.url)
    .withCapabilities({
      browserName: 'MiniBrowser',
      'webkitgtk:browserOptions': { binary: miniBrowser, args: ['--automation'] },
    })
    .build();
  try {
    await withTimeout(
      driver.getSession(),
      SESSION_TIMEOUT_MS,
      'WebKitWebDriver did not open a MiniBrowser session',
    );
  } catch (error) {
    throw new Error(`${String(error)}\nWebKitWebDriver said:\n${server.output()}`, {
      cause: error,
    });
  }
  await driver.manage().setTimeouts({ script: SCRIPT_TIMEOUT_MS, pageLoad: PAGE_LOAD_TIMEOUT_MS });
  return driver;
}

/**
 * One WebDriver session. WebDriver classic drives one window at a time, so every command goes through
 * {@link WebKitContext.exclusive}, which switches to the window it is for first.
 */
class WebKitContext implements BrowserContext {
  readonly closed: Promise<void>;
  private readonly open = new Set<WebKitTab>();
  private tabCount = 0;
  private lane: Promise<unknown> = Promise.resolve();
  private current: string | undefined;
  /** The session's first window, never a case's tab: a session whose last window closes ends. */
  private anchor = '';
  private windowChrome = { width: 0, height: 0 };
  private drainTimer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;
  private markClosed: () => void = () => {};

  constructor(
    private readonly driver: WebDriver,
    private readonly server: WebDriverServer,
    private readonly id: string,
  ) {
    this.closed = new Promise((resolve) => (this.markClosed = resolve));
  }

  /** Finds the anchor window and measures MiniBrowser's toolbar, so tabs can get VIEWPORT exactly. */
  async prepare(): Promise<void> {
    this.anchor = await this.driver.getWindowHandle();
    this.current = this.anchor;
    const [width, height] = await this.driver.executeScript<[number, number]>(
      'return [outerWidth - innerWidth, outerHeight - innerHeight];',
    );
    this.windowChrome = { width, height };
    this.drainTimer = setInterval(() => this.drainIdleTabs(), DRAIN_INTERVAL_MS);
    this.drainTimer.unref();
  }

  async openTab(url: string): Promise<Tab> {
    const handle = await this.exclusive(undefined, async () => {
      await this.driver.switchTo().newWindow('window');
      const opened = await this.driver.getWindowHandle();
      this.current = opened;
      await this.driver
        .manage()
        .window()
        .setRect({
          width: VIEWPORT.width + this.windowChrome.width,
          height: VIEWPORT.height + this.windowChrome.height,
        });
      return opened;
    });
    this.tabCount += 1;
    const tab = new WebKitTab(this, handle, `${this.id}-t${this.tabCount}`, url);
    this.open.add(tab);
    try {
      await this.exclusive(handle, () => this.driver.get(url));
      await tab.drain();
    } catch (error) {
      await tab.close().catch(() => undefined);
      throw error;
    }
    return tab;
  }

  tabs(): readonly Tab[] {
    return [...this.open];
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.drainTimer);
      for (const tab of this.open) tab.markClosed();
      this.open.clear();
      await endSession({ server: this.server, driver: this.driver });
      this.markClosed();
    })();
    return this.closing;
  }

  /**
   * Runs `work` alone on the session, with window `handle` (if given) current.
   *
   * @throws when the context is closed.
   */
  exclusive<T>(handle: string | undefined, work: (driver: WebDriver) => Promise<T>): Promise<T> {
    const run = this.lane.then(async () => {
      if (this.closing !== undefined) throw new Error(`the context ${this.id} is closed`);
      if (handle !== undefined && handle !== this.current) {
        this.current = undefined;
        await this.driver.switchTo().window(handle);
        this.current = handle;
      }
      return work(this.driver);
    });
    this.lane = run.catch(() => undefined);
    return run;
  }

  /** Closes window `handle` and makes the anchor current again. */
  async closeWindow(handle: string): Promise<void> {
    await this.exclusive(handle, async (driver) => {
      this.current = undefined;
      await driver.close();
      await driver.switchTo().window(this.anchor);
      this.current = this.anchor;
    });
  }

  forget(tab: WebKitTab): void {
    this.open.delete(tab);
  }

  private drainIdleTabs(): void {
    for (const tab of this.open) {
      if (tab.idleFor() >= DRAIN_INTERVAL_MS) void tab.drain().catch(() => undefined);
    }
  }
}

class WebKitTab implements Tab {
  private readonly log: ConsoleEntry[] = [];
  private isClosed = false;
  private lastUrl: string;
  private lastReport = 0;

  constructor(
    private readonly context: WebKitContext,
    private readonly handle: string,
    readonly id: string,
    url: string,
  ) {
    this.lastUrl = url;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  url(): string {
    return this.lastUrl;
  }

  async evaluate<Result, Arg>(fn: PageFunction<Arg, Result>, arg?: Arg): Promise<Result> {
    const start = `${RUNTIME}\nreturn runtime.start((${fn.toString()}), arguments[0], ${IN_PAGE_WAIT_MS});`;
    let report = await this.call(start, encodeValue(arg));
    while (report.state === 'pending') report = await this.call(POLL_SCRIPT, report.id);
    const { outcome } = report;
    if (report.state !== 'settled' || outcome === undefined) {
      throw new Error(`evaluate(): ${this.id} navigated or closed before the function settled`);
    }
    if (outcome.ok) return decodeValue(outcome.value) as Result;
    const error = new Error(outcome.message);
    error.name = outcome.name;
    error.stack = `${outcome.name}: ${outcome.message}\n    in the page:\n${outcome.stack}`;
    throw error;
  }

  async reload(): Promise<void> {
    // Read the recorder first: the new document starts a new one.
    await this.drain();
    await this.context.exclusive(this.handle, (driver) => driver.navigate().refresh());
    await this.drain();
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    await this.drain().catch(() => undefined);
    await this.context.closeWindow(this.handle);
    this.markClosed();
  }

  async screenshot(path: string): Promise<void> {
    const png = await this.context.exclusive(this.handle, (driver) => driver.takeScreenshot());
    await writeFile(path, Buffer.from(png, 'base64'));
  }

  consoleLog(): readonly ConsoleEntry[] {
    return [...this.log];
  }

  /** Reads what the page logged since the last call (and installs the recorder in a new document). */
  async drain(): Promise<void> {
    await this.call(DRAIN_SCRIPT);
  }

  /** Milliseconds since the page last answered. */
  idleFor(): number {
    return Date.now() - this.lastReport;
  }

  markClosed(): void {
    this.isClosed = true;
    this.context.forget(this);
  }

  private async call(script: string, ...args: unknown[]): Promise<PageReport> {
    if (this.isClosed) throw new Error(`${this.id} is closed`);
    const report = await this.context.exclusive(this.handle, (driver) =>
      driver.executeScript<PageReport>(script, ...args),
    );
    this.lastReport = Date.now();
    this.lastUrl = report.url;
    this.log.push(...report.entries);
    return report;
  }
}
