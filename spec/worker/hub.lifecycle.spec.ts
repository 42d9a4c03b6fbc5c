import { Hub, type LockManagerLike } from '../../src/worker/hub.js';
import { createTestHub, settle, type TestHub } from '../helpers/wire.js';

/** A lock manager whose locks the test releases by hand, as the browser does when a tab dies. */
class FakeLocks implements LockManagerLike {
  readonly waiting = new Map<string, () => unknown>();

  request(name: string, callback: () => unknown): Promise<unknown> {
    this.waiting.set(name, callback);
    return Promise.resolve();
  }

  /** The tab holding `name` died: the hub's request is granted. */
  grant(name: string): void {
    this.waiting.get(name)?.();
    this.waiting.delete(name);
  }
}

describe('Hub (lifecycle)', () => {
  let testHub: TestHub;
  let locks: FakeLocks;

  beforeEach(() => {
    locks = new FakeLocks();
    testHub = createTestHub({ locks });
  });

  afterEach(() => testHub.close());

  describe('liveness locks', () => {
    it('should forget a tab when the lock it announced is granted to the hub', async () => {
      const tab = testHub.rawPort();
      const other = testHub.client();
      tab.request({
        type: 'hello',
        clientId: 'tab',
        requestId: 1,
        version: 1,
        lock: 'lock-of-tab',
      });
      tab.request({ type: 'subscribe', clientId: 'tab', channel: 'c', requestId: 2 });
      await tab.waitFor(2);
      expect(locks.waiting.has('lock-of-tab')).toBe(true);
      expect(testHub.hub.stats().clients).toBe(2);

      locks.grant('lock-of-tab');
      expect(testHub.hub.stats().clients).toBe(1);
      expect(testHub.hub.stats().channels).toEqual([]);
      await other.publish('c', 'still served');
      expect(await other.get('c')).toBe('still served');
    });

    it('should never drop a port that speaks only the original protocol', async () => {
      const legacy = testHub.rawPort();
      legacy.request({ type: 'subscribe', clientId: 'old', channel: 'c', requestId: 1 });
      await legacy.waitFor(1);
      for (const name of [...locks.waiting.keys()]) locks.grant(name);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(testHub.hub.stats().clients).toBe(1);
      expect(testHub.hub.stats().channels).toEqual([
        expect.objectContaining({ channel: 'c', subscribers: 1 }),
      ]);
    });

    it('should refuse a hello whose lock is not a non-empty string', async () => {
      const tab = testHub.rawPort();
      tab.request({ type: 'hello', clientId: 'tab', requestId: 1, version: 1, lock: 5 });
      const [reply] = await tab.waitFor(1);
      expect(reply).toEqual(
        expect.objectContaining({
          type: 'error',
          name: 'ProtocolError',
          error: 'hello: lock must be a non-empty string, got 5 (number)',
          requestId: 1,
        }),
      );
    });
  });

  describe('ping', () => {
    it('should answer pong with its instanceId', async () => {
      const tab = testHub.rawPort();
      tab.request({ type: 'ping', clientId: 'tab', requestId: 7 });
      expect(await tab.waitFor(1)).toEqual([
        { type: 'pong', requestId: 7, instanceId: testHub.hub.instanceId },
      ]);
    });
  });

  describe('restore', () => {
    it('should keep the highest offered value and push it to subscribers', async () => {
      const subscriber = testHub.rawPort();
      subscriber.request({ type: 'subscribe', clientId: 's', channel: 'doc', requestId: 1 });
      await subscriber.waitFor(1);
      const a = testHub.rawPort();
      const b = testHub.rawPort();
      a.request({
        type: 'restore',
        clientId: 'a',
        channel: 'doc',
        data: 'seen at 4',
        seq: 4,
        requestId: 1,
      });
      await a.waitFor(1);
      b.request({
        type: 'restore',
        clientId: 'b',
        channel: 'doc',
        data: 'seen at 9',
        seq: 9,
        requestId: 1,
      });
      await b.waitFor(1);
      a.request({
        type: 'restore',
        clientId: 'a',
        channel: 'doc',
        data: 'seen at 6',
        seq: 6,
        requestId: 2,
      });
      await a.waitFor(2);
      expect(a.received[1]).toEqual({ type: 'restored', channel: 'doc', requestId: 2 });
      expect(testHub.hub.get('doc')).toBe('seen at 9');
      await subscriber.waitFor(3);
      expect(subscriber.received.slice(1)).toEqual([
        { type: 'data', channel: 'doc', data: 'seen at 4', seq: 4 },
        { type: 'data', channel: 'doc', data: 'seen at 9', seq: 9 },
      ]);
    });

    it('should ignore offers once a tab published on this hub, and continue the sequence', async () => {
      const client = testHub.client();
      const tab = testHub.rawPort();
      tab.request({
        type: 'restore',
        clientId: 't',
        channel: 'doc',
        data: 'offered',
        seq: 5,
        requestId: 1,
      });
      await tab.waitFor(1);
      await client.publish('doc', 'published');
      tab.request({
        type: 'restore',
        clientId: 't',
        channel: 'doc',
        data: 'late offer',
        seq: 50,
        requestId: 2,
      });
      await tab.waitFor(2);
      expect(testHub.hub.get('doc')).toBe('published');
      tab.request({ type: 'get', clientId: 't', channel: 'doc', requestId: 3 });
      const [, , reply] = await tab.waitFor(3);
      expect(reply).toEqual({
        type: 'data',
        channel: 'doc',
        data: 'published',
        requestId: 3,
        seq: 6,
      });
    });

    it('should refuse an offer without a positive integer seq', async () => {
      const tab = testHub.rawPort();
      tab.request({
        type: 'restore',
        clientId: 't',
        channel: 'doc',
        data: 1,
        seq: 0,
        requestId: 1,
      });
      const [reply] = await tab.waitFor(1);
      expect(reply).toEqual(
        expect.objectContaining({
          type: 'error',
          error: 'restore: seq must be a positive integer, got 0 (number)',
        }),
      );
      expect(testHub.hub.get('doc')).toBeUndefined();
    });
  });

  describe('instanceId', () => {
    it('should stamp every message to a client that said hello, and give each hub its own', async () => {
      const tab = testHub.rawPort();
      tab.request({ type: 'hello', clientId: 't', requestId: 1, version: 1, features: ['batch'] });
      await tab.waitFor(1);
      tab.request({ type: 'get', clientId: 't', channel: 'x', requestId: 2 });
      const [welcome, reply] = await tab.waitFor(2);
      expect(welcome?.instanceId).toBe(testHub.hub.instanceId);
      expect(reply).toEqual({
        type: 'data',
        channel: 'x',
        requestId: 2,
        instanceId: testHub.hub.instanceId,
      });
      expect(new Hub({ locks: null }).instanceId).not.toBe(testHub.hub.instanceId);
    });
  });

  describe('rate limit', () => {
    it('should refuse requests over maxRequestsPerSecond with LimitError and serve the rest', async () => {
      const strict = createTestHub({ locks: null, limits: { maxRequestsPerSecond: 5 } });
      try {
        const tab = strict.rawPort();
        for (let i = 1; i <= 7; i++) {
          tab.request({ type: 'publish', clientId: 't', channel: 'r', data: i, requestId: i });
        }
        const replies = await tab.waitFor(7);
        expect(replies.filter((r) => r.type === 'published')).toHaveLength(5);
        expect(replies.filter((r) => r.type === 'error')).toEqual([
          expect.objectContaining({ name: 'LimitError', requestId: 6 }),
          expect.objectContaining({ name: 'LimitError', requestId: 7 }),
        ]);
        expect(strict.hub.get('r')).toBe(5);
        await settle();
      } finally {
        strict.close();
      }
    });
  });
});
