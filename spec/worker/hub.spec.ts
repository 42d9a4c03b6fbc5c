import { LimitError } from '../../src/errors.js';
import { PROTOCOL_VERSION } from '../../src/protocol.js';
import { Connection } from '../../src/worker/connection.js';
import { Hub, type HubOptions } from '../../src/worker/hub.js';
import { FakeEndpoint, endOfTask } from '../helpers/fake-endpoint.js';
import { FakeLockManager } from '../helpers/fake-locks.js';
import { createTestHub, settle, type RawPort, type TestHub } from '../helpers/wire.js';
import { thrownBy } from '../helpers/thrown-by.js';

type Message = Record<string, unknown>;

let opened: TestHub[] = [];
let t: TestHub;
let names = 0;

/** A hub over real ports, closed after the test. */
function hubWith(options?: HubOptions): TestHub {
  const created = createTestHub(options);
  opened.push(created);
  return created;
}

/** A channel name no other test uses. */
function fresh(base: string): string {
  return `${base}-${++names}`;
}

/** Waits for `count` messages, lets anything else in flight arrive, and returns all of them. */
async function exactly(port: RawPort, count: number): Promise<Message[]> {
  await port.waitFor(count);
  await settle();
  return port.received;
}

/** What a test may compare before and after a request that must change nothing. */
function snapshot(hub: Hub): unknown {
  const { channels, clients, published, delivered } = hub.stats();
  return {
    channels,
    clients,
    published,
    delivered,
    values: channels.map(({ channel }) => [channel, JSON.stringify(hub.get(channel))]),
  };
}

beforeEach(() => {
  opened = [];
  t = hubWith();
});

afterEach(() => {
  for (const testHub of opened) testHub.close();
  jest.restoreAllMocks();
});

