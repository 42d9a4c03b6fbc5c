import { Hub, type LockManagerLike } from '../../src/worker/hub.js';
import { createTestHub, settle, type TestHub } from '../helpers/wire.js';

/** The names of the Web Locks hubs hold for their lives. */
const HUB_LOCK_PREFIX = 'shared-channels:hub:';

const DEFAULT_WIRE_LIMITS = {
  maxMessage: 1024 * 1024 + 4096,
  maxBatch: 128 * 1024,
  maxPayload: 1024 * 1024,
  maxRequestsPerSecond: 100_000,
};

const RATE_ERROR =
  'request rate limit exceeded: more than 5 requests per second from this tab (limits.maxRequestsPerSecond)';

/**
 * A lock manager whose tab locks the test releases by hand, as the browser does when a tab dies. A hub's
 * life lock is free, so it is granted at once (unless `holdHubLocks`), and held until the promise its
 * callback returned settles.
 */
class FakeLocks implements LockManagerLike {
  readonly requested: string[] = [];
  readonly waiting = new Map<string, () => unknown>();
  /** Each granted hub lock's request, which settles when the hub lets the lock go. */
  readonly held = new Map<string, Promise<unknown>>();

  constructor(private readonly holdHubLocks = false) {}

  request(name: string, callback: () => unknown): Promise<unknown> {
    this.requested.push(name);
    if (name.startsWith(HUB_LOCK_PREFIX) && !this.holdHubLocks) {
      const request = new Promise((resolve) => resolve(callback()));
      this.held.set(name, request);
      return request;
    }
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
      // No lock is watched for it: the hub asked for its own only.
      expect(locks.requested).toEqual([`${HUB_LOCK_PREFIX}${testHub.hub.instanceId}`]);
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

  describe('life lock', () => {
    it('should hold a Web Lock for its life and name it in welcome, with its limits', async () => {
      const { instanceId } = testHub.hub;
      expect(instanceId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect([...locks.held.keys()]).toEqual([`${HUB_LOCK_PREFIX}${instanceId}`]);
      const tab = testHub.rawPort();
      tab.request({ type: 'hello', clientId: 'tab', requestId: 1, version: 1 });
      expect(await tab.waitFor(1)).toEqual([
        {
          type: 'welcome',
          requestId: 1,
          version: 1,
          instanceId,
          features: ['batch'],
          lock: `${HUB_LOCK_PREFIX}${instanceId}`,
          limits: DEFAULT_WIRE_LIMITS,
          startedAt: expect.any(Number) as number,
        },
      ]);
    });

    it('should hold every welcome back until its life lock is granted', async () => {
      const slow = new FakeLocks(true);
      const waiting = createTestHub({ locks: slow });
      try {
        const lock = `${HUB_LOCK_PREFIX}${waiting.hub.instanceId}`;
        const tab = waiting.rawPort();
        tab.request({ type: 'hello', clientId: 'tab', requestId: 1, version: 1 });
        tab.request({ type: 'ping', clientId: 'tab', requestId: 2 });
        const [pong] = await tab.waitFor(1);
        await settle();
        expect(pong).toEqual({ type: 'pong', requestId: 2, instanceId: waiting.hub.instanceId });
        expect(tab.received).toHaveLength(1);

        slow.grant(lock);
        const [, welcome] = await tab.waitFor(2);
        expect(welcome).toEqual(expect.objectContaining({ type: 'welcome', requestId: 1, lock }));
      } finally {
        waiting.close();
      }
    });

    it('should let its life lock go when closed', async () => {
      const hub = new Hub({ locks });
      const request = locks.held.get(`${HUB_LOCK_PREFIX}${hub.instanceId}`);
      expect(request).toBeDefined();
      let released = false;
      void request?.then(() => (released = true));
      await settle();
      expect(released).toBe(false);
      hub.close();
      await settle();
      expect(released).toBe(true);
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
    it("should keep the highest offered value and push it to subscribers, numbered by this hub's clock", async () => {
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
      await settle();
      // The channel had no value when subscribed: the ack carries no seq.
      expect(subscriber.received).toEqual([
        { type: 'subscribed', channel: 'doc', requestId: 1 },
        { type: 'data', channel: 'doc', data: 'seen at 4', seq: 1 },
        { type: 'data', channel: 'doc', data: 'seen at 9', seq: 2 },
      ]);
    });

    it("should ignore offers once a tab published on this hub, and number the publish by this hub's clock", async () => {
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
        seq: 2,
      });
    });

    it('should ignore offers once the channel was cleared on this hub, and number the clear', async () => {
      const tab = testHub.rawPort();
      tab.request({ type: 'clear', clientId: 't', channel: 'doc', requestId: 1 });
      tab.request({
        type: 'restore',
        clientId: 't',
        channel: 'doc',
        data: 'offered after the clear',
        seq: 5,
        requestId: 2,
      });
      tab.request({ type: 'get', clientId: 't', channel: 'doc', requestId: 3 });
      expect(await tab.waitFor(3)).toEqual([
        { type: 'cleared', channel: 'doc', requestId: 1, seq: 1 },
        { type: 'restored', channel: 'doc', requestId: 2 },
        { type: 'data', channel: 'doc', requestId: 3 },
      ]);
      expect(testHub.hub.get('doc')).toBeUndefined();
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
    let strict: TestHub;

    beforeEach(() => {
      // Time stands still, so the allowance never refills however slowly the ports deliver.
      jest.spyOn(Date, 'now').mockReturnValue(1_000_000);
      strict = createTestHub({ locks: null, limits: { maxRequestsPerSecond: 5 } });
    });

    afterEach(() => {
      strict.close();
      jest.restoreAllMocks();
    });

    it('should refuse requests over maxRequestsPerSecond with LimitError and serve the rest', async () => {
      const tab = strict.rawPort();
      for (let i = 1; i <= 7; i++) {
        tab.request({ type: 'publish', clientId: 't', channel: 'r', data: i, requestId: i });
      }
      const replies = await tab.waitFor(7);
      await settle();
      expect(replies.filter((r) => r.type === 'published')).toHaveLength(5);
      expect(replies.filter((r) => r.type === 'error')).toEqual([
        { type: 'error', name: 'LimitError', error: RATE_ERROR, requestId: 6, channel: 'r' },
        { type: 'error', name: 'LimitError', error: RATE_ERROR, requestId: 7, channel: 'r' },
      ]);
      expect(tab.received).toHaveLength(7);
      expect(strict.hub.get('r')).toBe(5);
    });

    it('should serve the first requests of a batch within the allowance and refuse the rest in one error', async () => {
      const tab = strict.rawPort();
      tab.send(
        JSON.stringify({
          type: 'batch',
          messages: Array.from({ length: 7 }, (_, index) => ({
            type: 'publish',
            clientId: 't',
            channel: 'r',
            data: index + 1,
            requestId: index + 1,
          })),
        }),
      );
      await tab.waitFor(6);
      await settle();
      expect(tab.received).toEqual([
        ...[1, 2, 3, 4, 5].map((requestId) => ({ type: 'published', channel: 'r', requestId })),
        { type: 'error', name: 'LimitError', error: RATE_ERROR, requestIds: [6, 7] },
      ]);
      expect(strict.hub.get('r')).toBe(5);
    });

    it('should still serve the handshake and the goodbye once the allowance is spent', async () => {
      const tab = strict.rawPort();
      for (let i = 1; i <= 5; i++) tab.request({ type: 'ping', clientId: 't', requestId: i });
      tab.request({ type: 'hello', clientId: 't', requestId: 6, version: 1 });
      tab.request({ type: 'ping', clientId: 't', requestId: 7 });
      await tab.waitFor(7);
      await settle();
      expect(tab.received.slice(5)).toEqual([
        {
          type: 'welcome',
          requestId: 6,
          version: 1,
          instanceId: strict.hub.instanceId,
          features: ['batch'],
          limits: { ...DEFAULT_WIRE_LIMITS, maxRequestsPerSecond: 5 },
          startedAt: expect.any(Number) as number,
        },
        { type: 'error', name: 'LimitError', error: RATE_ERROR, requestId: 7 },
      ]);
      expect(tab.received).toHaveLength(7);

      tab.request({ type: 'bye', clientId: 't' });
      await settle();
      expect(strict.hub.stats().clients).toBe(0);
    });
  });
});
