import { describe } from './protocol.js';

/**
 * Serialises a value that must survive JSON unchanged, or throws a `TypeError` that names the call.
 *
 * `JSON.stringify` alone would quietly drop `undefined` and functions, turn `NaN` into `null`, and
 * throw unnamed errors for BigInt and cycles; a value that would not come back equal is refused instead.
 */
export function toJson(value: unknown, call: string): string {
  // The common case first: V8's JSON.stringify is several times faster without a replacer, and a walk
  // that only reads types finds what it would have dropped. Cycles throw here and take the strict path.
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    json = undefined;
  }
  if (json !== undefined && isPlainJson(value)) return json;
  return strictJson(value, call);
}

/**
 * True when `value` (which JSON.stringify accepted, so it has no cycle) holds only what JSON keeps as
 * it is. False also for anything with a `toJSON` method, which the strict path handles.
 */
function isPlainJson(value: unknown): boolean {
  if (typeof value === 'string' || typeof value === 'boolean' || value === null) return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value !== 'object') return false;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      if (!isPlainJson(value[index])) return false;
    }
    return true;
  }
  for (const key of Object.keys(value)) {
    if (!isPlainJson((value as Record<string, unknown>)[key])) return false;
  }
  return true;
}

/** Serialises with a replacer that throws a `TypeError` naming the first value JSON would not keep. */
function strictJson(value: unknown, call: string): string {
  let json: string;
  try {
    json = JSON.stringify(value, function (this: unknown, key: string, item: unknown) {
      if (
        item === undefined ||
        typeof item === 'function' ||
        typeof item === 'symbol' ||
        typeof item === 'bigint' ||
        (typeof item === 'number' && !Number.isFinite(item))
      ) {
        const where = key === '' ? '' : ` at key ${JSON.stringify(key)}`;
        throw new TypeError(`${call}(): data must be a JSON value, got ${describe(item)}${where}`);
      }
      return item;
    });
  } catch (error) {
    if (error instanceof TypeError && error.message.startsWith(`${call}(): `)) throw error;
    // What remains is a cycle (or a throwing toJSON): say so in the same words as the rest.
    throw new TypeError(`${call}(): data must be a JSON value: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return json;
}
