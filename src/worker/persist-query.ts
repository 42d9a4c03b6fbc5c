import type { PersistOption } from './persist-filter.js';

/**
 * Reads the `persist` parameter of the worker bundle's URL (`shared-worker.js?persist=...`):
 * `*` persists every channel; otherwise a comma list of names and `prefix*` patterns
 * (`?persist=settings,cart:*`). Only a trailing `*` is a wildcard; blanks around entries are ignored.
 * No parameter, or an empty one, persists nothing.
 *
 * @param search the URL's query string, as `location.search` gives it
 */
export function parsePersistQuery(search: string): PersistOption | undefined {
  const value = new URLSearchParams(search).get('persist');
  if (value === null) return undefined;
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length === 0) return undefined;
  if (entries.includes('*')) return true;
  return entries.map((entry) =>
    entry.endsWith('*') ? new RegExp(`^${escapeRegExp(entry.slice(0, -1))}`) : entry,
  );
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
