/**
 * The engine-neutral browser driver the browser suite is written against.
 *
 * Cases and support code see only these types, never Playwright's (or Puppeteer's, or Selenium's): an
 * engine is added by implementing {@link LaunchBrowser} and nothing else changes.
 */

/** A browser engine the suite can drive. */
export type Engine = 'chromium' | 'firefox' | 'webkit';

/** Launches a browser with a fresh, throwaway profile. */
export type LaunchBrowser = () => Promise<Browser>;

/**
 * Launches a browser on the profile kept in `userDataDir` (made if missing, never deleted), so that a
 * second launch on the same folder finds what the first stored: IndexedDB, cookies, caches. Such a browser
 * has one context, the profile's: `newContext()` resolves with it every time, and closing it ends the browser.
 */
export type LaunchBrowserWithProfile = (userDataDir: string) => Promise<Browser>;

/**
 * What one engine's driver can do beyond the common interface. A case branches on these, never on the
 * engine's name, and a case an engine cannot run says which capability it lacks (see `support/engine.ts`).
 * Known before the browser starts, so that a case's name can say it.
 */
export interface Capabilities {
  /**
   * `Browser.cdp()` and `Tab.cdp()` exist (Chrome DevTools Protocol: the hub as a `shared_worker` target, its
   * heap, `Page.crash`). Chromium only.
   */
  readonly cdp: boolean;
  /**
   * How a tab can end without saying goodbye. `renderer-crash`: its renderer process really crashes (CDP
   * `Page.crash`). `close-without-pagehide`: the tab is closed with its `pagehide`, `unload`,
   * `beforeunload` and `visibilitychange` listeners silenced, the nearest real equivalent where no driver can
   * crash a renderer: the page runs none of its goodbye code, and the browser still ends its ports and
   * releases its locks.
   */
  readonly abruptEnd: 'renderer-crash' | 'close-without-pagehide';
  /**
   * How a case ends the hub's SharedWorker while its tabs live (`killSharedWorker()`). `close-target`: the
   * browser ends it abruptly (CDP `Target.closeTarget`), no code of the worker runs. `self-close`: the
   * nearest real equivalent where no driver can end a worker: the worker (`/mortal-worker.js`) is asked over
   * a BroadcastChannel and calls `close()`. Either way its ports stay open and silent, and the next
   * `new SharedWorker(url)` gets a fresh worker (checked in every engine, also after `close()`).
   */
  readonly workerDeath: 'close-target' | 'self-close';
  /**
   * `Tab.consoleLog()` holds what the page logged, and errors it threw, before its `load` event. False where
   * the driver can only start recording once the page has loaded (WebDriver classic has no console events
   * and no scripts that run before the page's own).
   */
  readonly consoleBeforeLoad: boolean;
  /**
   * A browser from `LaunchBrowserWithProfile` finds, after a restart on the same folder, what the one before
   * stored. False in WebKit: a WebKitWebDriver session of MiniBrowser always has ephemeral storage (nothing
   * is written to disk, whatever the profile folder or `XDG_DATA_HOME`), so every launch starts empty.
   */
  readonly keepsProfile: boolean;
}

/** A running browser; every context it opens is isolated from the others (own storage, own workers). */
export interface Browser {
  readonly engine: Engine;
  /** Opens a new isolated context, like a fresh private window. */
  newContext(): Promise<BrowserContext>;
  /** Closes every context and ends the browser process; safe to call twice. */
  close(): Promise<void>;
  /** Chrome DevTools Protocol access to the browser target (Chromium only). */
  cdp?(): Promise<CdpSession>;
}

/** An isolated group of tabs sharing one origin's storage and SharedWorkers. */
export interface BrowserContext {
  /** Opens a tab and resolves once `url` has fired its `load` event. */
  openTab(url: string): Promise<Tab>;
  /** Every tab opened in this context that is not closed yet. */
  tabs(): readonly Tab[];
  /** Closes every tab of the context and the context itself; safe to call twice. */
  close(): Promise<void>;
}

/** What a page wrote to its console, or an error it did not catch. */
export interface ConsoleEntry {
  /** `log`, `warning`, `error`, ... as the engine reports it, or `pageerror` for an uncaught error. */
  readonly type: string;
  readonly text: string;
  /** Milliseconds since the epoch, taken in the test process when the entry arrived. */
  readonly time: number;
}

/** A function run inside the page: it must be self-contained (no closure over test-process values). */
export type PageFunction<Arg, Result> = (arg: Arg) => Result | Promise<Result>;

/** One open tab. */
export interface Tab {
  /** Unique within its browser, stable across reloads; used to name artifacts. */
  readonly id: string;
  readonly closed: boolean;
  /** The tab's current URL. */
  url(): string;
  /**
   * Runs `fn(arg)` in the page and resolves with its (awaited) result.
   *
   * `arg` and the result cross the boundary as JSON-like values: no functions, no class instances; `undefined`
   * inside arrays and objects may not survive every engine.
   */
  evaluate<Result, Arg>(fn: PageFunction<Arg, Result>, arg: Arg): Promise<Result>;
  evaluate<Result>(fn: PageFunction<void, Result>): Promise<Result>;
  /** Reloads and resolves once the new document has fired its `load` event. */
  reload(): Promise<void>;
  /** Closes the tab as a user would, so the page sees `pagehide`. */
  close(): Promise<void>;
  /** Saves a PNG of the visible viewport. */
  screenshot(path: string): Promise<void>;
  /** Everything the tab logged since it opened, across reloads, oldest first. */
  consoleLog(): readonly ConsoleEntry[];
  /** Chrome DevTools Protocol access to this tab's page target (Chromium only). */
  cdp?(): Promise<CdpSession>;
}

/**
 * A Chrome DevTools Protocol session, for the few cases no engine-neutral call can express: the browser
 * session lists targets (`Target.getTargets` shows the hub as a `shared_worker`), a tab's session can
 * `Page.crash` its renderer. A command that ends its own target, like `Page.crash`, never gets an answer:
 * send it without awaiting, and wait for `Inspector.targetCrashed` instead.
 */
export interface CdpSession {
  send(method: string, params?: Record<string, unknown>): Promise<unknown>;
  on(event: string, listener: (params: unknown) => void): void;
  detach(): Promise<void>;
}
