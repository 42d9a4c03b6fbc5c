import fc from 'fast-check';

import { toJson } from '../src/json.js';
import { thrownBy } from './helpers/thrown-by.js';

const refusal = (got: string): TypeError =>
  new TypeError(`publish(): data must be a JSON value, got ${got}`);

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

/** `[{ v: [{ v: ... leaf }] }]`, `depth` levels deep. */
function nested(depth: number, leaf: unknown): unknown {
  let value = leaf;
  for (let level = depth - 1; level >= 0; level--) value = level % 2 ? { v: value } : [value];
  return value;
}

/** How deep a value JSON.stringify can serialise here, give or take the frames of the caller. */
function deepestForStringify(): number {
  let low = 1;
  let high = 1_000_000;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    try {
      JSON.stringify(nested(middle, 1));
      low = middle;
    } catch {
      high = middle - 1;
    }
  }
  return low;
}

describe('toJson()', () => {
  it.each([
    [null, 'null'],
    [0, '0'],
    [-12.5, '-12.5'],
    [true, 'true'],
    [false, 'false'],
    ['', '""'],
    ['héllo "you"\n', '"héllo \\"you\\"\\n"'],
    [[], '[]'],
    [{}, '{}'],
    [[1, 'two', null, [false]], '[1,"two",null,[false]]'],
    [{ a: { b: { c: [1, { d: null }] } }, e: 'f' }, '{"a":{"b":{"c":[1,{"d":null}]}},"e":"f"}'],
  ])('should serialise the JSON value %p', (value, json) => {
    expect(toJson(value, 'publish')).toBe(json);
  });

  it('should serialise any JSON value exactly as JSON.stringify does', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(toJson(value, 'publish')).toBe(JSON.stringify(value));
      }),
    );
  });

  it('should accept -0, which arrives as 0', () => {
    expect(toJson(-0, 'publish')).toBe('0');
    expect(toJson({ x: [-0] }, 'publish')).toBe('{"x":[0]}');
  });

  it('should keep a key named __proto__ as plain data', () => {
    const value = JSON.parse('{"__proto__":{"polluted":true}}') as unknown;
    expect(toJson(value, 'publish')).toBe('{"__proto__":{"polluted":true}}');
  });

  it('should accept an object without a prototype', () => {
    const value = Object.assign(Object.create(null) as object, { a: 1 });
    expect(toJson({ value }, 'publish')).toBe('{"value":{"a":1}}');
  });

  it('should accept a non-enumerable symbol key, which is no data', () => {
    const value = Object.defineProperty({ a: 1 }, Symbol('meta'), { value: 1, enumerable: false });
    expect(toJson(value, 'publish')).toBe('{"a":1}');
  });

  it('should accept the same object twice, which is not a cycle', () => {
    const shared = { a: 1 };
    expect(toJson([shared, { shared }], 'publish')).toBe('[{"a":1},{"shared":{"a":1}}]');
  });

  it('should serialise a value nested as deep as JSON.stringify goes', () => {
    const value = nested(deepestForStringify() - 10, 1);
    expect(toJson(value, 'publish')).toBe(JSON.stringify(value));
  });

  it.each([
    [undefined, 'undefined'],
    [() => 1, 'a function'],
    [Symbol('s'), 'a symbol'],
    [BigInt(10), '10 (bigint)'],
    [NaN, 'NaN (number)'],
    [Infinity, 'Infinity (number)'],
    [-Infinity, '-Infinity (number)'],
    [new Map([[1, 2]]), 'a Map'],
    [new Set([1]), 'a Set'],
    [new Uint8Array([1, 2]), 'a Uint8Array'],
    [new Int16Array(2), 'an Int16Array'],
    [new Float64Array(2), 'a Float64Array'],
    [new ArrayBuffer(8), 'an ArrayBuffer'],
    [new DataView(new ArrayBuffer(8)), 'a DataView'],
    [new Point(1, 2), 'an instance of Point'],
    [new Error('e'), 'an instance of Error'],
    [/re/, 'an instance of RegExp'],
    [Object.create({ inherited: 1 }) as object, 'an object with a custom prototype'],
    [{ toJSON: () => 1 }, 'an object with a toJSON method'],
    [Object.assign([1], { toJSON: () => 1 }), 'an array with a toJSON method'],
  ])('should refuse %p with a TypeError that names the call', (value, got) => {
    expect(thrownBy(() => toJson(value, 'publish'))).toStrictEqual(refusal(got));
  });

  it('should refuse a Date and suggest toISOString()', () => {
    expect(thrownBy(() => toJson(new Date(0), 'publish'))).toStrictEqual(
      refusal('a Date (send date.toISOString() instead)'),
    );
    expect(thrownBy(() => toJson({ at: new Date(0) }, 'publish'))).toStrictEqual(
      refusal('a Date at data.at (send date.toISOString() instead)'),
    );
  });

  it('should refuse an array without a prototype', () => {
    const list = Object.setPrototypeOf([1], null) as unknown;
    expect(thrownBy(() => toJson({ list }, 'publish'))).toStrictEqual(
      refusal('an array without a prototype at data.list'),
    );
  });

  it('should refuse an instance of a subclass of Array', () => {
    class List extends Array<number> {}
    expect(thrownBy(() => toJson({ list: List.from([1]) }, 'publish'))).toStrictEqual(
      refusal('an instance of List at data.list'),
    );
  });

  it.each([
    [{ a: undefined }, 'undefined at data.a'],
    [{ a: { b: () => 1 } }, 'a function at data.a.b'],
    [[1, Symbol('s')], 'a symbol at data[1]'],
    [{ big: [BigInt(1)] }, '1 (bigint) at data.big[0]'],
    [{ n: NaN }, 'NaN (number) at data.n'],
    [{ items: [0, 1, 2, { when: new Map() }] }, 'a Map at data.items[3].when'],
    [{ 'odd key': { é: new Set() } }, 'a Set at data["odd key"]["é"]'],
    [{ $id: { _x1: [new Uint8Array(1)] } }, 'a Uint8Array at data.$id._x1[0]'],
    [{ '': { '0': new Point(0, 0) } }, 'an instance of Point at data[""]["0"]'],
    [[[{ toJSON: () => 'x' }]], 'an object with a toJSON method at data[0][0]'],
    [{ tag: { [Symbol('id')]: 1 } }, 'a symbol key at data.tag[Symbol(id)]'],
    [{ [Symbol()]: 1 }, 'a symbol key at data[Symbol()]'],
  ])('should refuse %p nested, and say where', (value, got) => {
    expect(thrownBy(() => toJson(value, 'publish'))).toStrictEqual(refusal(got));
  });

  it('should name the first bad value in the order JSON.stringify meets them', () => {
    const value = { a: [1, { b: 2 }, new Set()], c: undefined, d: new Map() };
    expect(thrownBy(() => toJson(value, 'publish'))).toStrictEqual(refusal('a Set at data.a[2]'));
  });

  it('should refuse an array with a hole, which JSON would turn into null', () => {
    // eslint-disable-next-line no-sparse-arrays
    expect(thrownBy(() => toJson({ list: [1, , 3] }, 'publish'))).toStrictEqual(
      refusal('an empty slot at data.list[1]'),
    );
  });

  it('should refuse a cyclic object, and say where the cycle goes back to', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    expect(thrownBy(() => toJson(cyclic, 'publish'))).toStrictEqual(
      refusal('a circular reference at data.self (back to data)'),
    );
    const inner: unknown[] = [];
    inner.push({ up: inner });
    expect(thrownBy(() => toJson({ list: inner }, 'publish'))).toStrictEqual(
      refusal('a circular reference at data.list[0].up (back to data.list)'),
    );
  });

  it('should refuse an object with a toJSON method without calling it for the message', () => {
    const toJSON = jest.fn(() => {
      throw new Error('boom');
    });
    expect(thrownBy(() => toJson({ money: { toJSON } }, 'set'))).toStrictEqual(
      new TypeError(
        'set(): data must be a JSON value, got an object with a toJSON method at data.money',
      ),
    );
  });

  it('should refuse a value whose getter throws, in the words of the error', () => {
    const value = {
      get broken(): never {
        throw new Error('boom');
      },
    };
    const thrown = thrownBy(() => toJson(value, 'publish'));
    expect(thrown).toStrictEqual(new TypeError('publish(): data must be a JSON value: boom'));
    expect((thrown as TypeError).cause).toStrictEqual(new Error('boom'));
    const throwsText = {
      get broken(): never {
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- a getter broken on purpose
        throw 'nope';
      },
    };
    expect(thrownBy(() => toJson(throwsText, 'publish'))).toStrictEqual(
      new TypeError('publish(): data must be a JSON value: nope'),
    );
  });

  it('should refuse a value nested deeper than the stack allows with a TypeError', () => {
    const thrown = thrownBy(() => toJson(nested(50_000, 1), 'publish'));
    expect(thrown).toBeInstanceOf(TypeError);
    expect((thrown as TypeError).message).toMatch(/^publish\(\): data must be a JSON value: /);
    expect((thrown as TypeError).cause).toBeInstanceOf(RangeError);
  });

  it('should say where a bad value is at any depth JSON.stringify reaches', () => {
    const depth = deepestForStringify() - 10;
    const path = Array.from({ length: depth }, (_, level) => (level % 2 ? '.v' : '[0]')).join('');
    expect(thrownBy(() => toJson(nested(depth, new Map()), 'publish'))).toStrictEqual(
      refusal(`a Map at data${path}`),
    );
  });

  it('should stop at 100,000 levels, even when getters make a fresh object on every read', () => {
    const endless = (): object => ({
      get next(): object {
        return endless();
      },
    });
    expect(thrownBy(() => toJson(endless(), 'publish'))).toStrictEqual(
      refusal('more than 100000 levels of nesting'),
    );
  });

  it('should refuse a bad value deep in a large object, and say where', () => {
    const book = { bids: Array.from({ length: 500 }, (_, i) => ({ price: i, size: 1 })) };
    book.bids[499]!.size = NaN;
    expect(thrownBy(() => toJson(book, 'publish'))).toStrictEqual(
      refusal('NaN (number) at data.bids[499].size'),
    );
    book.bids[499]!.size = 2;
    expect(JSON.parse(toJson(book, 'publish'))).toEqual(book);
  });

  it('should name whichever call it is given', () => {
    expect(thrownBy(() => toJson(undefined, 'hub.publish'))).toStrictEqual(
      new TypeError('hub.publish(): data must be a JSON value, got undefined'),
    );
  });
});
