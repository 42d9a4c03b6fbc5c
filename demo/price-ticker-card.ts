import { BehaviorSubject, EMPTY, fromEvent, interval, type Subscription, switchMap } from 'rxjs';
import {
  shortId,
  TICKER_SYMBOLS,
  type DemoClient,
  type Prices,
  type TickerSymbol,
} from './channels.js';
import { byTestId, createElement } from './dom.js';
import { flash } from './flash.js';
import { formatPrice } from './format.js';
import type { MessageLog } from './message-log.js';

/** How often a ticking tab publishes new prices: a few times per second. */
const TICK_MS = 300;

/** Where the random walk starts when the channel has no prices yet. */
const OPENING_QUOTES: Record<TickerSymbol, number> = { BTC: 64_000, ETH: 3_400, SOL: 150 };

const NAMES: Record<TickerSymbol, string> = { BTC: 'Bitcoin', ETH: 'Ether', SOL: 'Solana' };

/** Per-tick volatility: the standard deviation of a step, as a fraction of the price. */
const VOLATILITY = 0.0015;

/**
 * The price ticker card: shows the shared `prices` with up/down colouring, and a toggle that makes this
 * tab publish a random walk of them.
 */
export function mountPriceTickerCard(client: DemoClient, log: MessageLog): Subscription {
  const body = byTestId('prices-table', HTMLTableSectionElement);
  const toggle = byTestId('prices-toggle', HTMLButtonElement);
  const source = byTestId('prices-source', HTMLElement);
  const rows = new Map(TICKER_SYMBOLS.map((symbol) => [symbol, createQuoteRow(symbol)] as const));
  body.replaceChildren(...[...rows.values()].map((row) => row.element));

  let latest: Prices | undefined;
  const ticking$ = new BehaviorSubject(false);

  const subscription = client.channel('prices').subscribe((prices) => {
    for (const [symbol, row] of rows) row.show(prices.quotes[symbol], latest?.quotes[symbol]);
    latest = prices;
    source.textContent =
      prices.by === client.clientId
        ? 'last tick from this tab'
        : `last tick from tab ${shortId(prices.by)}`;
  });

  subscription.add(
    fromEvent(toggle, 'click').subscribe(() => {
      ticking$.next(!ticking$.value);
    }),
  );
  subscription.add(
    ticking$.subscribe((ticking) => {
      toggle.textContent = ticking ? 'Stop ticking' : 'Start ticking';
      toggle.setAttribute('aria-pressed', String(ticking));
    }),
  );
  subscription.add(
    ticking$.pipe(switchMap((ticking) => (ticking ? interval(TICK_MS) : EMPTY))).subscribe(() => {
      const quotes = walk(latest?.quotes ?? OPENING_QUOTES);
      client.publish('prices', { quotes, by: client.clientId }).catch((error: unknown) => {
        log.error('prices', 'publish()', error);
        ticking$.next(false);
      });
    }),
  );
  return subscription;
}

/** One random-walk step from `quotes`, rounded to cents. */
function walk(quotes: Record<TickerSymbol, number>): Record<TickerSymbol, number> {
  const step = (price: number): number =>
    Math.round(price * (1 + VOLATILITY * standardNormal()) * 100) / 100;
  return { BTC: step(quotes.BTC), ETH: step(quotes.ETH), SOL: step(quotes.SOL) };
}

/** A sample of the standard normal distribution (Box–Muller). */
function standardNormal(): number {
  const u = 1 - Math.random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * Math.random());
}

interface QuoteRow {
  element: HTMLTableRowElement;
  show(price: number, previous: number | undefined): void;
}

function createQuoteRow(symbol: TickerSymbol): QuoteRow {
  const element = createElement('tr', { testId: `price-${symbol}` });
  const name = createElement('td', { className: 'quote-symbol' });
  name.append(
    createElement('strong', { text: symbol }),
    createElement('span', { className: 'muted', text: NAMES[symbol] }),
  );
  const price = createElement('td', { className: 'quote-price num', text: '–' });
  const change = createElement('span');
  const changeCell = createElement('td', { className: 'quote-change num' });
  changeCell.append(change);
  element.append(name, price, changeCell);
  return {
    element,
    show(value, previous) {
      price.textContent = formatPrice(value);
      const delta = previous === undefined ? 0 : value - previous;
      const direction = delta > 0 ? 'up' : delta < 0 ? 'down' : 'flat';
      element.dataset['direction'] = direction;
      const arrow = direction === 'up' ? '▲' : direction === 'down' ? '▼' : '•';
      const percent = previous === undefined || previous === 0 ? 0 : (delta / previous) * 100;
      change.textContent = `${arrow} ${Math.abs(percent).toFixed(2)}%`;
      if (direction !== 'flat') flash(price);
    },
  };
}
