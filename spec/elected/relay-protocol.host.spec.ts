import { parseHostReady, parseHostRequest } from '../../src/elected/relay-protocol.js';

/** The messages between a leader and the dedicated worker it runs its hub in (relay-protocol.ts). */
describe('relay protocol: hosting in a worker', () => {
  describe('parseHostRequest()', () => {
    it('should read a request, dropping fields it does not know', () => {
      expect(
        parseHostRequest({ type: 'shared-channels:host', leader: 'L', scope: 'S', extra: 1 }),
      ).toStrictEqual({ type: 'shared-channels:host', leader: 'L', scope: 'S' });
    });

    it.each<[string, unknown]>([
      ['a string', 'shared-channels:host'],
      ['null', null],
      ['an array', [{ type: 'shared-channels:host', leader: 'L', scope: 'S' }]],
      ['a message of another type', { type: 'shared-channels:hosting', leader: 'L', scope: 'S' }],
      ['a request with no leader', { type: 'shared-channels:host', scope: 'S' }],
      ['a request with an empty leader', { type: 'shared-channels:host', leader: '', scope: 'S' }],
      [
        'a request whose leader is no string',
        { type: 'shared-channels:host', leader: 1, scope: 'S' },
      ],
      ['a request with no scope', { type: 'shared-channels:host', leader: 'L' }],
      ['a request with an empty scope', { type: 'shared-channels:host', leader: 'L', scope: '' }],
      [
        'a request whose scope is no string',
        { type: 'shared-channels:host', leader: 'L', scope: {} },
      ],
    ])('should refuse %s', (_, raw) => {
      expect(parseHostRequest(raw)).toBeUndefined();
    });
  });

  describe('parseHostReady()', () => {
    it("should read the answer for this leader, with the hub's life lock", () => {
      expect(
        parseHostReady(
          { type: 'shared-channels:hosting', leader: 'L', lock: 'hub-lock', extra: 1 },
          'L',
        ),
      ).toStrictEqual({ type: 'shared-channels:hosting', leader: 'L', lock: 'hub-lock' });
    });

    it('should read an answer without a lock', () => {
      expect(parseHostReady({ type: 'shared-channels:hosting', leader: 'L' }, 'L')).toStrictEqual({
        type: 'shared-channels:hosting',
        leader: 'L',
      });
    });

    it('should drop a lock that is no string', () => {
      expect(
        parseHostReady({ type: 'shared-channels:hosting', leader: 'L', lock: 42 }, 'L'),
      ).toStrictEqual({ type: 'shared-channels:hosting', leader: 'L' });
    });

    it.each<[string, unknown]>([
      ['an answer for another leader', { type: 'shared-channels:hosting', leader: 'M' }],
      ['an answer that names no leader', { type: 'shared-channels:hosting' }],
      ['a host request', { type: 'shared-channels:host', leader: 'L', scope: 'S' }],
      ['a string', 'shared-channels:hosting'],
      ['null', null],
      ['an array', [{ type: 'shared-channels:hosting', leader: 'L' }]],
    ])('should refuse %s', (_, raw) => {
      expect(parseHostReady(raw, 'L')).toBeUndefined();
    });
  });
});
