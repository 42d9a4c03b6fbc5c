import { SharedWorkerClient } from '../src/index.js';

/** The ticker symbols the price channel carries, in display order. */
export const TICKER_SYMBOLS = ['BTC', 'ETH', 'SOL'] as const;

/** One of {@link TICKER_SYMBOLS}. */
export type TickerSymbol = (typeof TICKER_SYMBOLS)[number];

/** A snapshot of the price ticker: one price per symbol, and the tab that published it. */
export interface Prices {
  quotes: Record<TickerSymbol, number>;
  by: string;
}

/** The shared note: its text, the tab that wrote it last, and when (epoch ms). */
export interface Note {
  text: string;
  by: string;
  at: number;
}

/** Every channel of the demo and the type of its values. */
export interface DemoChannels {
  counter: number;
  prices: Prices;
  note: Note;
}

/** The demo's channel names, in display order. */
export const CHANNEL_NAMES = ['counter', 'prices', 'note'] as const satisfies ReadonlyArray<
  keyof DemoChannels
>;

/** The demo's client type. */
export type DemoClient = SharedWorkerClient<DemoChannels>;

/**
 * Connects this tab to the demo's hub. Every tab that uses the same worker URL and name shares it.
 *
 * ```ts
 * const client = createDemoClient();
 * client.channel('counter').subscribe((n) => console.log(n));
 * ```
 */
export function createDemoClient(): DemoClient {
  return new SharedWorkerClient<DemoChannels>(
    () =>
      new SharedWorker(new URL('./channels.worker.ts', import.meta.url), {
        name: 'shared-channels-demo',
      }),
  );
}

/** The last six letters or digits of a client id: enough to tell the tabs of one demo apart. */
export function shortId(clientId: string): string {
  // The tail, not the head: ids such as `client-<random>` or `<timestamp>-<random>` share their head.
  return clientId.replace(/[^a-z0-9]/gi, '').slice(-6);
}
