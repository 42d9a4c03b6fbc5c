import { describeValue } from './protocol.js';

/**
 * Serialises a value that must survive JSON unchanged, or throws a `TypeError` that names the call and
 * where in the value the problem is.
 *
 * Accepted: strings, finite numbers, booleans, `null`, arrays without holes, and objects whose
 * prototype is `Object.prototype` or `null`, nested to any depth JSON.stringify manages. `-0` is
 * accepted and arrives as `0`, since JSON has no negative zero.
 *
 * Refused, because `JSON.stringify` would quietly drop or change them: `undefined`, functions,
 * symbols, BigInt, `NaN` and `±Infinity`, empty array slots, cycles, `Map`, `Set`, `Date`, typed
 * arrays, `ArrayBuffer`, `DataView`, instances of any other class, objects with a `toJSON` method, and
 * enumerable symbol-keyed properties.
 *
 * ```ts
 * toJson({ items: [1, 2] }, 'publish'); // '{"items":[1,2]}'
 * toJson({ items: [new Map()] }, 'publish');
 * // TypeError: publish(): data must be a JSON value, got a Map at data.items[0]
 * ```
 */
export function toJson(value: unknown, call: string): string {
  // The common case first: V8's JSON.stringify is several times faster without a replacer, and a walk
  // that only reads types finds what it would have changed. The walk needs a value without cycles,
  // which JSON.stringify has just proved by not throwing. (So a toJSON method runs before its object
  // is refused; the refusal itself never calls one.)
  let json: string | undefined;
  let failure: unknown;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    failure = error;
  }
  if (json !== undefined && isPlainJson(value)) return json;
  return refuse(value, call, failure);
}

/**
 * True when `value`, which JSON.stringify accepted (so it has no cycle), holds only what JSON keeps as
 * it is. It must refuse exactly what {@link findNonJson} names.
 */
function isPlainJson(root: unknown): boolean {
  if (typeof root !== 'object' || root === null) return isJsonPrimitive(root);
  // An explicit stack, not recursion: the walk goes as deep as JSON.stringify did, whatever the
  // engine's frame sizes. Only objects are pushed; primitives are checked where they are read.
  const stack: object[] = [root];
  for (let value = stack.pop(); value !== undefined; value = stack.pop()) {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto === Array.prototype) {
      // Object.create(Array.prototype) is no array: JSON makes it {}.
      if (!Array.isArray(value)) return false;
      const array = value as unknown[];
      for (let index = 0; index < array.length; index++) {
        const item = array[index];
        if (typeof item === 'object' && item !== null) stack.push(item);
        else if (!isJsonPrimitive(item)) return false;
      }
    } else if (proto === Object.prototype || (proto === null && !Array.isArray(value))) {
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record);
      for (let index = 0; index < keys.length; index++) {
        const item = record[keys[index]!];
        if (typeof item === 'object' && item !== null) stack.push(item);
        else if (!isJsonPrimitive(item)) return false;
      }
    } else {
      return false;
    }
    if (hasToJson(value) || enumerableSymbol(value) !== undefined) return false;
  }
  return true;
}

function isJsonPrimitive(value: unknown): boolean {
  return typeof value === 'number'
    ? Number.isFinite(value)
    : typeof value === 'string' || typeof value === 'boolean' || value === null;
}

function hasToJson(value: object): boolean {
  return typeof (value as { toJSON?: unknown }).toJSON === 'function';
}

/** The first enumerable symbol key of `value`: JSON.stringify skips them all. */
function enumerableSymbol(value: object): symbol | undefined {
  const symbols = Object.getOwnPropertySymbols(value);
  // Cheap: almost always empty.
  return symbols.length === 0
    ? undefined
    : symbols.find((symbol) => Object.prototype.propertyIsEnumerable.call(value, symbol));
}

/** Builds the `TypeError` for a value the fast path turned down: what is wrong, and where. */
function refuse(value: unknown, call: string, failure: unknown): never {
  let found: NonJson | undefined;
  try {
    found = findNonJson(value);
  } catch (error) {
    // A getter that throws.
    failure = error;
  }
  if (found) {
    const where = found.place.parent === undefined ? '' : ` at ${formatPath(found.place)}`;
    throw new TypeError(
      `${call}(): data must be a JSON value, got ${found.what}${where}${found.hint ?? ''}`,
    );
  }
  // What JSON.stringify threw for a value with nothing wrong in it: a getter that throws, or nesting
  // deeper than the engine's stack.
  throw new TypeError(
    `${call}(): data must be a JSON value: ${failure instanceof Error ? failure.message : String(failure)}`,
    { cause: failure },
  );
}

/** One step into a value: an array index, an object key, or a symbol key (to name it). */
type Segment = number | string | symbol;

/** A value met on the way down, and how it was reached from the whole value. */
interface Place {
  readonly value: unknown;
  readonly parent: Place | undefined;
  readonly segment: Segment;
  readonly depth: number;
}

