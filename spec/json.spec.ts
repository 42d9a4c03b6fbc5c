import { toJson } from '../src/json.js';
import { thrownBy } from './helpers/thrown-by.js';

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

  it('should keep a key named __proto__ as plain data', () => {
    const value = JSON.parse('{"__proto__":{"polluted":true}}') as unknown;
    expect(toJson(value, 'publish')).toBe('{"__proto__":{"polluted":true}}');
  });

  it.each([
    [undefined, 'got undefined'],
    [() => 1, 'got a function'],
    [Symbol('s'), 'got a symbol'],
    [BigInt(10), 'got 10 (bigint)'],
    [NaN, 'got NaN (number)'],
    [Infinity, 'got Infinity (number)'],
    [-Infinity, 'got -Infinity (number)'],
  ])('should refuse %p with a TypeError that names the call', (value, got) => {
    expect(thrownBy(() => toJson(value, 'publish'))).toStrictEqual(
      new TypeError(`publish(): data must be a JSON value, ${got}`),
    );
  });

  it.each([
    [{ a: undefined }, 'got undefined at key "a"'],
    [{ a: { b: () => 1 } }, 'got a function at key "b"'],
    [[1, Symbol('s')], 'got a symbol at key "1"'],
    [{ big: [BigInt(1)] }, 'got 1 (bigint) at key "0"'],
    [{ n: NaN }, 'got NaN (number) at key "n"'],
  ])('should refuse %p nested, and say at which key', (value, got) => {
    expect(thrownBy(() => toJson(value, 'publish'))).toStrictEqual(
      new TypeError(`publish(): data must be a JSON value, ${got}`),
    );
  });

  it('should refuse a cyclic object with a TypeError that names the call', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    let thrown: unknown;
    try {
      toJson(cyclic, 'publish');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TypeError);
    expect((thrown as TypeError).message).toMatch(/^publish\(\): data must be a JSON value: /);
    expect((thrown as TypeError).message).toMatch(/circular/i);
  });

  it('should refuse a value whose toJSON throws, in the same words', () => {
    const value = {
      toJSON() {
        throw new Error('boom');
      },
    };
    expect(thrownBy(() => toJson(value, 'set'))).toStrictEqual(
      new TypeError('set(): data must be a JSON value: boom'),
    );
  });

  it('should serialise what a toJSON method returns, as JSON.stringify does', () => {
    const at = new Date(Date.UTC(2026, 10, 28, 12, 0, 0));
    expect(toJson({ at, money: { toJSON: () => '12.50 EUR' } }, 'publish')).toBe(
      '{"at":"2026-11-28T12:00:00.000Z","money":"12.50 EUR"}',
    );
  });

  it('should refuse what a toJSON method turns into a value JSON would drop', () => {
    expect(thrownBy(() => toJson({ a: { toJSON: () => undefined } }, 'publish'))).toStrictEqual(
      new TypeError('publish(): data must be a JSON value, got undefined at key "a"'),
    );
  });

  it('should refuse an array with a hole, which JSON would turn into null', () => {
    // eslint-disable-next-line no-sparse-arrays
    expect(thrownBy(() => toJson([1, , 3], 'publish'))).toStrictEqual(
      new TypeError('publish(): data must be a JSON value, got undefined at key "1"'),
    );
  });

  it('should refuse a bad value deep in a large object, whichever the key order', () => {
    const book = { bids: Array.from({ length: 500 }, (_, i) => ({ price: i, size: 1 })) };
    book.bids[499]!.size = NaN;
    expect(thrownBy(() => toJson(book, 'publish'))).toStrictEqual(
      new TypeError('publish(): data must be a JSON value, got NaN (number) at key "size"'),
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
