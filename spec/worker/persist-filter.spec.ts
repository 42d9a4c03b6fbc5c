import { createPersistFilter } from '../../src/worker/persist-filter.js';
import { thrownBy } from '../helpers/thrown-by.js';

describe('createPersistFilter()', () => {
  it('should persist nothing by default, or with false', () => {
    expect(createPersistFilter(undefined)).toBeUndefined();
    expect(createPersistFilter(false)).toBeUndefined();
  });

  it('should persist every channel with true', () => {
    const persists = createPersistFilter(true)!;
    expect(persists('anything')).toBe(true);
    expect(persists('__proto__')).toBe(true);
  });

  it('should persist exactly the named channels and those a RegExp matches', () => {
    const persists = createPersistFilter(['settings', /^cart:/])!;
    expect(
      ['settings', 'cart:1', 'cart:', 'settings2', 'my-cart:1', 'prices'].map(persists),
    ).toEqual([true, true, true, false, false, false]);
  });

  it('should give the same answer every time for a global or sticky RegExp', () => {
    const persists = createPersistFilter([/^a/g, /b/y])!;
    expect([persists('a1'), persists('a1'), persists('a1')]).toEqual([true, true, true]);
    expect([persists('b'), persists('b')]).toEqual([true, true]);
  });

  it('should ask a predicate, taking only a truthy answer as yes', () => {
    const persists = createPersistFilter((channel) => channel.startsWith('keep'))!;
    expect([persists('keep-me'), persists('drop-me')]).toEqual([true, false]);
  });

  it('should refuse anything else with a TypeError that names the option', () => {
    expect(thrownBy(() => createPersistFilter('settings' as never))).toEqual(
      new TypeError(
        'new Hub(): persist must be true, an array of names and RegExps, or a function, got "settings" (string)',
      ),
    );
    expect(thrownBy(() => createPersistFilter(['ok', ''] as never))).toEqual(
      new TypeError(
        'new Hub(): persist[1] must be a non-empty string or a RegExp, got "" (string)',
      ),
    );
    expect(thrownBy(() => createPersistFilter([42] as never))).toEqual(
      new TypeError(
        'new Hub(): persist[0] must be a non-empty string or a RegExp, got 42 (number)',
      ),
    );
  });
});