/** Pushed after an object's children: once popped, the object is no longer an ancestor. */
interface Leave {
  readonly leave: object;
}

interface NonJson {
  /** What was found, worded to follow "got": `a Map`, `undefined`, `NaN (number)`. */
  readonly what: string;
  readonly place: Place;
  /** Said after the path, with its leading space. */
  readonly hint?: string | undefined;
}

/** Stands for an empty array slot, which reads as `undefined` but is none. */
const EMPTY_SLOT = Symbol('empty slot');

/**
 * Far deeper than any engine's JSON.stringify goes. The walk below only stops there for an object
 * whose getters make a fresh object on every read, which would otherwise be endless.
 */
const MAX_DEPTH = 100_000;

/**
 * Finds the first thing JSON would drop or change, in the order JSON.stringify meets it, or
 * `undefined` when there is none. An explicit stack rather than recursion, like {@link isPlainJson},
 * so that it names the problem at any depth JSON.stringify reaches.
 */
function findNonJson(root: unknown): NonJson | undefined {
  const ancestors = new Map<object, Place>();
  const top: Place = { value: root, parent: undefined, segment: '', depth: 0 };
  const stack: Array<Place | Leave> = [top];
  for (let step = stack.pop(); step !== undefined; step = stack.pop()) {
    if ('leave' in step) {
      ancestors.delete(step.leave);
      continue;
    }
    const { value } = step;
    if (typeof value !== 'object' || value === null) {
      if (isJsonPrimitive(value)) continue;
      return { what: value === EMPTY_SLOT ? 'an empty slot' : describeValue(value), place: step };
    }
    const found = problemOf(value, step, ancestors.get(value));
    if (found) return found;
    if (step.depth === MAX_DEPTH) {
      return { what: `more than ${MAX_DEPTH} levels of nesting`, place: top };
    }
    ancestors.set(value, step);
    stack.push({ leave: value });
    // Children in reverse, so that the first is popped first.
    const depth = step.depth + 1;
    if (Array.isArray(value)) {
      for (let index = value.length - 1; index >= 0; index--) {
        const item: unknown = index in value ? value[index] : EMPTY_SLOT;
        stack.push({ value: item, parent: step, segment: index, depth });
      }
    } else {
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record);
      for (let index = keys.length - 1; index >= 0; index--) {
        const key = keys[index]!;
        stack.push({ value: record[key], parent: step, segment: key, depth });
      }
    }
  }
  return undefined;
}

/** What is wrong with an object itself, before its children: {@link isPlainJson}'s rules, worded. */
function problemOf(value: object, place: Place, ancestor: Place | undefined): NonJson | undefined {
  if (ancestor) {
    return { what: 'a circular reference', place, hint: ` (back to ${formatPath(ancestor)})` };
  }
  const proto = Object.getPrototypeOf(value) as object | null;
  const isArray = Array.isArray(value);
  if (isArray ? proto !== Array.prototype : proto !== Object.prototype && proto !== null) {
    const hint = value instanceof Date ? ' (send date.toISOString() instead)' : undefined;
    return { what: describeInstance(value, proto), place, hint };
  }
  if (hasToJson(value)) {
    return { what: `${isArray ? 'an array' : 'an object'} with a toJSON method`, place };
  }
  const symbol = enumerableSymbol(value);
  if (symbol === undefined) return undefined;
  return {
    what: 'a symbol key',
    place: { value: undefined, parent: place, segment: symbol, depth: place.depth + 1 },
  };
}

/** `a Map`, `a Uint8Array`, `an instance of Point`: an object whose prototype JSON would lose. */
function describeInstance(value: object, proto: object | null): string {
  // Only an array gets here without a prototype: an object without one is plain.
  if (proto === null) return 'an array without a prototype';
  const constructor: unknown = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value;
  const name =
    typeof constructor === 'function' && constructor.name !== '' ? constructor.name : undefined;
  if (name === undefined) return 'an object with a custom prototype';
  const isBuiltIn =
    value instanceof Map ||
    value instanceof Set ||
    value instanceof Date ||
    value instanceof ArrayBuffer ||
    ArrayBuffer.isView(value);
  if (!isBuiltIn) return `an instance of ${name}`;
  // Uint8Array and its kin start with a consonant sound.
  return `${/^[AEIO]/.test(name) ? 'an' : 'a'} ${name}`;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** Where `place` is: `data`, `data.items[3].when`, `data["odd key"]`, `data[Symbol(tag)]`. */
function formatPath(place: Place): string {
  const segments: Segment[] = [];
  for (let at: Place | undefined = place; at?.parent !== undefined; at = at.parent) {
    segments.push(at.segment);
  }
  let text = 'data';
  for (let index = segments.length - 1; index >= 0; index--) {
    const segment = segments[index]!;
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (typeof segment === 'symbol') text += `[${String(segment)}]`;
    else text += IDENTIFIER.test(segment) ? `.${segment}` : `[${JSON.stringify(segment)}]`;
  }
  return text;
}
