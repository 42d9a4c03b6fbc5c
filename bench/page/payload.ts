/**
 * The values the benchmark publishes. `price` carries the sequence number (so receivers check order and
 * count) and `ts` the publish time on the cross-tab clock; the 10 KB payload adds an order book.
 */
export type PayloadKind = 'small' | '10kb';

export interface BenchValue {
  price: number;
  ts: number;
  book?: BookLevel[];
}

interface BookLevel {
  p: number;
  q: number;
  o: number;
}

/** `price` of the readiness probe the publisher repeats until every tab has heard it. */
export const PROBE_PRICE = -1;

/** Milliseconds since the epoch, comparable between tabs and workers of one machine. */
export function clock(): number {
  return performance.timeOrigin + performance.now();
}

/** Order-book levels whose JSON is about 10 KB (10,240 characters with price and ts). */
function makeBook(): BookLevel[] {
  const book: BookLevel[] = [];
  for (let level = 0; JSON.stringify(book).length < 10_180; level++) {
    book.push({ p: 100 + level * 0.25, q: 1000 + ((level * 7919) % 9000), o: 1 + (level % 9) });
  }
  return book;
}

const BOOK = makeBook();

export function makePayload(kind: PayloadKind, price: number, ts: number): BenchValue {
  return kind === 'small' ? { price, ts } : { price, ts, book: BOOK };
}

export function isBenchValue(value: unknown): value is BenchValue {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { price?: unknown }).price === 'number' &&
    typeof (value as { ts?: unknown }).ts === 'number'
  );
}
