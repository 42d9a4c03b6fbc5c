import { parsePersistQuery } from '../../src/worker/persist-query.js';

describe('parsePersistQuery()', () => {
  it('should persist nothing without the parameter, or with an empty one', () => {
    expect(parsePersistQuery('')).toBeUndefined();
    expect(parsePersistQuery('?v=3')).toBeUndefined();
    expect(parsePersistQuery('?persist=')).toBeUndefined();
    expect(parsePersistQuery('?persist=,%20,')).toBeUndefined();
  });

  it('should persist every channel with *', () => {
    expect(parsePersistQuery('?persist=*')).toBe(true);
    expect(parsePersistQuery('?persist=settings,*')).toBe(true);
  });

  it('should read a comma list of names, ignoring blanks around them', () => {
    expect(parsePersistQuery('?persist=settings,%20user%20,')).toEqual(['settings', 'user']);
  });

  it('should read a trailing * as a prefix pattern, and any other * literally', () => {
    const persist = parsePersistQuery('?v=2&persist=cart:*,a.b*,x*y') as Array<string | RegExp>;
    expect(persist).toEqual([/^cart:/, /^a\.b/, 'x*y']);
    const [cart, dotted] = persist as [RegExp, RegExp];
    expect([cart.test('cart:1'), cart.test('my-cart:1')]).toEqual([true, false]);
    expect([dotted.test('a.b.c'), dotted.test('aXb')]).toEqual([true, false]);
  });

  it('should take the query string as location.search gives it, with or without "?"', () => {
    expect(parsePersistQuery('persist=a')).toEqual(['a']);
    expect(parsePersistQuery('?persist=a%2Cb')).toEqual(['a', 'b']);
  });
});
