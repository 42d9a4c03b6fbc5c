import { describe } from './protocol.js';

/**
 * Serialises a value that must survive JSON unchanged, or throws a `TypeError` that names the call.
 *
 * `JSON.stringify` alone would quietly drop `undefined` and functions, turn `NaN` into `null`, and
 * throw unnamed errors for BigInt and cycles; a value that would not come back equal is refused instead.
 */
export function toJson(value: unknown, call: string): string {
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
