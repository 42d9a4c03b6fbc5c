const TIME_OF_DAY = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

const PRICE = new Intl.NumberFormat('en-US', {
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});

const RATE = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

/** A wall-clock time with milliseconds, as the log shows it: `14:03:27.912`. */
export function formatTimeOfDay(epochMs: number): string {
  const millis = String(Math.floor(epochMs % 1000)).padStart(3, '0');
  return `${TIME_OF_DAY.format(epochMs)}.${millis}`;
}

/** How long ago `epochMs` was, in a few characters: `just now`, `12s ago`, `3m ago`, `2h ago`. */
export function formatRelative(epochMs: number | null, now: number): string {
  if (epochMs === null) return 'never';
  const seconds = Math.max(0, Math.round((now - epochMs) / 1000));
  if (seconds < 2) return 'just now';
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  return `${Math.floor(seconds / 3600)}h ago`;
}

/** A duration in milliseconds as `42s`, `3m 05s` or `2h 07m`. */
export function formatDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

/** A price with two decimals and thousands separators: `64,012.35`. */
export function formatPrice(price: number): string {
  return PRICE.format(price);
}

/** A per-second rate with at most one decimal: `12.5`. */
export function formatRate(perSecond: number): string {
  return RATE.format(perSecond);
}

/** `text` cut to `max` characters, with an ellipsis when it was longer. */
export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
