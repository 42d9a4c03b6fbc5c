import {
  isNewer,
  leaderInboxName,
  leaderLockName,
  newId,
  parseBusMessage,
  parseRelayedMessage,
  portInboxName,
  scopeName,
} from '../../src/elected/relay-protocol.js';

describe('relay protocol', () => {
  describe('scopeName()', () => {
    it('should name every channel and lock of a protocol version from one scope', () => {
      const scope = scopeName();
      expect(scope).toBe('shared-channels:v1');
      expect(leaderLockName(scope)).toBe('shared-channels:v1:leader');
      expect(leaderInboxName(scope, 'L')).toBe('shared-channels:v1:leader:L');
      expect(portInboxName(scope, 'P')).toBe('shared-channels:v1:port:P');
    });

    it('should give a named client a scope of its own', () => {
      expect(scopeName('prices')).toBe('shared-channels:v1:prices');
      expect(scopeName('')).toBe('shared-channels:v1');
    });
  });

  describe('newId()', () => {
    it('should not repeat', () => {
      const ids = new Set(Array.from({ length: 100 }, () => newId()));
      expect(ids.size).toBe(100);
    });
  });

  describe('isNewer()', () => {
    const leader = (id: string, term: number) => ({ type: 'leader' as const, leader: id, term });

    it('should order leaders by term, then by id', () => {
      expect(isNewer(leader('a', 2), undefined)).toBe(true);
      expect(isNewer(leader('a', 2), leader('z', 1))).toBe(true);
      expect(isNewer(leader('a', 1), leader('z', 2))).toBe(false);
      expect(isNewer(leader('b', 1), leader('a', 1))).toBe(true);
      expect(isNewer(leader('a', 1), leader('a', 1))).toBe(false);
    });
  });

  describe('parseBusMessage()', () => {
    it('should read announcements and queries', () => {
      expect(parseBusMessage({ type: 'query', extra: 1 })).toEqual({ type: 'query' });
      expect(parseBusMessage({ type: 'leader', leader: 'L', term: 5 })).toEqual({
        type: 'leader',
        leader: 'L',
        term: 5,
      });
    });

    it('should refuse anything else', () => {
      for (const raw of [
        null,
        'query',
        [],
        { type: 'leader', leader: '', term: 1 },
        { type: 'leader', leader: 'L', term: '1' },
        { type: 'leader', leader: 'L', term: Number.NaN },
        { type: 'leader', term: 1 },
        { type: 'other' },
      ]) {
        expect(parseBusMessage(raw)).toBeUndefined();
      }
    });
  });

  describe('parseRelayedMessage()', () => {
    it('should read a port message and its open mark', () => {
      expect(parseRelayedMessage({ port: 'p', data: '{}' })).toEqual({ port: 'p', data: '{}' });
      expect(parseRelayedMessage({ port: 'p', data: 'x', open: true })).toEqual({
        port: 'p',
        data: 'x',
        open: true,
      });
      expect(parseRelayedMessage({ port: 'p', data: 'x', open: 'yes' })).toEqual({
        port: 'p',
        data: 'x',
      });
    });

    it('should refuse a message without a port', () => {
      for (const raw of [undefined, 'p', { data: 'x' }, { port: '', data: 'x' }, { port: 1 }]) {
        expect(parseRelayedMessage(raw)).toBeUndefined();
      }
    });
  });
});