describe('Hub', () => {
  describe('a "subscribe" request', () => {
    it('should answer subscribed, then push the current value without a requestId', async () => {
      const channel = fresh('prices');
      void t.hub.publish(channel, { BTC: 45000 });
      const port = t.rawPort();
      port.request({ type: 'subscribe', clientId: 'tab-1', channel, requestId: 1 });
      expect(await exactly(port, 2)).toEqual([
        { type: 'subscribed', channel, requestId: 1, seq: 1 },
        { type: 'data', channel, data: { BTC: 45000 }, seq: 1 },
      ]);
    });

    it('should answer only subscribed for a channel with no value', async () => {
      const channel = fresh('empty');
      const port = t.rawPort();
      port.request({ type: 'subscribe', clientId: 'tab-1', channel, requestId: 'a' });
      expect(await exactly(port, 1)).toEqual([{ type: 'subscribed', channel, requestId: 'a' }]);
    });

    it('should push every later publish once, even to a port that subscribed twice', async () => {
      const channel = fresh('twice');
      const port = t.rawPort();
      port.request({ type: 'subscribe', clientId: 'tab-1', channel, requestId: 1 });
      port.request({ type: 'subscribe', clientId: 'tab-1', channel, requestId: 2 });
      await exactly(port, 2);
      void t.hub.publish(channel, 'v');
      expect(await exactly(port, 3)).toEqual([
        { type: 'subscribed', channel, requestId: 1 },
        { type: 'subscribed', channel, requestId: 2 },
        { type: 'data', channel, data: 'v', seq: 1 },
      ]);
      expect(t.hub.stats().channels).toEqual([
        { channel, subscribers: 1, published: 1, lastPublished: expect.any(Number) as number },
      ]);
    });
  });

  describe('a "publish" request', () => {
    it('should push the value to every subscriber, the publisher included, and ack the publisher', async () => {
      const channel = fresh('prices');
      const publisher = t.rawPort();
      const other = t.rawPort();
      const bystander = t.rawPort();
      publisher.request({ type: 'subscribe', clientId: 'tab-1', channel, requestId: 1 });
      other.request({ type: 'subscribe', clientId: 'tab-2', channel, requestId: 1 });
      await exactly(publisher, 1);
      await exactly(other, 1);
      publisher.request({
        type: 'publish',
        clientId: 'tab-1',
        channel,
        requestId: 2,
        data: [1, 2],
      });
      expect(await exactly(publisher, 3)).toEqual([
        { type: 'subscribed', channel, requestId: 1 },
        { type: 'data', channel, data: [1, 2], seq: 1 },
        { type: 'published', channel, requestId: 2 },
      ]);
      expect(await exactly(other, 2)).toEqual([
        { type: 'subscribed', channel, requestId: 1 },
        { type: 'data', channel, data: [1, 2], seq: 1 },
      ]);
      expect(bystander.received).toEqual([]);
      expect(t.hub.get(channel)).toEqual([1, 2]);
    });

    it('should ack a publish to a channel nobody subscribes to, and keep the value', async () => {
      const channel = fresh('lonely');
      const port = t.rawPort();
      port.request({ type: 'publish', clientId: 'tab-1', channel, requestId: 5, data: 'x' });
      expect(await exactly(port, 1)).toEqual([{ type: 'published', channel, requestId: 5 }]);
      expect(t.hub.get(channel)).toBe('x');
    });

    it("should number values from the hub's one clock, so each channel's numbers only grow", async () => {
      const a = fresh('a');
      const b = fresh('b');
      const port = t.rawPort();
      port.request({ type: 'subscribe', clientId: 'tab-1', channel: a, requestId: 1 });
      port.request({ type: 'subscribe', clientId: 'tab-1', channel: b, requestId: 2 });
      port.request({ type: 'publish', clientId: 'tab-1', channel: a, requestId: 3, data: 'a1' });
      port.request({ type: 'publish', clientId: 'tab-1', channel: a, requestId: 4, data: 'a2' });
      port.request({ type: 'publish', clientId: 'tab-1', channel: b, requestId: 5, data: 'b1' });
      const pushes = (await exactly(port, 8)).filter((message) => message.type === 'data');
      expect(pushes).toEqual([
        { type: 'data', channel: a, data: 'a1', seq: 1 },
        { type: 'data', channel: a, data: 'a2', seq: 2 },
        { type: 'data', channel: b, data: 'b1', seq: 3 },
      ]);
    });

    it('should keep null as a value', async () => {
      const channel = fresh('nullable');
      const port = t.rawPort();
      port.request({ type: 'publish', clientId: 'tab-1', channel, requestId: 1, data: null });
      port.request({ type: 'get', clientId: 'tab-1', channel, requestId: 2 });
      port.request({ type: 'subscribe', clientId: 'tab-1', channel, requestId: 3 });
      expect(await exactly(port, 4)).toEqual([
        { type: 'published', channel, requestId: 1 },
        { type: 'data', channel, data: null, requestId: 2, seq: 1 },
        { type: 'subscribed', channel, requestId: 3, seq: 1 },
        { type: 'data', channel, data: null, seq: 1 },
      ]);
      expect(t.hub.get(channel)).toBeNull();
    });

    it('should carry payload keys such as __proto__ as plain data and pollute nothing', async () => {
      const channel = fresh('hostile');
      const data = '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}';
      const port = t.rawPort();
      port.request({ type: 'subscribe', clientId: 'tab-1', channel, requestId: 1 });
      port.send(
        `{"type":"publish","clientId":"tab-1","channel":"${channel}","requestId":2,"data":${data}}`,
      );
      port.request({ type: 'get', clientId: 'tab-1', channel, requestId: 3 });
      const [, pushed, , got] = await exactly(port, 4);
      for (const message of [pushed, got]) {
        const value = message?.data as object;
        expect(Object.hasOwn(value, '__proto__')).toBe(true);
        expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
        expect(JSON.stringify(value)).toBe(data);
      }
      const stored = t.hub.get(channel) as object;
      expect(Object.hasOwn(stored, '__proto__')).toBe(true);
      expect(JSON.stringify(stored)).toBe(data);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.prototype).not.toHaveProperty('polluted');
    });
  });

  describe('a "get" request', () => {
    it('should answer data with the current value and the requestId', async () => {
      const channel = fresh('prices');
      void t.hub.publish(channel, { BTC: 1 });
      void t.hub.publish(channel, { BTC: 2 });
      const port = t.rawPort();
      port.request({ type: 'get', clientId: 'tab-1', channel, requestId: 'g' });
      expect(await exactly(port, 1)).toEqual([
        { type: 'data', channel, data: { BTC: 2 }, requestId: 'g', seq: 2 },
      ]);
    });

    it('should omit data for a channel that has no value, and not make the channel', async () => {
      const channel = fresh('nothing');
      const port = t.rawPort();
      port.request({ type: 'get', clientId: 'tab-1', channel, requestId: 1 });
      const [reply] = await exactly(port, 1);
      expect(reply).toStrictEqual({ type: 'data', channel, requestId: 1 });
      expect(reply).not.toHaveProperty('data');
      expect(t.hub.stats().channels).toEqual([]);
    });
  });

  describe('an "unsubscribe" request', () => {
    it('should answer unsubscribed and push nothing more', async () => {
      const channel = fresh('prices');
      const port = t.rawPort();
      port.request({ type: 'subscribe', clientId: 'tab-1', channel, requestId: 1 });
      port.request({ type: 'unsubscribe', clientId: 'tab-1', channel, requestId: 2 });
      await exactly(port, 2);
      void t.hub.publish(channel, 'after');
      await settle();
      expect(port.received).toEqual([
        { type: 'subscribed', channel, requestId: 1 },
        { type: 'unsubscribed', channel, requestId: 2 },
      ]);
      expect(t.hub.stats().delivered).toBe(0);
    });

    it('should answer unsubscribed for a channel the port never subscribed to', async () => {
      const channel = fresh('never');
      const port = t.rawPort();
      port.request({ type: 'unsubscribe', clientId: 'tab-1', channel, requestId: 1 });
      expect(await exactly(port, 1)).toEqual([{ type: 'unsubscribed', channel, requestId: 1 }]);
      expect(t.hub.stats().channels).toEqual([]);
    });

    it('should forget a channel with no value once its last subscriber leaves', async () => {
      const channel = fresh('churn');
      const port = t.rawPort();
      port.request({ type: 'subscribe', clientId: 'tab-1', channel, requestId: 1 });
      await exactly(port, 1);
      expect(t.hub.stats().channels).toHaveLength(1);
      port.request({ type: 'unsubscribe', clientId: 'tab-1', channel, requestId: 2 });
      await exactly(port, 2);
      expect(t.hub.stats().channels).toEqual([]);
    });

    it('should keep serving the other subscribers', async () => {
      const channel = fresh('shared');
      const leaving = t.rawPort();
      const staying = t.rawPort();
      leaving.request({ type: 'subscribe', clientId: 'tab-1', channel, requestId: 1 });
      staying.request({ type: 'subscribe', clientId: 'tab-2', channel, requestId: 1 });
      leaving.request({ type: 'unsubscribe', clientId: 'tab-1', channel, requestId: 2 });
      await exactly(leaving, 2);
      await exactly(staying, 1);
      void t.hub.publish(channel, 1);
      expect(await exactly(staying, 2)).toEqual([
        { type: 'subscribed', channel, requestId: 1 },
        { type: 'data', channel, data: 1, seq: 1 },
      ]);
      expect(leaving.received).toHaveLength(2);
    });
  });

  describe('channel names', () => {
    it.each(['__proto__', 'constructor', 'hasOwnProperty', 'toString'])(
      'should serve %p as an ordinary channel',
      async (channel) => {
        const port = t.rawPort();
        port.request({ type: 'get', clientId: 'tab-1', channel, requestId: 1 });
        port.request({ type: 'subscribe', clientId: 'tab-1', channel, requestId: 2 });
        port.request({ type: 'publish', clientId: 'tab-1', channel, requestId: 3, data: 'v' });
        port.request({ type: 'get', clientId: 'tab-1', channel, requestId: 4 });
        expect(await exactly(port, 5)).toEqual([
          { type: 'data', channel, requestId: 1 },
          { type: 'subscribed', channel, requestId: 2 },
          { type: 'data', channel, data: 'v', seq: 1 },
          { type: 'published', channel, requestId: 3 },
          { type: 'data', channel, data: 'v', requestId: 4, seq: 1 },
        ]);
        expect(t.hub.get(channel)).toBe('v');
        expect(t.hub.stats().channels).toEqual([
          { channel, subscribers: 1, published: 1, lastPublished: expect.any(Number) as number },
        ]);
      },
    );

    it('should keep __proto__, constructor and hasOwnProperty apart from each other', async () => {
      const port = t.rawPort();
      for (const [index, channel] of ['__proto__', 'constructor', 'hasOwnProperty'].entries()) {
        port.request({
          type: 'publish',
          clientId: 'tab-1',
          channel,
          requestId: index,
          data: index,
        });
      }
      await exactly(port, 3);
      expect([
        t.hub.get('__proto__'),
        t.hub.get('constructor'),
        t.hub.get('hasOwnProperty'),
      ]).toEqual([0, 1, 2]);
      expect(Object.prototype).not.toHaveProperty('value$');
      expect(({} as Record<string, unknown>).subscribers).toBeUndefined();
    });
  });

  describe('a "hello" request', () => {
    it("should answer welcome with the protocol version, the instanceId, the features and the hub's limits", async () => {
      const port = t.rawPort();
      port.request({ type: 'hello', clientId: 'tab-1', requestId: 1, version: PROTOCOL_VERSION });
      expect(await exactly(port, 1)).toEqual([
        {
          type: 'welcome',
          requestId: 1,
          version: 1,
          instanceId: t.hub.instanceId,
          features: ['batch'],
          limits: {
            maxMessage: 1024 * 1024 + 4096,
            maxBatch: 128 * 1024,
            maxPayload: 1024 * 1024,
            maxRequestsPerSecond: 100_000,
          },
          startedAt: expect.any(Number) as number,
        },
      ]);
    });

    it('should refuse another protocol version with a VersionMismatchError, and keep serving the port', async () => {
      const channel = fresh('after-mismatch');
      const port = t.rawPort();
      port.request({ type: 'hello', clientId: 'tab-1', requestId: 1, version: 2 });
      port.request({ type: 'get', clientId: 'tab-1', channel, requestId: 2 });
      expect(await exactly(port, 2)).toEqual([
        {
          type: 'error',
          name: 'VersionMismatchError',
          error:
            'the hub speaks protocol version 1, the tab speaks 2: serve the worker script under a URL ' +
            'named by version so each deploy gets its own worker',
          requestId: 1,
        },
        { type: 'data', channel, requestId: 2 },
      ]);
    });

    it('should send what leaves in one task as one batch envelope to a port that announced batch', async () => {
      const endpoint = new FakeEndpoint();
      t.hub.connect(endpoint);
      endpoint.deliver(
        JSON.stringify({
          type: 'hello',
          clientId: 'tab-1',
          requestId: 1,
          version: 1,
          features: ['batch'],
        }),
      );
      await endOfTask();
      endpoint.take();
      endpoint.deliver(
        '{"type":"batch","messages":[' +
          '{"type":"get","clientId":"tab-1","channel":"a","requestId":2},' +
          '{"type":"get","clientId":"tab-1","channel":"b","requestId":3}]}',
      );
      await endOfTask();
      expect(endpoint.posted).toEqual([
        `{"type":"batch","instanceId":"${t.hub.instanceId}","messages":[` +
          '{"type":"data","channel":"a","requestId":2},{"type":"data","channel":"b","requestId":3}]}',
      ]);
    });

    it('should send every message alone to a port whose hello did not announce batch', async () => {
      const endpoint = new FakeEndpoint();
      t.hub.connect(endpoint);
      endpoint.deliver(
        JSON.stringify({ type: 'hello', clientId: 'tab-1', requestId: 1, version: 1 }),
      );
      endpoint.deliver(
        JSON.stringify({ type: 'get', clientId: 'tab-1', channel: 'a', requestId: 2 }),
      );
      await endOfTask();
      expect(endpoint.posted).toHaveLength(2);
      expect(endpoint.take().map((message) => message.type)).toEqual(['welcome', 'data']);
    });
  });

  describe('a "hello" request naming a liveness lock', () => {
    const hello = (lock: string): string =>
      JSON.stringify({ type: 'hello', clientId: 'tab-1', requestId: 1, version: 1, lock });
    const subscribe = JSON.stringify({
      type: 'subscribe',
      clientId: 'tab-1',
      channel: 'a',
      requestId: 2,
    });

    /** Lets the lock manager's promise chains run. */
    async function locksSettle(): Promise<void> {
      for (let round = 0; round < 10; round++) await endOfTask();
    }

    it('should forget the tab once the lock it holds is released by its death', async () => {
      const locks = new FakeLockManager();
      const hub = new Hub({ locks });
      // The tab takes its lock for its whole life, before it says hello.
      void locks.request('tab-1-lock', () => new Promise(() => undefined));
      const tab = new FakeEndpoint();
      hub.connect(tab);
      tab.deliver(hello('tab-1-lock'));
      tab.deliver(subscribe);
      await locksSettle();
      expect(hub.stats()).toMatchObject({
        clients: 1,
        channels: [{ channel: 'a', subscribers: 1 }],
      });
      locks.crash('tab-1-lock');
      await locksSettle();
      expect(hub.stats()).toMatchObject({ clients: 0, channels: [] });
      const next = new FakeEndpoint();
      hub.connect(next);
      next.deliver(subscribe);
      await endOfTask();
      expect(next.take()).toEqual([{ type: 'subscribed', channel: 'a', requestId: 2 }]);
    });

    it('should keep a tab whose lock is still held', async () => {
      const locks = new FakeLockManager();
      const hub = new Hub({ locks });
      void locks.request('tab-1-lock', () => new Promise(() => undefined));
      const tab = new FakeEndpoint();
      hub.connect(tab);
      tab.deliver(hello('tab-1-lock'));
      await locksSettle();
      expect(locks.isHeld('tab-1-lock')).toBe(true);
      expect(hub.stats().clients).toBe(1);
    });

    it('should serve the tab as usual when lock watching is off', async () => {
      const hub = new Hub({ locks: null });
      const tab = new FakeEndpoint();
      hub.connect(tab);
      tab.deliver(hello('tab-1-lock'));
      await endOfTask();
      expect(tab.take()[0]).toMatchObject({ type: 'welcome', requestId: 1 });
      expect(hub.stats().clients).toBe(1);
    });

    it('should keep serving the tab when the lock manager refuses the request', async () => {
      const request = jest.fn(() => Promise.reject(new Error('context is going away')));
      const hub = new Hub({ locks: { request } });
      const tab = new FakeEndpoint();
      hub.connect(tab);
      tab.deliver(hello('tab-1-lock'));
      tab.deliver(subscribe);
      await locksSettle();
      expect(request).toHaveBeenCalledWith('tab-1-lock', expect.any(Function));
      // The welcome waited for the hub's own lock, refused too: it names none, and comes all the same.
      const replies = tab.take();
      expect(replies.map((message) => message.type).sort()).toEqual(['subscribed', 'welcome']);
      expect(replies.find((message) => message.type === 'welcome')).not.toHaveProperty('lock');
      expect(hub.stats().clients).toBe(1);
    });

    it('should refuse a lock that is not a non-empty string', async () => {
      const port = t.rawPort();
      port.request({ type: 'hello', clientId: 'tab-1', requestId: 1, version: 1, lock: 42 });
      expect(await exactly(port, 1)).toEqual([
        {
          type: 'error',
          name: 'ProtocolError',
          error: 'hello: lock must be a non-empty string, got 42 (number)',
          requestId: 1,
        },
      ]);
    });
  });

  describe('a "ping" request', () => {
    it('should answer pong with the requestId and the instanceId', async () => {
      const port = t.rawPort();
      port.request({ type: 'ping', clientId: 'tab-1', requestId: 'p-1' });
      expect(await exactly(port, 1)).toEqual([
        { type: 'pong', requestId: 'p-1', instanceId: t.hub.instanceId },
      ]);
    });
  });

  describe('a "restore" request', () => {
    const restore = (requestId: number, data: unknown, seq: number): Message => ({
      type: 'restore',
      clientId: 'tab-1',
      channel: 'kept',
      requestId,
      data,
      seq,
    });

    it("should give an empty channel the offered value, numbered by this hub's clock, and ack restored", async () => {
      const port = t.rawPort();
      const watcher = t.rawPort();
      watcher.request({ type: 'subscribe', clientId: 'tab-2', channel: 'kept', requestId: 1 });
      await exactly(watcher, 1);
      port.request(restore(1, { v: 'old' }, 41));
      port.request({ type: 'get', clientId: 'tab-1', channel: 'kept', requestId: 2 });
      expect(await exactly(port, 2)).toEqual([
        { type: 'restored', channel: 'kept', requestId: 1 },
        { type: 'data', channel: 'kept', data: { v: 'old' }, requestId: 2, seq: 1 },
      ]);
      expect(await exactly(watcher, 2)).toEqual([
        { type: 'subscribed', channel: 'kept', requestId: 1 },
        { type: 'data', channel: 'kept', data: { v: 'old' }, seq: 1 },
      ]);
    });

    it('should keep the offer with the highest sequence number', async () => {
      const port = t.rawPort();
      port.request(restore(1, 'seven', 7));
      port.request(restore(2, 'nine', 9));
      port.request(restore(3, 'eight', 8));
      port.request(restore(4, 'nine again', 9));
      expect(await exactly(port, 4)).toEqual(
        [1, 2, 3, 4].map((requestId) => ({ type: 'restored', channel: 'kept', requestId })),
      );
      expect(t.hub.get('kept')).toBe('nine');
    });

    it('should let a publish replace an offer, numbered after it, and ignore offers after that', async () => {
      const port = t.rawPort();
      port.request(restore(1, 'offered', 9));
      port.request({
        type: 'publish',
        clientId: 'tab-1',
        channel: 'kept',
        requestId: 2,
        data: 'new',
      });
      port.request(restore(3, 'late offer', 50));
      port.request({ type: 'get', clientId: 'tab-1', channel: 'kept', requestId: 4 });
      expect(await exactly(port, 4)).toEqual([
        { type: 'restored', channel: 'kept', requestId: 1 },
        { type: 'published', channel: 'kept', requestId: 2 },
        { type: 'restored', channel: 'kept', requestId: 3 },
        { type: 'data', channel: 'kept', data: 'new', requestId: 4, seq: 2 },
      ]);
    });

    it('should ignore an offer for a channel that has a value published at this hub', async () => {
      void t.hub.publish('kept', 'fresh');
      const port = t.rawPort();
      port.request(restore(1, 'stale', 99));
      await exactly(port, 1);
      expect(t.hub.get('kept')).toBe('fresh');
    });

    it('should refuse an offer over the limits with a LimitError and keep nothing', async () => {
      const testHub = hubWith({ limits: { maxPayload: 10, maxChannelName: 4 } });
      const port = testHub.rawPort();
      port.request(restore(1, 'x'.repeat(20), 3));
      port.request({ ...restore(2, 1, 3), channel: 'kept-too-long' });
      expect(await exactly(port, 2)).toEqual([
        {
          type: 'error',
          name: 'LimitError',
          error: 'payload limit exceeded: 22 characters of JSON (limits.maxPayload is 10)',
          channel: 'kept',
          requestId: 1,
        },
        {
          type: 'error',
          name: 'LimitError',
          error: 'channel name limit exceeded: 13 characters (limits.maxChannelName is 4)',
          channel: 'kept-too-long',
          requestId: 2,
        },
      ]);
      expect(testHub.hub.stats().channels).toEqual([]);
    });
  });

  describe('a "bye" request', () => {
    it('should drop the port at once, end its subscriptions, and answer nothing', async () => {
      const channel = fresh('prices');
      const leaving = t.rawPort();
      const staying = t.rawPort();
      leaving.request({ type: 'subscribe', clientId: 'tab-1', channel, requestId: 1 });
      staying.request({ type: 'subscribe', clientId: 'tab-2', channel, requestId: 1 });
      await exactly(leaving, 1);
      await exactly(staying, 1);
      expect(t.hub.stats().clients).toBe(2);
      expect(t.hub.stats().channels[0]?.subscribers).toBe(2);
      leaving.request({ type: 'bye', clientId: 'tab-1' });
      await settle();
      expect(t.hub.stats().clients).toBe(1);
      expect(t.hub.stats().channels[0]?.subscribers).toBe(1);
      staying.request({ type: 'publish', clientId: 'tab-2', channel, requestId: 2, data: 1 });
      leaving.request({ type: 'get', clientId: 'tab-1', channel, requestId: 3 });
      await exactly(staying, 3);
      expect(leaving.received).toEqual([{ type: 'subscribed', channel, requestId: 1 }]);
    });

    it('should free the clientId for another port', async () => {
      const first = t.rawPort();
      const second = t.rawPort();
      first.request({ type: 'get', clientId: 'tab-1', channel: 'a', requestId: 1 });
      await exactly(first, 1);
      first.request({ type: 'bye', clientId: 'tab-1' });
      await settle();
      second.request({ type: 'get', clientId: 'tab-1', channel: 'a', requestId: 2 });
      expect(await exactly(second, 1)).toEqual([{ type: 'data', channel: 'a', requestId: 2 }]);
    });

    it('should forget a channel with no value that only the leaving port subscribed to', async () => {
      const port = t.rawPort();
      port.request({ type: 'subscribe', clientId: 'tab-1', channel: fresh('gone'), requestId: 1 });
      await exactly(port, 1);
      port.request({ type: 'bye', clientId: 'tab-1' });
      await settle();
      expect(t.hub.stats().channels).toEqual([]);
    });

    it('should serve nothing more for a port after its bye, even later in the same batch', async () => {
      const channel = fresh('after-bye');
      const port = t.rawPort();
      port.send(
        JSON.stringify({
          type: 'batch',
          messages: [
            { type: 'bye', clientId: 'tab-1' },
            { type: 'subscribe', clientId: 'tab-1', channel, requestId: 1 },
          ],
        }),
      );
      await settle();
      expect(port.received).toEqual([]);
      expect(t.hub.stats().clients).toBe(0);
      expect(t.hub.stats().channels).toEqual([]);
    });
  });

  describe('a "stats" request', () => {
    it('should answer a snapshot of the hub with the requestId', async () => {
      const port = t.rawPort();
      void t.hub.publish('a', 1);
      port.request({ type: 'stats', clientId: 'tab-1', requestId: 9 });
      const [reply] = await exactly(port, 1);
      expect(reply).toEqual({
        type: 'stats',
        requestId: 9,
        data: {
          instanceId: t.hub.instanceId,
          clients: 1,
          channels: [
            {
              channel: 'a',
              subscribers: 0,
              published: 1,
              lastPublished: expect.any(Number) as number,
            },
          ],
          published: 1,
          delivered: 0,
          uptime: expect.any(Number) as number,
        },
      });
    });
  });

  describe('a "batch" message', () => {
    it('should handle each request in order, as if it came alone', async () => {
      const channel = fresh('batched');
      const port = t.rawPort();
      port.send(
        JSON.stringify({
          type: 'batch',
          messages: [
            { type: 'subscribe', clientId: 'tab-1', channel, requestId: 1 },
            { type: 'publish', clientId: 'tab-1', channel, requestId: 2, data: 'x' },
            { type: 'get', clientId: 'tab-1', channel, requestId: 3 },
          ],
        }),
      );
      expect(await exactly(port, 4)).toEqual([
        { type: 'subscribed', channel, requestId: 1 },
        { type: 'data', channel, data: 'x', seq: 1 },
        { type: 'published', channel, requestId: 2 },
        { type: 'data', channel, data: 'x', requestId: 3, seq: 1 },
      ]);
    });

    it('should answer each invalid request of a batch with its own error and serve the rest', async () => {
      const channel = fresh('mixed');
      const port = t.rawPort();
      port.send(
        JSON.stringify({
          type: 'batch',
          messages: [
            42,
            { type: 'publish', clientId: 'tab-1', channel, requestId: 1 },
            { type: 'publish', clientId: 'tab-1', channel, requestId: 2, data: 'ok' },
            { type: 'batch', messages: [] },
          ],
        }),
      );
      expect(await exactly(port, 4)).toEqual([
        {
          type: 'error',
          name: 'ProtocolError',
          error: 'message must be a JSON object, got 42 (number)',
        },
        {
          type: 'error',
          name: 'ProtocolError',
          error: 'publish: data is required',
          channel,
          requestId: 1,
        },
        { type: 'published', channel, requestId: 2 },
        { type: 'error', name: 'ProtocolError', error: 'unknown message type "batch" (string)' },
      ]);
      expect(t.hub.get(channel)).toBe('ok');
    });

    it('should serve a batch larger than twice the payload limit when each request is within it', async () => {
      const testHub = hubWith({ limits: { maxPayload: 1000 } });
      const channel = fresh('big-batch');
      const port = testHub.rawPort();
      const data = 'x'.repeat(900);
      const messages = Array.from({ length: 8 }, (_, index) => ({
        type: 'publish',
        clientId: 'tab-1',
        channel,
        requestId: index + 1,
        data: `${index}${data}`,
      }));
      port.send(JSON.stringify({ type: 'batch', messages }));
      await port.waitFor(1);
      await settle(20);
      expect(port.received).toEqual(
        messages.map(({ requestId }) => ({ type: 'published', channel, requestId })),
      );
      expect(testHub.hub.get(channel)).toBe(`7${data}`);
    });
  });

  describe('bad input', () => {
    const CASES: Array<[string, unknown, Message]> = [
      [
        'a message that is not a string',
        { type: 'get', clientId: 'bad', channel: 'shared', requestId: 1 },
        { error: 'message must be a JSON string, got an object' },
      ],
      ['a number', 42, { error: 'message must be a JSON string, got 42 (number)' }],
      ['invalid JSON', '{"type":"get",', { error: 'message is not valid JSON' }],
      ['an empty string', '', { error: 'message is not valid JSON' }],
      ['JSON that is a number', '42', { error: 'message must be a JSON object, got 42 (number)' }],
      ['JSON that is null', 'null', { error: 'message must be a JSON object, got null' }],
      [
        'JSON that is an array',
        '[{"type":"get"}]',
        { error: 'message must be a JSON object, got an array' },
      ],
      [
        'an unknown type',
        '{"type":"drop","clientId":"bad","channel":"shared","requestId":1}',
        { error: 'unknown message type "drop" (string)', channel: 'shared', requestId: 1 },
      ],
      [
        'a missing type',
        '{"clientId":"bad","channel":"shared","requestId":"r-2"}',
        { error: 'unknown message type undefined', channel: 'shared', requestId: 'r-2' },
      ],
      [
        'a missing channel',
        '{"type":"publish","clientId":"bad","requestId":3,"data":1}',
        { error: 'publish: channel must be a non-empty string, got undefined', requestId: 3 },
      ],
      [
        'an empty channel',
        '{"type":"subscribe","clientId":"bad","channel":"","requestId":4}',
        { error: 'subscribe: channel must be a non-empty string, got "" (string)', requestId: 4 },
      ],
      [
        'a channel that is not a string',
        '{"type":"get","clientId":"bad","channel":["shared"],"requestId":5}',
        { error: 'get: channel must be a non-empty string, got an array', requestId: 5 },
      ],
      [
        'an unsubscribe with a numeric channel',
        '{"type":"unsubscribe","clientId":"bad","channel":7,"requestId":6}',
        { error: 'unsubscribe: channel must be a non-empty string, got 7 (number)', requestId: 6 },
      ],
      [
        'a missing requestId',
        '{"type":"publish","clientId":"bad","channel":"shared","data":"evil"}',
        {
          error: 'publish: requestId must be a number or a string, got undefined',
          channel: 'shared',
        },
      ],
      [
        'a requestId that is an object',
        '{"type":"subscribe","clientId":"bad","channel":"shared","requestId":{"id":1}}',
        {
          error: 'subscribe: requestId must be a number or a string, got an object',
          channel: 'shared',
        },
      ],
      [
        'a missing clientId',
        '{"type":"publish","channel":"shared","requestId":7,"data":"evil"}',
        {
          error: 'publish: clientId must be a non-empty string, got undefined',
          channel: 'shared',
          requestId: 7,
        },
      ],
      [
        'a publish without data',
        '{"type":"publish","clientId":"bad","channel":"shared","requestId":8}',
        { error: 'publish: data is required', channel: 'shared', requestId: 8 },
      ],
      [
        'a hello without a numeric version',
        '{"type":"hello","clientId":"bad","requestId":9,"version":"1"}',
        { error: 'hello: version must be a number, got "1" (string)', requestId: 9 },
      ],
      [
        'a batch whose messages are not an array',
        '{"type":"batch","messages":{"0":{"type":"get"}}}',
        { error: 'unknown message type "batch" (string)' },
      ],
    ];

    it.each(CASES)(
      'should answer %s with an error to that port only, change nothing, and keep serving',
      async (_label, message, expected) => {
        const victim = t.rawPort();
        victim.request({ type: 'subscribe', clientId: 'good', channel: 'shared', requestId: 1 });
        victim.request({
          type: 'publish',
          clientId: 'good',
          channel: 'shared',
          requestId: 2,
          data: 'v',
        });
        await exactly(victim, 3);
        const attacker = t.rawPort();
        const before = snapshot(t.hub);
        attacker.send(message);
        expect(await exactly(attacker, 1)).toEqual([
          { type: 'error', name: 'ProtocolError', ...expected },
        ]);
        expect(snapshot(t.hub)).toEqual(before);
        expect(victim.received).toHaveLength(3);
        victim.request({ type: 'get', clientId: 'good', channel: 'shared', requestId: 3 });
        attacker.request({ type: 'get', clientId: 'other', channel: 'shared', requestId: 4 });
        expect((await exactly(victim, 4))[3]).toEqual({
          type: 'data',
          channel: 'shared',
          data: 'v',
          requestId: 3,
          seq: 1,
        });
        expect((await exactly(attacker, 2))[1]).toEqual({
          type: 'data',
          channel: 'shared',
          data: 'v',
          requestId: 4,
          seq: 1,
        });
      },
    );
  });

  describe('limits', () => {
    it('should refuse a value over the payload limit with a LimitError for that request only', async () => {
      const testHub = hubWith({ limits: { maxPayload: 10 } });
      const port = testHub.rawPort();
      port.request({
        type: 'publish',
        clientId: 'tab-1',
        channel: 'a',
        requestId: 1,
        data: '12345678',
      });
      port.request({
        type: 'publish',
        clientId: 'tab-1',
        channel: 'a',
        requestId: 2,
        data: 'x'.repeat(20),
      });
      expect(await exactly(port, 2)).toEqual([
        { type: 'published', channel: 'a', requestId: 1 },
        {
          type: 'error',
          name: 'LimitError',
          error: 'payload limit exceeded: 22 characters of JSON (limits.maxPayload is 10)',
          channel: 'a',
          requestId: 2,
        },
      ]);
      expect(testHub.hub.get('a')).toBe('12345678');
      expect(testHub.hub.stats().published).toBe(1);
    });

    it('should not make a channel for a value it refused', async () => {
      const testHub = hubWith({ limits: { maxPayload: 10 } });
      const port = testHub.rawPort();
      port.request({
        type: 'publish',
        clientId: 'tab-1',
        channel: 'new',
        requestId: 1,
        data: 'x'.repeat(20),
      });
      expect((await exactly(port, 1))[0]?.name).toBe('LimitError');
      expect(testHub.hub.stats().channels).toEqual([]);
    });

    it('should refuse a huge message before parsing it', async () => {
      const testHub = hubWith({ limits: { maxPayload: 10 } });
      const port = testHub.rawPort();
      const raw = JSON.stringify({
        type: 'publish',
        clientId: 'tab-1',
        channel: 'a',
        requestId: 1,
        data: 'x'.repeat(70_000),
      });
      const parse = jest.spyOn(JSON, 'parse');
      port.send(raw);
      await port.waitFor(1);
      const parsedByHub = parse.mock.calls.filter(([text]) => text === raw);
      parse.mockRestore();
      expect(parsedByHub).toEqual([]);
      expect(port.received).toEqual([
        {
          type: 'error',
          name: 'LimitError',
          error: `payload limit exceeded: message of ${raw.length} characters (the hub reads at most ${64 * 1024 + 4096}; limits.maxPayload)`,
          requestId: 1,
        },
      ]);
      expect(testHub.hub.stats().channels).toEqual([]);
    });

    it('should refuse a channel name over the limit for subscribe and publish', async () => {
      const testHub = hubWith({ limits: { maxChannelName: 5 } });
      const port = testHub.rawPort();
      port.request({ type: 'subscribe', clientId: 'tab-1', channel: 'abcdef', requestId: 1 });
      port.request({
        type: 'publish',
        clientId: 'tab-1',
        channel: 'abcdef',
        requestId: 2,
        data: 1,
      });
      port.request({ type: 'publish', clientId: 'tab-1', channel: 'abcde', requestId: 3, data: 1 });
      const error = {
        type: 'error',
        name: 'LimitError',
        error: 'channel name limit exceeded: 6 characters (limits.maxChannelName is 5)',
        channel: 'abcdef',
      };
      expect(await exactly(port, 3)).toEqual([
        { ...error, requestId: 1 },
        { ...error, requestId: 2 },
        { type: 'published', channel: 'abcde', requestId: 3 },
      ]);
      expect(testHub.hub.stats().channels.map(({ channel }) => channel)).toEqual(['abcde']);
    });

    it('should refuse a new channel beyond the channel limit, and serve the existing ones', async () => {
      const testHub = hubWith({ limits: { maxChannels: 2 } });
      const port = testHub.rawPort();
      port.request({ type: 'publish', clientId: 'tab-1', channel: 'a', requestId: 1, data: 1 });
      port.request({ type: 'publish', clientId: 'tab-1', channel: 'b', requestId: 2, data: 2 });
      port.request({ type: 'publish', clientId: 'tab-1', channel: 'c', requestId: 3, data: 3 });
      port.request({ type: 'subscribe', clientId: 'tab-1', channel: 'd', requestId: 4 });
      port.request({ type: 'publish', clientId: 'tab-1', channel: 'a', requestId: 5, data: 4 });
      const error = {
        type: 'error',
        name: 'LimitError',
        error: 'channel limit reached: the hub holds 2 channels (limits.maxChannels)',
      };
      expect(await exactly(port, 5)).toEqual([
        { type: 'published', channel: 'a', requestId: 1 },
        { type: 'published', channel: 'b', requestId: 2 },
        { ...error, channel: 'c', requestId: 3 },
        { ...error, channel: 'd', requestId: 4 },
        { type: 'published', channel: 'a', requestId: 5 },
      ]);
      expect(testHub.hub.stats().published).toBe(3);
      expect(testHub.hub.get('c')).toBeUndefined();
    });

    it('should refuse a subscription beyond the per-tab limit for that tab only', async () => {
      const testHub = hubWith({ limits: { maxSubscriptionsPerClient: 2 } });
      const port = testHub.rawPort();
      const other = testHub.rawPort();
      for (const [index, channel] of ['a', 'b', 'c', 'a'].entries()) {
        port.request({ type: 'subscribe', clientId: 'tab-1', channel, requestId: index });
      }
      other.request({ type: 'subscribe', clientId: 'tab-2', channel: 'c', requestId: 9 });
      expect(await exactly(port, 4)).toEqual([
        { type: 'subscribed', channel: 'a', requestId: 0 },
        { type: 'subscribed', channel: 'b', requestId: 1 },
        {
          type: 'error',
          name: 'LimitError',
          error:
            'subscription limit reached: this tab has 2 subscriptions (limits.maxSubscriptionsPerClient)',
          channel: 'c',
          requestId: 2,
        },
        { type: 'subscribed', channel: 'a', requestId: 3 },
      ]);
      expect(await exactly(other, 1)).toEqual([{ type: 'subscribed', channel: 'c', requestId: 9 }]);
      expect(testHub.hub.stats().channels).toEqual([
        { channel: 'a', subscribers: 1, published: 0, lastPublished: null },
        { channel: 'b', subscribers: 1, published: 0, lastPublished: null },
        { channel: 'c', subscribers: 1, published: 0, lastPublished: null },
      ]);
    });

    it('should not keep a channel it refused a subscription to', async () => {
      const testHub = hubWith({ limits: { maxSubscriptionsPerClient: 1 } });
      const port = testHub.rawPort();
      port.request({ type: 'subscribe', clientId: 'tab-1', channel: 'a', requestId: 1 });
      port.request({ type: 'subscribe', clientId: 'tab-1', channel: 'b', requestId: 2 });
      await exactly(port, 2);
      expect(testHub.hub.stats().channels.map(({ channel }) => channel)).toEqual(['a']);
    });

    describe('request rate', () => {
      const rateError = {
        type: 'error',
        name: 'LimitError',
        error:
          'request rate limit exceeded: more than 2 requests per second from this tab (limits.maxRequestsPerSecond)',
      };
      let now: jest.SpyInstance<number, []>;
      let hub: Hub;
      let tab: FakeEndpoint;
      let other: FakeEndpoint;

      beforeEach(() => {
        now = jest.spyOn(Date, 'now').mockReturnValue(50_000);
        hub = new Hub({ limits: { maxRequestsPerSecond: 2 } });
        tab = new FakeEndpoint();
        other = new FakeEndpoint();
        hub.connect(tab);
        hub.connect(other);
      });

      const get = (requestId: number): string =>
        JSON.stringify({ type: 'get', clientId: 'tab-1', channel: 'a', requestId });

      it('should refuse requests beyond the rate with a LimitError, for that tab only', async () => {
        tab.deliver(get(1));
        tab.deliver(get(2));
        tab.deliver(get(3));
        other.deliver(
          JSON.stringify({ type: 'get', clientId: 'tab-2', channel: 'a', requestId: 4 }),
        );
        await endOfTask();
        expect(tab.take()).toEqual([
          { type: 'data', channel: 'a', requestId: 1 },
          { type: 'data', channel: 'a', requestId: 2 },
          { ...rateError, channel: 'a', requestId: 3 },
        ]);
        expect(other.take()).toEqual([{ type: 'data', channel: 'a', requestId: 4 }]);
      });

      it('should serve the tab again once its allowance refills', async () => {
        tab.deliver(get(1));
        tab.deliver(get(2));
        tab.deliver(get(3));
        now.mockReturnValue(50_500);
        tab.deliver(get(4));
        tab.deliver(get(5));
        await endOfTask();
        expect(tab.take().map((message) => [message.type, message.requestId])).toEqual([
          ['data', 1],
          ['data', 2],
          ['error', 3],
          ['data', 4],
          ['error', 5],
        ]);
      });

      it('should serve the requests of a batch within the allowance, and refuse the rest in one reply', async () => {
        tab.deliver(
          JSON.stringify({
            type: 'batch',
            messages: [
              { type: 'publish', clientId: 'tab-1', channel: 'a', requestId: 1, data: 1 },
              { type: 'publish', clientId: 'tab-1', channel: 'b', requestId: 2, data: 2 },
              { type: 'subscribe', clientId: 'tab-1', channel: 'c', requestId: 3 },
            ],
          }),
        );
        await endOfTask();
        expect(tab.take()).toEqual([
          { type: 'published', channel: 'a', requestId: 1 },
          { type: 'published', channel: 'b', requestId: 2 },
          { ...rateError, channel: 'c', requestId: 3 },
        ]);
        expect(hub.get('a')).toBe(1);
        expect(hub.get('b')).toBe(2);
        expect(hub.stats().channels.map(({ channel }) => channel)).toEqual(['a', 'b']);
      });

      it('should answer a message over the rate that is not a request object with an error', async () => {
        tab.deliver(get(1));
        tab.deliver(get(2));
        expect(() => tab.deliver('null')).not.toThrow();
        expect(() => tab.deliver('{"type":"batch","messages":[null,7,"x",[]]}')).not.toThrow();
        await endOfTask();
        expect(tab.take().slice(2)).toEqual([rateError, rateError]);
      });
    });

    it('should never refuse a burst of 10,000 publishes in a row at the default limits', async () => {
      const hub = new Hub();
      const tab = new FakeEndpoint();
      hub.connect(tab);
      for (let requestId = 1; requestId <= 10_000; requestId++) {
        tab.deliver(
          `{"type":"publish","clientId":"tab-1","channel":"burst","requestId":${requestId},"data":${requestId}}`,
        );
      }
      await endOfTask();
      const replies = tab.take();
      expect(replies).toHaveLength(10_000);
      expect(replies.filter((message) => message.type !== 'published')).toEqual([]);
      expect(hub.get('burst')).toBe(10_000);
    });

    it('should refuse invalid limits with a TypeError when made', () => {
      expect(thrownBy(() => new Hub({ limits: { maxChannels: 0 } }))).toStrictEqual(
        new TypeError('new Hub(): limits.maxChannels must be a positive integer, got 0'),
      );
    });
  });

  describe('clientId', () => {
    it('should refuse a clientId that another port holds, and change nothing', async () => {
      const owner = t.rawPort();
      const intruder = t.rawPort();
      owner.request({ type: 'subscribe', clientId: 'tab-1', channel: 'a', requestId: 1 });
      await exactly(owner, 1);
      const before = snapshot(t.hub);
      intruder.request({
        type: 'publish',
        clientId: 'tab-1',
        channel: 'a',
        requestId: 2,
        data: 'x',
      });
      expect(await exactly(intruder, 1)).toEqual([
        {
          type: 'error',
          name: 'ProtocolError',
          error: 'clientId "tab-1" belongs to another port',
          channel: 'a',
          requestId: 2,
        },
      ]);
      expect(snapshot(t.hub)).toEqual(before);
      expect(owner.received).toHaveLength(1);
    });

    it('should not let another port say bye for a tab', async () => {
      const owner = t.rawPort();
      const intruder = t.rawPort();
      owner.request({ type: 'subscribe', clientId: 'tab-1', channel: 'a', requestId: 1 });
      await exactly(owner, 1);
      intruder.request({ type: 'bye', clientId: 'tab-1' });
      expect(await exactly(intruder, 1)).toEqual([
        { type: 'error', name: 'ProtocolError', error: 'clientId "tab-1" belongs to another port' },
      ]);
      expect(t.hub.stats().clients).toBe(2);
      expect(t.hub.stats().channels[0]?.subscribers).toBe(1);
    });

    it('should refuse a second clientId on a port that has one', async () => {
      const port = t.rawPort();
      port.request({ type: 'get', clientId: 'tab-1', channel: 'a', requestId: 1 });
      port.request({ type: 'get', clientId: 'tab-2', channel: 'a', requestId: 2 });
      expect(await exactly(port, 2)).toEqual([
        { type: 'data', channel: 'a', requestId: 1 },
        {
          type: 'error',
          name: 'ProtocolError',
          error: 'clientId "tab-2" is not this port\'s (it is "tab-1")',
          channel: 'a',
          requestId: 2,
        },
      ]);
    });

    it('should let a refused port go on with a clientId of its own', async () => {
      const owner = t.rawPort();
      const other = t.rawPort();
      owner.request({ type: 'get', clientId: 'tab-1', channel: 'a', requestId: 1 });
      await exactly(owner, 1);
      other.request({ type: 'get', clientId: 'tab-1', channel: 'a', requestId: 2 });
      other.request({ type: 'get', clientId: 'tab-2', channel: 'a', requestId: 3 });
      const replies = await exactly(other, 2);
      expect(replies.map((message) => message.type)).toEqual(['error', 'data']);
    });
  });

  describe('ordering', () => {
    it('should show every subscriber one identical order when two ports publish concurrently', async () => {
      const channel = fresh('race');
      const a = t.rawPort();
      const b = t.rawPort();
      const watcher = t.rawPort();
      for (const [port, clientId] of [
        [a, 'tab-a'],
        [b, 'tab-b'],
        [watcher, 'tab-w'],
      ] as const) {
        port.request({ type: 'subscribe', clientId, channel, requestId: 0 });
        await exactly(port, 1);
      }
      for (let index = 1; index <= 50; index++) {
        a.request({
          type: 'publish',
          clientId: 'tab-a',
          channel,
          requestId: index,
          data: `a${index}`,
        });
        b.request({
          type: 'publish',
          clientId: 'tab-b',
          channel,
          requestId: index,
          data: `b${index}`,
        });
      }
      const pushes = async (port: RawPort, total: number): Promise<unknown[]> =>
        (await exactly(port, total))
          .filter((message) => message.type === 'data')
          .map((message) => [message.data, message.seq]);
      const seenByA = await pushes(a, 151);
      const seenByB = await pushes(b, 151);
      const seenByWatcher = await pushes(watcher, 101);
      expect(seenByA).toHaveLength(100);
      expect(seenByB).toEqual(seenByA);
      expect(seenByWatcher).toEqual(seenByA);
      expect(seenByA.map((pair) => (pair as [string, number])[1])).toEqual(
        Array.from({ length: 100 }, (_, index) => index + 1),
      );
      const fromA = seenByA.map((pair) => (pair as [string])[0]).filter((v) => v.startsWith('a'));
      expect(fromA).toEqual(Array.from({ length: 50 }, (_, index) => `a${index + 1}`));
      expect(t.hub.get(channel)).toBe((seenByA[99] as [string])[0]);
    });
  });

  describe('.connect()', () => {
    it('should serve the port it is given and count it', async () => {
      const endpoint = new FakeEndpoint();
      const connection = t.hub.connect(endpoint);
      expect(connection).toBeInstanceOf(Connection);
      expect(endpoint.started).toBe(1);
      expect(t.hub.stats().clients).toBe(1);
      endpoint.deliver('{"type":"get","clientId":"tab-1","channel":"a","requestId":1}');
      await endOfTask();
      expect(endpoint.take()).toEqual([{ type: 'data', channel: 'a', requestId: 1 }]);
    });
  });

  describe('.disconnect()', () => {
    it('should end the port’s subscriptions, free its clientId and stop serving it', async () => {
      const endpoint = new FakeEndpoint();
      const connection = t.hub.connect(endpoint);
      endpoint.deliver('{"type":"subscribe","clientId":"tab-1","channel":"a","requestId":1}');
      void t.hub.publish('a', 1);
      t.hub.disconnect(connection);
      expect(t.hub.stats()).toMatchObject({
        clients: 0,
        channels: [{ channel: 'a', subscribers: 0, published: 1 }],
      });
      expect(endpoint.listeners.size).toBe(0);
      await endOfTask();
      expect(endpoint.posted).toEqual([]);
      const next = new FakeEndpoint();
      t.hub.connect(next);
      next.deliver('{"type":"get","clientId":"tab-1","channel":"a","requestId":2}');
      await endOfTask();
      expect(next.take()).toEqual([{ type: 'data', channel: 'a', data: 1, requestId: 2, seq: 1 }]);
    });

    it('should be safe to call twice', () => {
      const connection = t.hub.connect(new FakeEndpoint());
      t.hub.connect(new FakeEndpoint());
      t.hub.disconnect(connection);
      expect(() => t.hub.disconnect(connection)).not.toThrow();
      expect(t.hub.stats().clients).toBe(1);
    });
  });

  describe('.stats()', () => {
    it('should start empty', () => {
      expect(t.hub.stats()).toEqual({
        instanceId: t.hub.instanceId,
        clients: 0,
        channels: [],
        published: 0,
        delivered: 0,
        uptime: expect.any(Number) as number,
      });
    });

    it('should count tabs, channels, subscribers, values and deliveries', async () => {
      const now = jest.spyOn(Date, 'now').mockReturnValue(1_000);
      const testHub = hubWith();
      const a = testHub.rawPort();
      const b = testHub.rawPort();
      a.request({ type: 'subscribe', clientId: 'tab-a', channel: 'x', requestId: 1 });
      await exactly(a, 1);
      now.mockReturnValue(1_500);
      b.request({ type: 'publish', clientId: 'tab-b', channel: 'x', requestId: 2, data: 1 });
      b.request({ type: 'publish', clientId: 'tab-b', channel: 'x', requestId: 3, data: 2 });
      await exactly(b, 2);
      now.mockReturnValue(1_700);
      b.request({ type: 'publish', clientId: 'tab-b', channel: 'y', requestId: 4, data: 3 });
      b.request({ type: 'subscribe', clientId: 'tab-b', channel: 'x', requestId: 5 });
      await exactly(b, 5);
      now.mockReturnValue(2_000);
      expect(testHub.hub.stats()).toEqual({
        instanceId: testHub.hub.instanceId,
        clients: 2,
        channels: [
          { channel: 'x', subscribers: 2, published: 2, lastPublished: 1_500 },
          { channel: 'y', subscribers: 0, published: 1, lastPublished: 1_700 },
        ],
        published: 3,
        delivered: 3,
        uptime: 1_000,
      });
    });

    it('should give each hub its own instanceId', () => {
      const other = new Hub();
      expect(t.hub.instanceId).toMatch(/^[0-9a-f-]{36}$/);
      expect(other.instanceId).not.toBe(t.hub.instanceId);
    });
  });

  describe('.publish()', () => {
    it('should push the value to every subscribing port, as if a tab had published it', async () => {
      const channel = fresh('server');
      const port = t.rawPort();
      port.request({ type: 'subscribe', clientId: 'tab-1', channel, requestId: 1 });
      await exactly(port, 1);
      void t.hub.publish(channel, { from: 'worker' });
      expect(await exactly(port, 2)).toEqual([
        { type: 'subscribed', channel, requestId: 1 },
        { type: 'data', channel, data: { from: 'worker' }, seq: 1 },
      ]);
      expect(t.hub.stats().published).toBe(1);
    });

    it.each([
      ['undefined data', 'a', undefined, 'publish(): data must be a JSON value, got undefined'],
      ['a function', 'a', () => 1, 'publish(): data must be a JSON value, got a function'],
      [
        'a nested BigInt',
        'a',
        { n: BigInt(1) },
        'publish(): data must be a JSON value, got 1 (bigint) at data.n',
      ],
      ['an empty channel', '', 1, 'publish(): channel must be a non-empty string, got "" (string)'],
      [
        'a numeric channel',
        42,
        1,
        'publish(): channel must be a non-empty string, got 42 (number)',
      ],
    ])('should refuse %s with a TypeError and change nothing', (_label, channel, data, message) => {
      const before = snapshot(t.hub);
      expect(thrownBy(() => t.hub.publish(channel as string, data))).toStrictEqual(
        new TypeError(message),
      );
      expect(snapshot(t.hub)).toEqual(before);
    });

    it('should refuse a value or channel name over the limits with a LimitError', () => {
      const hub = new Hub({ limits: { maxPayload: 10, maxChannelName: 3 } });
      expect(thrownBy(() => hub.publish('abcd', 1))).toStrictEqual(
        new LimitError('channel name limit exceeded: 4 characters (limits.maxChannelName is 3)'),
      );
      expect(thrownBy(() => hub.publish('abc', 'x'.repeat(9)))).toStrictEqual(
        new LimitError('payload limit exceeded: 11 characters of JSON (limits.maxPayload is 10)'),
      );
      expect(hub.stats().channels).toEqual([]);
    });

    it('should serialise each pushed message once per publish, however many subscribers', () => {
      const stringifyCalls = (subscribers: number, publish: (hub: Hub) => void): number => {
        const hub = new Hub();
        for (let index = 0; index < subscribers; index++) {
          hub.receive(
            hub.connect(new FakeEndpoint()),
            JSON.stringify({
              type: 'subscribe',
              clientId: `tab-${index}`,
              channel: 'a',
              requestId: 1,
            }),
          );
        }
        const stringify = jest.spyOn(JSON, 'stringify');
        publish(hub);
        const calls = stringify.mock.calls.length;
        stringify.mockRestore();
        return calls;
      };
      const fromWorker = (hub: Hub): void => {
        void hub.publish('a', { deep: { value: [1, 2, 3] } });
      };
      expect(stringifyCalls(100, fromWorker)).toBe(stringifyCalls(1, fromWorker));
      const fromTab = (hub: Hub): void => {
        const publisher = hub.connect(new FakeEndpoint());
        hub.receive(
          publisher,
          '{"type":"publish","clientId":"p","channel":"a","requestId":1,"data":{"deep":[1,2,3]}}',
        );
      };
      expect(stringifyCalls(100, fromTab)).toBe(stringifyCalls(1, fromTab));
    });

    it('should post the same text to every subscriber', async () => {
      const endpoints = [new FakeEndpoint(), new FakeEndpoint(), new FakeEndpoint()];
      for (const [index, endpoint] of endpoints.entries()) {
        t.hub.connect(endpoint);
        endpoint.deliver(
          JSON.stringify({
            type: 'subscribe',
            clientId: `tab-${index}`,
            channel: 'a',
            requestId: 1,
          }),
        );
      }
      await endOfTask();
      for (const endpoint of endpoints) endpoint.take();
      void t.hub.publish('a', { v: 1 });
      await endOfTask();
      expect(endpoints.map((endpoint) => endpoint.posted)).toEqual([
        ['{"type":"data","channel":"a","data":{"v":1},"seq":1}'],
        ['{"type":"data","channel":"a","data":{"v":1},"seq":1}'],
        ['{"type":"data","channel":"a","data":{"v":1},"seq":1}'],
      ]);
    });
  });

  describe('.get()', () => {
    it('should return the current value, or undefined when the channel has none', () => {
      void t.hub.publish('a', { v: 1 });
      void t.hub.publish('n', null);
      expect(t.hub.get('a')).toEqual({ v: 1 });
      expect(t.hub.get('n')).toBeNull();
      expect(t.hub.get('none')).toBeUndefined();
      expect(t.hub.stats().channels.map(({ channel }) => channel)).toEqual(['a', 'n']);
    });

    it('should return a copy, so changing it changes nothing in the hub', () => {
      void t.hub.publish('a', { v: 1 });
      (t.hub.get('a') as { v: number }).v = 2;
      expect(t.hub.get('a')).toEqual({ v: 1 });
    });
  });

  describe('.channel()', () => {
    it('should emit the current value, then every value published by tabs or the worker', async () => {
      const channel = fresh('observed');
      void t.hub.publish(channel, 1);
      const seen: unknown[] = [];
      const subscription = t.hub.channel(channel).subscribe((value) => seen.push(value));
      expect(seen).toEqual([1]);
      void t.hub.publish(channel, null);
      expect(seen).toEqual([1, null]);
      const port = t.rawPort();
      port.request({ type: 'publish', clientId: 'tab-1', channel, requestId: 1, data: { v: 3 } });
      await exactly(port, 1);
      expect(seen).toEqual([1, null, { v: 3 }]);
      subscription.unsubscribe();
      void t.hub.publish(channel, 4);
      expect(seen).toEqual([1, null, { v: 3 }]);
    });

    it('should emit nothing until the channel has a value', () => {
      const channel = fresh('later');
      const seen: unknown[] = [];
      const subscription = t.hub.channel(channel).subscribe((value) => seen.push(value));
      expect(seen).toEqual([]);
      void t.hub.publish(channel, 'first');
      expect(seen).toEqual(['first']);
      subscription.unsubscribe();
    });

    it('should refuse an invalid channel name with a TypeError', () => {
      expect(thrownBy(() => t.hub.channel(''))).toStrictEqual(
        new TypeError('channel(): channel must be a non-empty string, got "" (string)'),
      );
    });

    it('should forget a channel with no value once its observer unsubscribes', () => {
      const channel = fresh('glance');
      t.hub.channel(channel).subscribe().unsubscribe();
      expect(t.hub.stats().channels).toEqual([]);
    });

    it('should push values published from inside an observer after the value that caused them', async () => {
      const channel = fresh('clamped');
      const port = t.rawPort();
      port.request({ type: 'subscribe', clientId: 'tab-1', channel, requestId: 1 });
      await exactly(port, 1);
      const subscription = t.hub.channel(channel).subscribe((value) => {
        if ((value as number) > 10) void t.hub.publish(channel, 10);
      });
      void t.hub.publish(channel, 50);
      expect(t.hub.get(channel)).toBe(10);
      expect((await exactly(port, 3)).slice(1)).toEqual([
        { type: 'data', channel, data: 50, seq: 1 },
        { type: 'data', channel, data: 10, seq: 2 },
      ]);
      subscription.unsubscribe();
    });
  });
});
