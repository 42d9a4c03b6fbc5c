import {
  DATABASE_VERSION,
  RECORD_FORMAT,
  UPGRADES,
  readRecord,
} from '../../src/persistence/schema.js';

describe('schema', () => {
  it('should be at the version its upgrade steps reach', () => {
    expect(DATABASE_VERSION).toBe(UPGRADES.length);
    expect(DATABASE_VERSION).toBe(1);
    expect(RECORD_FORMAT).toBe(1);
  });

  describe('readRecord()', () => {
    it('should read a record of the current format', () => {
      expect(readRecord('prices', { channel: 'prices', json: '{"BTC":1}', format: 1 })).toEqual([
        'prices',
        '{"BTC":1}',
      ]);
    });

    it.each([
      ['a string', 'x', 'the record is "x" (string), not an object'],
      ['null', null, 'the record is null, not an object'],
      [
        'a record of a newer format',
        { channel: 'c', json: '1', format: 2 },
        "the record's format is 2 (number); this release reads format 1",
      ],
      [
        'a record without a format',
        { channel: 'c', json: '1' },
        "the record's format is undefined; this release reads format 1",
      ],
      [
        'a record under another key',
        { channel: 'other', json: '1', format: 1 },
        `the record's channel is "other" (string), not its key`,
      ],
      [
        'a record whose json is not text',
        { channel: 'c', json: { a: 1 }, format: 1 },
        "the record's json is an object, not a string",
      ],
    ])('should say why it cannot use %s', (_, record, reason) => {
      expect(readRecord('c', record)).toBe(reason);
    });
  });
});
