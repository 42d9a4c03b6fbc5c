import type { Browser, BrowserContext, Engine } from './driver.js';

/**
 * A browser launched on a kept profile (`launchBrowserWithProfile()`): its one context is the profile's,
 * and closing either ends both.
 */
export class ProfileBrowser implements Browser {
  constructor(
    readonly engine: Engine,
    private readonly context: BrowserContext,
  ) {}

  newContext(): Promise<BrowserContext> {
    return Promise.resolve(this.context);
  }

  close(): Promise<void> {
    return this.context.close();
  }
}
