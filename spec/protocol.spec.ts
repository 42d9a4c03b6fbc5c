import { FEATURE_BATCH, PROTOCOL_VERSION, describeValue, parseResponse } from '../src/protocol.js';

describe('protocol', () => {
  describe('constants', () => {
    it('should name protocol version 1 and the batch feature', () => {
      expect(PROTOCOL_VERSION).toBe(1);
      expect(FEATURE_BATCH).toBe('batch');
    });
  });

  describe('parseResponse()', () => {
    it('should return an object with a string type as a response', () => {
      const message = { type: 'published', channel: 'x', requestId: 1 };
      expect(parseResponse(message)).toBe(message);
    });

    it.each([null, 'data', 42, [], { type: 1 }, {}])('should ignore %p', (message) => {
      expect(parseResponse(message)).toBeUndefined();
    });
  });

  describe('describe()', () => {
    it.each([
      [null, 'null'],
      [undefined, 'undefined'],
      [[1, 2], 'an array'],
      ['', '"" (string)'],
      ['say "hi"', '"say \\"hi\\"" (string)'],
      [42, '42 (number)'],
      [-0.5, '-0.5 (number)'],
      [NaN, 'NaN (number)'],
      [false, 'false (boolean)'],
      [BigInt(10), '10 (bigint)'],
      [{ a: 1 }, 'an object'],
      [() => 1, 'a function'],
      [Symbol('s'), 'a symbol'],
    ])('should describe %p as %p', (value, described) => {
      expect(describeValue(value)).toBe(described);
    });

    it('should cut a string longer than 40 characters', () => {
      expect(describeValue('a'.repeat(40))).toBe(`"${'a'.repeat(40)}" (string)`);
      expect(describeValue('a'.repeat(41))).toBe(`"${'a'.repeat(40)}..." (string)`);
    });
  });
});
