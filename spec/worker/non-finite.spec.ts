import { hasNonFiniteNumber } from '../../src/worker/non-finite.js';

describe('hasNonFiniteNumber()', () => {
  it.each([
    '1e400',
    '-1e999',
    '1.5E+309',
    '2e0400',
    `{"a":[1,${'9'.repeat(400)}]}`,
    `-${'9'.repeat(210)}e99`,
    `${'1'.repeat(400)}e-10`,
    '{"type":"publish","channel":"c","data":1e400,"requestId":1}',
    '{"requestId":1e309}',
  ])('should find the number that parses to Infinity in %s', (json) => {
    expect(hasNonFiniteNumber(json)).toBe(true);
  });

  it.each([
    '0',
    '-0',
    '1.7976931348623157e308',
    '1e-400',
    '5e99',
    `${'9'.repeat(209)}e99`,
    `0.${'9'.repeat(500)}`,
    '{"a":[1,2.5,-3e10],"b":"text"}',
  ])('should find no such number in %s', (json) => {
    expect(hasNonFiniteNumber(json)).toBe(false);
  });

  it.each([
    '"1e400"',
    '{"id":"page1000","n":1}',
    `{"digits":"${'7'.repeat(400)}"}`,
    `["x1e999", 1e308]`,
  ])('should not take a string that looks like such a number for one: %s', (json) => {
    expect(hasNonFiniteNumber(json)).toBe(false);
  });

  it('should walk the parsed value it is given instead of parsing again', () => {
    const parse = jest.spyOn(JSON, 'parse');
    try {
      expect(hasNonFiniteNumber('{"a":1e400}', { a: Infinity })).toBe(true);
      expect(hasNonFiniteNumber('"1e400"', '1e400')).toBe(false);
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
  });

  it('should not parse text in which no number can be that large', () => {
    const parse = jest.spyOn(JSON, 'parse');
    try {
      expect(
        hasNonFiniteNumber(JSON.stringify({ a: [1, 2.5e99, 1e-300], text: 'x'.repeat(5000) })),
      ).toBe(false);
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
  });
});
