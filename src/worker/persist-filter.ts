import { describeValue } from '../protocol.js';

/**
 * Which channels a hub persists: `true` (all), names and RegExps (`['settings', /^cart:/]`), or a
 * predicate. `false` and `undefined` persist none.
 */
export type PersistOption =
  boolean | ReadonlyArray<string | RegExp> | ((channel: string) => boolean);

/**
 * Turns a {@link PersistOption} into a test of one channel name, or `undefined` when nothing persists.
 * Throws a `TypeError` naming the option for anything else.
 */
export function createPersistFilter(
  persist: PersistOption | undefined,
): ((channel: string) => boolean) | undefined {
  if (persist === undefined || persist === false) return undefined;
  if (persist === true) return () => true;
  if (typeof persist === 'function') return (channel) => Boolean(persist(channel));
  if (!Array.isArray(persist)) {
    throw new TypeError(
      `new Hub(): persist must be true, an array of names and RegExps, or a function, got ${describeValue(persist)}`,
    );
  }
  const names = new Set<string>();
  const patterns: RegExp[] = [];
  for (const [index, entry] of (persist as ReadonlyArray<unknown>).entries()) {
    if (typeof entry === 'string' && entry !== '') names.add(entry);
    else if (entry instanceof RegExp) patterns.push(stateless(entry));
    else {
      throw new TypeError(
        `new Hub(): persist[${index}] must be a non-empty string or a RegExp, got ${describeValue(entry)}`,
      );
    }
  }
  return (channel) => names.has(channel) || patterns.some((pattern) => pattern.test(channel));
}

/** A copy without the `g` and `y` flags: with them, `test()` keeps a `lastIndex` between calls. */
function stateless(pattern: RegExp): RegExp {
  return pattern.global || pattern.sticky
    ? new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''))
    : pattern;
}
