import type { ConnectionState, SharedWorkerClient } from '../../../src/index.js';
import type { Tab } from '../driver/driver.js';
import type { Collected, ListenVia, RawReply } from '../fixtures/harness.js';

/** What `client.stats()` resolves with. */
export type HubStats = Awaited<ReturnType<SharedWorkerClient['stats']>>;

/** How long an in-page wait lasts before it fails with what it has seen so far. */
export const WAIT_MS = 10_000;

/**
 * A tab showing `fixture.html`, with one method per thing a case does there.
 *
 * Every method is one `tab.evaluate` of a one-line function that calls the page's `window.harness`; the
 * functions stay that small because they are serialised into the page (no closures, no helpers).
 */
export class FixtureTab {
  constructor(readonly tab: Tab) {}

  /** Starts recording `channel`; resolves once the hub has registered the subscription. */
  collect(channel: string, via: ListenVia = 'observable'): Promise<void> {
    return this.tab.evaluate(([name, how]) => window.harness.collect(name, how), [
      channel,
      via,
    ] as const);
  }

  /** Everything this tab has observed on `channel`. */
  collected(channel: string): Promise<Collected> {
    return this.tab.evaluate((name) => window.harness.collected(name), channel);
  }

  /** The values this tab has observed on `channel`. */
  async values(channel: string): Promise<unknown[]> {
    return (await this.collected(channel)).values;
  }

  /** Resolves with the values once `channel` has delivered at least `count` of them. */
  waitForValues(channel: string, count: number, timeoutMs = WAIT_MS): Promise<unknown[]> {
    return this.tab.evaluate(
      ([name, atLeast, ms]) => window.harness.waitForValues(name, atLeast, ms),
      [channel, count, timeoutMs] as const,
    );
  }

  /** Stops recording `channel` the local way (the Subscription's, or the callback API's, unsubscribe). */
  stop(channel: string): Promise<void> {
    return this.tab.evaluate((name) => window.harness.stop(name), channel);
  }

  /** `client.publish(channel, data)`. */
  publish(channel: string, data: unknown): Promise<void> {
    return this.tab.evaluate(([name, value]) => window.harness.client.publish(name, value), [
      channel,
      data,
    ] as const);
  }

  /** Publishes each value in turn, awaiting each ack. */
  publishEach(channel: string, values: readonly unknown[]): Promise<void> {
    return this.tab.evaluate(([name, all]) => window.harness.publishEach(name, all), [
      channel,
      values,
    ] as const);
  }

  /** Prepares {@link FixtureTab.publishEach} to start when `signal` delivers a value. */
  armPublishEach(signal: string, channel: string, values: readonly unknown[]): Promise<void> {
    return this.tab.evaluate(
      ([start, name, all]) => window.harness.armPublishEach(start, name, all),
      [signal, channel, values] as const,
    );
  }

  /** Settles when the armed run has published everything. */
  armed(): Promise<void> {
    return this.tab.evaluate(() => window.harness.armed());
  }

  /** `client.get(channel)`. */
  get(channel: string): Promise<unknown> {
    return this.tab.evaluate((name) => window.harness.client.get(name), channel);
  }

  /** `client.unsubscribe(channel)`. */
  unsubscribe(channel: string): Promise<void> {
    return this.tab.evaluate((name) => window.harness.client.unsubscribe(name), channel);
  }

  /** `client.stats()`. */
  stats(): Promise<HubStats> {
    return this.tab.evaluate(() => window.harness.client.stats());
  }

  /** Connects a bare port to the hub's worker, bypassing the client. */
  openRawPort(): Promise<void> {
    return this.tab.evaluate(() => window.harness.openRawPort());
  }

  /** Posts `message` as-is on the raw port. */
  sendRaw(message: unknown): Promise<void> {
    return this.tab.evaluate((raw) => window.harness.sendRaw(raw), message);
  }

  /** Resolves with the raw port's replies once there are at least `count`. */
  waitForRawReplies(count: number, timeoutMs = WAIT_MS): Promise<RawReply[]> {
    return this.tab.evaluate(([atLeast, ms]) => window.harness.waitForRawReplies(atLeast, ms), [
      count,
      timeoutMs,
    ] as const);
  }

  /** Every state `client.connectionState$` has emitted since the page loaded, oldest first. */
  connectionStates(): Promise<ConnectionState[]> {
    return this.tab.evaluate(() => window.harness.connectionStates());
  }

  /** Starts leaving the page for `url` (another origin, say); resolves before the navigation begins. */
  navigate(url: string): Promise<void> {
    return this.tab.evaluate((to) => window.harness.navigate(to), url);
  }

  /** Closes the tab with the page's leaving listeners silenced: the client cannot say goodbye. */
  async closeWithoutGoodbye(): Promise<void> {
    await this.tab.evaluate(() => window.harness.silenceGoodbye());
    await this.tab.close();
  }

  /** Reloads the tab and resolves once the new page has resubscribed to the channels in its URL. */
  async reload(): Promise<void> {
    await this.tab.reload();
    await this.tab.evaluate(() => window.harness.ready);
  }

  /** Closes the tab as a user would. */
  close(): Promise<void> {
    return this.tab.close();
  }
}
