// The hub's check of a tab's JSON text: `JSON.parse` turns a number literal beyond the double range into
// `Infinity`, which JSON cannot carry back out. Its own module: the client never needs it.

/**
 * True when JSON text holds a number literal that parses to `±Infinity` (such as `1e400`, or an
 * integer of 400 digits), which `JSON.parse` accepts without a word.
 *
 * Cheap on the common case: a look at the text that can only err towards yes (a string such as
 * `"1e400"` looks the same), and only when it says yes, an exact walk over the parsed value.
 *
 * @param json JSON text (the caller has checked that it parses).
 * @param parsed `JSON.parse(json)`, when the caller has it already (it saves a second parse on the
 *   rare text that looks suspect); `undefined`, which JSON.parse never returns, means "parse it".
 */
export function hasNonFiniteNumber(json: string, parsed?: unknown): boolean {
  if (!LARGE_EXPONENT.test(json) && !hasDigitRun(json, LONG_INTEGER)) return false;
  return holdsNonFiniteNumber(parsed === undefined ? JSON.parse(json) : parsed);
}

/*
 * The largest double is about 1.8e308, so a literal beyond it has either an exponent of 3 digits or
 * more, or, with an exponent of at most 99, an integer part of at least 309 - 99 = 210 digits. A
 * negative exponent only shrinks the value: beyond the double range it needs such an integer part too.
 */

/** An exponent of 3 digits or more: `1e400`, `2.5E+0400`. */
const LARGE_EXPONENT = /\d[eE]\+?\d{3}/;

/** The fewest integer digits that, with an exponent under 100, can reach beyond the double range. */
const LONG_INTEGER = 210;

/**
 * True when `text` holds `length` digits in a row. By hand, not `/\d{210}/`: that regular expression
 * starts again at every digit and costs more than JSON.parse on text full of numbers. Any run of
 * `length` digits covers one of the positions `length - 1`, `2 * length - 1`, ..., so only those
 * are looked at, and the run is measured around the ones that are digits.
 */
function hasDigitRun(text: string, length: number): boolean {
  for (let at = length - 1; at < text.length; at += length) {
    if (!isDigit(text.charCodeAt(at))) continue;
    let start = at;
    while (start > 0 && isDigit(text.charCodeAt(start - 1))) start--;
    let end = at + 1;
    while (end < text.length && isDigit(text.charCodeAt(end))) end++;
    if (end - start >= length) return true;
  }
  return false;
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/**
 * True when a parsed JSON value holds a non-finite number (what `1e400` parses to). Without recursion:
 * JSON.parse nests deeper than a recursive walk could go.
 */
export function holdsNonFiniteNumber(root: unknown): boolean {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) return true;
    } else if (typeof value === 'object' && value !== null) {
      for (const item of Array.isArray(value) ? value : Object.values(value)) stack.push(item);
    }
  }
  return false;
}
