import { MemoryPersistence } from '../../src/persistence/memory-persistence.js';
import { IndexedDbPersistence } from '../../src/persistence/indexed-db-persistence.js';
import { Hub, type HubOptions, type LockManagerLike } from '../../src/worker/hub.js';
import { databaseName, withEnvironment } from '../../src/worker/hub-environment.js';
import { maxMessageFor } from '../../src/worker/intake.js';
import { FakeEndpoint, endOfTask } from '../helpers/fake-endpoint.js';
import { FakeLockManager } from '../helpers/fake-locks.js';
import { freshIndexedDB } from '../helpers/indexed-db.js';
import { HeldPersistence } from '../helpers/held-persistence.js';
import { createTestHub, settle, type RawPort, type TestHub } from '../helpers/wire.js';

type Message = Record<string, unknown>;

/** A persistence whose load the test finishes by hand. */
class SlowLoad extends MemoryPersistence {
  finish: (stored: ReadonlyMap<string, string>) => void = () => undefined;

  override load(): Promise<ReadonlyMap<string, string>> {
    return new Promise((resolve) => (this.finish = resolve));
  }
}

/** A lock manager that grants a lock only when the test says so. */
class ManualLocks implements LockManagerLike {
  readonly asked: string[] = [];
  private readonly grants: Array<() => void> = [];

  request(name: string, callback: () => unknown): Promise<unknown> {
    this.asked.push(name);
    return new Promise((resolve, reject) => {
      this.grants.push(() => {
        Promise.resolve().then(callback).then(resolve, reject);
      });
    });
  }

  /** Grants the oldest request. */
  grant(): void {
    this.grants.shift()?.();
  }
}

let opened: TestHub[] = [];
let names = 0;

function hubWith(options: HubOptions = {}): TestHub {
  const created = createTestHub({ locks: null, ...options });
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

/** What came after the welcome: the replies a test compares. */
function afterWelcome(port: RawPort): Message[] {
  expect(port.received[0]).toMatchObject({ type: 'welcome' });
  return port.received.slice(1);
}

function hello(clientId: string, session?: string, extra: Message = {}): Message {
  return {
    type: 'hello',
    clientId,
    requestId: `hello-${clientId}`,
    version: 1,
    ...(session ? { session } : {}),
    ...extra,
  };
}

/** Lets promise chains (lock managers, writes) run to their end. */
async function microtasks(): Promise<void> {
  for (let round = 0; round < 10; round++) await endOfTask();
}

beforeEach(() => {
  opened = [];
});

afterEach(() => {
  for (const testHub of opened) testHub.close();
  jest.restoreAllMocks();
});

describe('Hub guarantees', () => {
  describe('a change sent again under the same session is applied at most once', () => {
    it('should answer a publish sent again on a new connection with its first outcome, and apply it once', async () => {
      const t = hubWith();
      const channel = fresh('once');
      const watcher = t.rawPort();
      watcher.request({ type: 'subscribe', clientId: 'watcher', channel, requestId: 1 });
      await exactly(watcher, 1);
      const first = t.rawPort();
      first.request(hello('tab-a', 'S'));
      first.request({ type: 'publish', clientId: 'tab-a', channel, requestId: 7, data: 'v' });
      await exactly(first, 2);
      expect(afterWelcome(first)).toEqual([{ type: 'published', channel, requestId: 7 }]);
      const second = t.rawPort();
      second.request(hello('tab-b', 'S'));
      second.request({ type: 'publish', clientId: 'tab-b', channel, requestId: 7, data: 'v' });
      await exactly(second, 2);
      expect(afterWelcome(second)).toEqual([{ type: 'published', channel, requestId: 7 }]);
      expect(t.hub.stats().published).toBe(1);
      expect(watcher.received).toEqual([
        { type: 'subscribed', channel, requestId: 1 },
        { type: 'data', channel, data: 'v', seq: 1 },
      ]);
    });

    it('should answer a clear sent again with its first outcome, and not clear what came after it', async () => {
      const t = hubWith();
      const channel = fresh('cleared-once');
      void t.hub.publish(channel, 'before');
      const first = t.rawPort();
      first.request(hello('tab-a', 'S'));
      first.request({ type: 'clear', clientId: 'tab-a', channel, requestId: 8 });
      await exactly(first, 2);
      expect(afterWelcome(first)).toEqual([{ type: 'cleared', channel, requestId: 8, seq: 2 }]);
      void t.hub.publish(channel, 'after');
      const second = t.rawPort();
      second.request(hello('tab-b', 'S'));
      second.request({ type: 'clear', clientId: 'tab-b', channel, requestId: 8 });
      await exactly(second, 2);
      expect(afterWelcome(second)).toEqual([{ type: 'cleared', channel, requestId: 8, seq: 2 }]);
      expect(t.hub.get(channel)).toBe('after');
    });

    it('should answer a restore sent again with its first outcome, even a refusal, and not apply it then', async () => {
      const t = hubWith({ limits: { maxChannels: 1 } });
      const channel = fresh('restored-once');
      void t.hub.publish('full', 1);
      const first = t.rawPort();
      first.request(hello('tab-a', 'S'));
      first.request({
        type: 'restore',
        clientId: 'tab-a',
        channel,
        requestId: 9,
        seq: 5,
        data: 'old',
      });
      await exactly(first, 2);
      const refusal = {
        type: 'error',
        name: 'LimitError',
        error: 'channel limit reached: the hub holds 1 channels (limits.maxChannels)',
        channel,
        requestId: 9,
      };
      expect(afterWelcome(first)).toEqual([refusal]);
      await t.hub.clear('full');
      const second = t.rawPort();
      second.request(hello('tab-b', 'S'));
      second.request({
        type: 'restore',
        clientId: 'tab-b',
        channel,
        requestId: 9,
        seq: 5,
        data: 'old',
      });
      await exactly(second, 2);
      expect(afterWelcome(second)).toEqual([refusal]);
      expect(t.hub.get(channel)).toBeUndefined();
    });

    it.each([
      ['publish', { data: 'v' }, { type: 'published' }],
      ['clear', {}, { type: 'cleared', seq: 1 }],
      ['restore', { data: 'old', seq: 5 }, { type: 'restored' }],
    ])(
      'should answer a %s sent again while the first is being saved once the first commits, on the new connection',
      async (type, fields, answer) => {
        const persistence = new HeldPersistence();
        const t = hubWith({ persist: true, persistence });
        await t.hub.ready;
        const channel = fresh(`saving-${type}`);
        const request = (clientId: string): Message => ({
          type,
          clientId,
          channel,
          requestId: 7,
          ...fields,
        });
        const first = t.rawPort();
        first.request(hello('tab-a', 'S'));
        first.request(request('tab-a'));
        await exactly(first, 1);
        await persistence.written(1);
        const second = t.rawPort();
        second.request(hello('tab-b', 'S'));
        second.request(request('tab-b'));
        await exactly(second, 1);
        expect(afterWelcome(second)).toEqual([]);
        persistence.release();
        await settle();
        expect(afterWelcome(second)).toEqual([{ ...answer, channel, requestId: 7 }]);
        expect(afterWelcome(first)).toEqual([]);
        expect(persistence.writes).toHaveLength(1);
        expect(t.hub.stats().published).toBe(type === 'publish' ? 1 : 0);
      },
    );

    it('should apply the same requestId under a different session', async () => {
      const t = hubWith();
      const channel = fresh('two-sessions');
      const one = t.rawPort();
      one.request(hello('tab-a', 'S'));
      one.request({ type: 'publish', clientId: 'tab-a', channel, requestId: 7, data: 'from S' });
      await exactly(one, 2);
      const other = t.rawPort();
      other.request(hello('tab-b', 'T'));
      other.request({ type: 'publish', clientId: 'tab-b', channel, requestId: 7, data: 'from T' });
      await exactly(other, 2);
      expect(afterWelcome(other)).toEqual([{ type: 'published', channel, requestId: 7 }]);
      expect(t.hub.stats().published).toBe(2);
      expect(t.hub.get(channel)).toBe('from T');
    });

    it('should apply every request of a client that announced no session, as the original protocol has it', async () => {
      const t = hubWith();
      const channel = fresh('no-session');
      const port = t.rawPort();
      port.request({ type: 'publish', clientId: 'tab-a', channel, requestId: 7, data: 1 });
      port.request({ type: 'publish', clientId: 'tab-a', channel, requestId: 7, data: 2 });
      expect(await exactly(port, 2)).toEqual([
        { type: 'published', channel, requestId: 7 },
        { type: 'published', channel, requestId: 7 },
      ]);
      expect(t.hub.stats().published).toBe(2);
      expect(t.hub.get(channel)).toBe(2);
    });

    it('should apply again a requestId the client said it settled', async () => {
      const t = hubWith();
      const channel = fresh('settled');
      const port = t.rawPort();
      port.request(hello('tab-a', 'S'));
      port.request({ type: 'publish', clientId: 'tab-a', channel, requestId: 7, data: 1 });
      await exactly(port, 2);
      port.request({
        type: 'batch',
        settled: 7,
        messages: [{ type: 'publish', clientId: 'tab-a', channel, requestId: 7, data: 2 }],
      });
      await exactly(port, 3);
      expect(afterWelcome(port)).toEqual([
        { type: 'published', channel, requestId: 7 },
        { type: 'published', channel, requestId: 7 },
      ]);
      expect(t.hub.get(channel)).toBe(2);
    });
  });

  describe('a publish sent again to a new hub is not applied twice when the old one applied it', () => {
    it('should answer a publish sent again whose value the tabs offered back, without applying it', async () => {
      const t = hubWith();
      const channel = fresh('again');
      const watcher = t.rawPort();
      watcher.request({ type: 'subscribe', clientId: 'w', channel, requestId: 1 });
      await exactly(watcher, 1);
      const port = t.rawPort();
      port.request({ type: 'restore', clientId: 'a', channel, requestId: 1, seq: 7, data: 'v' });
      port.request({
        type: 'publish',
        clientId: 'a',
        channel,
        requestId: 2,
        data: 'v',
        again: true,
      });
      expect(await exactly(port, 2)).toEqual([
        { type: 'restored', channel, requestId: 1 },
        { type: 'published', channel, requestId: 2 },
      ]);
      expect(t.hub.stats().published).toBe(0);
      expect((await exactly(watcher, 2)).filter(({ type }) => type === 'data')).toEqual([
        { type: 'data', channel, data: 'v', seq: 1 },
      ]);
    });

    it('should apply a publish sent again whose value differs from the offer, and one not sent again', async () => {
      const t = hubWith();
      const channel = fresh('again-news');
      const port = t.rawPort();
      port.request({ type: 'restore', clientId: 'a', channel, requestId: 1, seq: 7, data: 'v' });
      port.request({
        type: 'publish',
        clientId: 'a',
        channel,
        requestId: 2,
        data: 'w',
        again: true,
      });
      port.request({ type: 'publish', clientId: 'a', channel, requestId: 3, data: 'w' });
      await exactly(port, 3);
      expect(t.hub.stats().published).toBe(2);
      expect(t.hub.get(channel)).toBe('w');
    });
  });

  describe('the hub holds a Web Lock for its whole life', () => {
    it('should hold shared-channels:hub:<instanceId> and name it in every welcome', async () => {
      const locks = new FakeLockManager();
      const t = hubWith({ locks });
      const name = `shared-channels:hub:${t.hub.instanceId}`;
      const port = t.rawPort();
      port.request(hello('tab-a'));
      const [welcome] = await exactly(port, 1);
      expect(welcome).toMatchObject({ type: 'welcome', lock: name });
      expect(locks.isHeld(name)).toBe(true);
    });

    it('should let the lock go on close(), so a tab waiting for it learns at once', async () => {
      const locks = new FakeLockManager();
      const hub = new Hub({ locks });
      const name = `shared-channels:hub:${hub.instanceId}`;
      await microtasks();
      let learned = false;
      void locks.request(name, () => (learned = true));
      await microtasks();
      expect([locks.isHeld(name), learned]).toEqual([true, false]);
      hub.close();
      await microtasks();
      expect(learned).toBe(true);
      expect(locks.isHeld(name)).toBe(false);
    });

    it('should let the lock go as soon as it is granted when the hub closed before', async () => {
      const locks = new FakeLockManager();
      const hub = new Hub({ locks });
      hub.close();
      await microtasks();
      expect(locks.isHeld(`shared-channels:hub:${hub.instanceId}`)).toBe(false);
    });

    it('should name in no welcome the lock it let go on close()', async () => {
      const locks = new FakeLockManager();
      const hub = new Hub({ locks });
      const name = `shared-channels:hub:${hub.instanceId}`;
      await microtasks();
      hub.close();
      await microtasks();
      const late = new FakeEndpoint();
      hub.connect(late);
      late.deliver(JSON.stringify(hello('tab-late')));
      await microtasks();
      expect(locks.isHeld(name)).toBe(false);
      for (const message of late.take()) expect(message).not.toHaveProperty('lock', name);
    });

    it('should send a welcome only once the lock is granted, naming it', async () => {
      const locks = new ManualLocks();
      const hub = new Hub({ locks });
      const tab = new FakeEndpoint();
      hub.connect(tab);
      tab.deliver(JSON.stringify(hello('tab-a')));
      tab.deliver(JSON.stringify({ type: 'ping', clientId: 'tab-a', requestId: 2 }));
      await microtasks();
      expect(tab.take()).toEqual([{ type: 'pong', requestId: 2, instanceId: hub.instanceId }]);
      expect(locks.asked).toEqual([`shared-channels:hub:${hub.instanceId}`]);
      locks.grant();
      await microtasks();
      expect(tab.take()).toEqual([
        expect.objectContaining({
          type: 'welcome',
          requestId: 'hello-tab-a',
          lock: `shared-channels:hub:${hub.instanceId}`,
        }),
      ]);
    });

    it('should send the welcome without a lock when the lock manager refuses', async () => {
      const hub = new Hub({ locks: { request: () => Promise.reject(new Error('going away')) } });
      const tab = new FakeEndpoint();
      hub.connect(tab);
      await microtasks();
      tab.deliver(JSON.stringify(hello('tab-a')));
      await microtasks();
      const [welcome, ...rest] = tab.take();
      expect(rest).toEqual([]);
      expect(welcome).toMatchObject({ type: 'welcome', requestId: 'hello-tab-a' });
      expect(welcome).not.toHaveProperty('lock');
    });
  });

  describe('over the rate limit, only the requests over the allowance are refused, in one reply', () => {
    const rateError = {
      type: 'error',
      name: 'LimitError',
      error:
        'request rate limit exceeded: more than 50 requests per second from this tab (limits.maxRequestsPerSecond)',
    };
    let now: jest.SpyInstance<number, []>;
    let hub: Hub;
    let tab: FakeEndpoint;

    beforeEach(() => {
      now = jest.spyOn(Date, 'now').mockReturnValue(1_000_000);
      hub = new Hub({ locks: null, limits: { maxRequestsPerSecond: 50 } });
      tab = new FakeEndpoint();
      hub.connect(tab);
    });

    /** One message holding `count` subscribes, requestIds 1 to count, to channels c1 to c<count>. */
    const subscribes = (count: number): string =>
      JSON.stringify({
        type: 'batch',
        messages: Array.from({ length: count }, (_, index) => ({
          type: 'subscribe',
          clientId: 'tab-1',
          channel: `c${index + 1}`,
          requestId: index + 1,
        })),
      });

    const subscribed = (count: number): Message[] =>
      Array.from({ length: count }, (_, index) => ({
        type: 'subscribed',
        channel: `c${index + 1}`,
        requestId: index + 1,
      }));

    it('should serve 50 of 51 subscribes in one message and refuse the 51st by its requestId', async () => {
      tab.deliver(subscribes(51));
      await endOfTask();
      expect(tab.take()).toEqual([
        ...subscribed(50),
        { ...rateError, requestId: 51, channel: 'c51' },
      ]);
      expect(hub.stats().channels).toHaveLength(50);
    });

    it('should refuse the 10 over the allowance of 60 in one reply that lists their requestIds', async () => {
      tab.deliver(subscribes(60));
      await endOfTask();
      expect(tab.take()).toEqual([
        ...subscribed(50),
        { ...rateError, requestIds: [51, 52, 53, 54, 55, 56, 57, 58, 59, 60] },
      ]);
      expect(hub.stats().channels.map(({ channel }) => channel)).not.toContain('c51');
    });

    it('should serve the tab again once a second has refilled its allowance', async () => {
      tab.deliver(subscribes(50));
      tab.deliver(
        JSON.stringify({ type: 'get', clientId: 'tab-1', channel: 'g', requestId: 'late' }),
      );
      now.mockReturnValue(1_001_000);
      tab.deliver(subscribes(51));
      await endOfTask();
      const replies = tab.take();
      expect(replies[50]).toEqual({ ...rateError, requestId: 'late', channel: 'g' });
      expect(replies.slice(51)).toEqual([
        ...subscribed(50),
        { ...rateError, requestId: 51, channel: 'c51' },
      ]);
    });
  });

  describe('a message is bounded before it is parsed', () => {
    const maxPayload = 1000;
    const maxMessage = maxMessageFor(maxPayload);

    it('should tell the tab the largest message it reads in its welcome', async () => {
      const t = hubWith({ limits: { maxPayload } });
      const port = t.rawPort();
      port.request(hello('tab-a'));
      const [welcome] = await exactly(port, 1);
      expect(welcome).toMatchObject({
        limits: { maxMessage: 64 * 1024 + 4096, maxPayload, maxRequestsPerSecond: 100_000 },
      });
    });

    it('should read a message of exactly maxMessage characters and refuse one more, naming its requestId', async () => {
      const t = hubWith({ limits: { maxPayload } });
      const channel = fresh('bounded');
      const port = t.rawPort();
      const publish = (requestId: number, length: number): string => {
        const text = JSON.stringify({
          type: 'publish',
          clientId: 'tab-a',
          channel,
          requestId,
          data: 1,
        });
        return text + ' '.repeat(length - text.length);
      };
      port.send(publish(1, maxMessage));
      port.send(publish(2, maxMessage + 1));
      expect(await exactly(port, 2)).toEqual([
        { type: 'published', channel, requestId: 1 },
        {
          type: 'error',
          name: 'LimitError',
          error: `payload limit exceeded: message of ${maxMessage + 1} characters (the hub reads at most ${maxMessage}; limits.maxPayload)`,
          requestId: 2,
        },
      ]);
      expect(t.hub.stats().published).toBe(1);
    });

    it('should refuse a batch over maxMessage whole, naming no requestId', async () => {
      const t = hubWith({ limits: { maxPayload } });
      const channel = fresh('big-batch');
      const port = t.rawPort();
      const messages = Array.from({ length: 80 }, (_, index) => ({
        type: 'publish',
        clientId: 'tab-a',
        channel,
        requestId: index + 1,
        data: 'x'.repeat(900),
      }));
      const raw = JSON.stringify({ type: 'batch', messages });
      expect(raw.length).toBeGreaterThan(maxMessage);
      port.send(raw);
      const [refusal] = await exactly(port, 1);
      expect(refusal).toMatchObject({ type: 'error', name: 'LimitError' });
      expect(refusal).not.toHaveProperty('requestId');
      expect(t.hub.stats().published).toBe(0);
    });

    it('should accept each publish of 902 characters of JSON in a message of its own under maxPayload 1000', async () => {
      const t = hubWith({ limits: { maxPayload } });
      const channel = fresh('split');
      const port = t.rawPort();
      const data = 'x'.repeat(900);
      expect(JSON.stringify(data)).toHaveLength(902);
      for (let requestId = 1; requestId <= 25; requestId++) {
        port.request({ type: 'publish', clientId: 'tab-a', channel, requestId, data });
      }
      const replies = await exactly(port, 25);
      expect(replies).toEqual(
        Array.from({ length: 25 }, (_, index) => ({
          type: 'published',
          channel,
          requestId: index + 1,
        })),
      );
      expect(t.hub.stats().published).toBe(25);
    });

    it('should serve 25 publishes of 902 characters of JSON in one batch under maxPayload 1000', async () => {
      const t = hubWith({ limits: { maxPayload } });
      const channel = fresh('batched');
      const port = t.rawPort();
      const messages = Array.from({ length: 25 }, (_, index) => ({
        type: 'publish',
        clientId: 'tab-a',
        channel,
        requestId: index + 1,
        data: 'x'.repeat(900),
      }));
      const raw = JSON.stringify({ type: 'batch', messages });
      expect(raw.length).toBeGreaterThan(20 * maxPayload);
      expect(raw.length).toBeLessThanOrEqual(maxMessage);
      port.send(raw);
      const replies = await exactly(port, 25);
      expect(replies.map(({ type, requestId }) => [type, requestId])).toEqual(
        messages.map(({ requestId }) => ['published', requestId]),
      );
      expect(t.hub.stats().published).toBe(25);
    });
  });

  describe('one bad message costs the hub a bounded amount of work', () => {
    it('should refuse a batch over its batch limit unread, and read a lone request of the same size', async () => {
      const t = hubWith();
      const port = t.rawPort();
      const big = 'x'.repeat(300 * 1024);
      const parse = jest.spyOn(JSON, 'parse');
      const batch = JSON.stringify({
        type: 'batch',
        messages: [{ type: 'publish', clientId: 'a', channel: 'c', requestId: 1, data: big }],
      });
      port.send(batch);
      await port.waitFor(1);
      expect(parse.mock.calls.filter(([text]) => text === batch)).toEqual([]);
      parse.mockRestore();
      expect(port.received[0]).toMatchObject({ type: 'error', name: 'LimitError' });
      expect(port.received[0]).not.toHaveProperty('requestId');
      port.request({ type: 'publish', clientId: 'a', channel: 'c', requestId: 2, data: big });
      await port.waitFor(2);
      expect(port.received[1]).toEqual({ type: 'published', channel: 'c', requestId: 2 });
    });

    it('should refuse the rest of a message in one reply after 64 refusals in it', async () => {
      const t = hubWith();
      const port = t.rawPort();
      const items = Array.from({ length: 100 }, (_, n) => ({ type: 'nope', requestId: n }));
      port.send(JSON.stringify({ type: 'batch', messages: items }));
      await port.waitFor(65);
      await settle();
      expect(port.received).toHaveLength(65);
      expect(port.received.slice(0, 64).map(({ requestId }) => requestId)).toEqual(
        Array.from({ length: 64 }, (_, n) => n),
      );
      expect(port.received[64]).toEqual({
        type: 'error',
        name: 'ProtocolError',
        error:
          'more than 64 requests of this message were refused; the remaining 36 were refused unread',
        requestIds: Array.from({ length: 36 }, (_, n) => n + 64),
      });
    });

    it('should serve every valid request of a message, however many, with no refusal cap', async () => {
      const t = hubWith();
      const port = t.rawPort();
      const items = Array.from({ length: 200 }, (_, n) => ({
        type: 'publish',
        clientId: 'a',
        channel: 'many',
        requestId: n,
        data: n,
      }));
      port.send(JSON.stringify({ type: 'batch', messages: items }));
      await port.waitFor(200);
      expect(port.received.every(({ type }) => type === 'published')).toBe(true);
      expect(t.hub.get('many')).toBe(199);
    });
  });

  describe('a number JSON parses as Infinity is refused, not changed on the way', () => {
    it('should refuse the publish holding 1e400 with a TypeError and serve the rest of its batch', async () => {
      const t = hubWith();
      const a = fresh('infinite');
      const b = fresh('finite');
      const port = t.rawPort();
      port.send(
        '{"type":"batch","messages":[' +
          `{"type":"publish","clientId":"tab-a","channel":"${a}","requestId":1,"data":{"x":[1,1e400]}},` +
          `{"type":"publish","clientId":"tab-a","channel":"${b}","requestId":2,"data":2},` +
          `{"type":"publish","clientId":"tab-a","channel":"${b}","requestId":3,"data":"1e400"},` +
          `{"type":"get","clientId":"tab-a","channel":"${a}","requestId":4}]}`,
      );
      expect(await exactly(port, 4)).toEqual([
        {
          type: 'error',
          name: 'TypeError',
          error:
            'publish(): data must be a JSON value: it holds a number too large for JSON, which parses as Infinity',
          channel: a,
          requestId: 1,
        },
        { type: 'published', channel: b, requestId: 2 },
        { type: 'published', channel: b, requestId: 3 },
        { type: 'data', channel: a, requestId: 4 },
      ]);
      expect(t.hub.stats().published).toBe(2);
      expect(t.hub.get(a)).toBeUndefined();
      expect(t.hub.get(b)).toBe('1e400');
    });

    it('should refuse a lone publish or restore of -1e400 by its requestId', async () => {
      const t = hubWith();
      const channel = fresh('lone-infinite');
      const port = t.rawPort();
      port.send(
        `{"type":"publish","clientId":"tab-a","channel":"${channel}","requestId":1,"data":-1e400}`,
      );
      port.send(
        `{"type":"restore","clientId":"tab-a","channel":"${channel}","requestId":2,"seq":3,"data":-1e400}`,
      );
      const replies = await exactly(port, 2);
      expect(replies.map(({ type, name, requestId }) => [type, name, requestId])).toEqual([
        ['error', 'TypeError', 1],
        ['error', 'TypeError', 2],
      ]);
      expect(t.hub.stats().channels).toEqual([]);
    });
  });

  describe('while stored values load, worker-side calls wait their turn behind the messages that came first', () => {
    function loadingHub(): { hub: Hub; persistence: SlowLoad; tab: FakeEndpoint } {
      const persistence = new SlowLoad();
      const hub = new Hub({ persist: ['p'], persistence, locks: null });
      const tab = new FakeEndpoint();
      hub.connect(tab);
      tab.deliver(JSON.stringify(hello('tab-a', undefined, { features: ['cleared'] })));
      return { hub, persistence, tab };
    }

    const subscribe = (channel: string): string =>
      JSON.stringify({ type: 'subscribe', clientId: 'tab-a', channel, requestId: 's' });
    const publish = (channel: string, data: string): string =>
      JSON.stringify({ type: 'publish', clientId: 'tab-a', channel, requestId: 'p', data });

    it.each(['p', 'm'])(
      'should apply hub.publish() after a tab publish to %s that came before it',
      async (channel) => {
        const { hub, persistence, tab } = loadingHub();
        tab.deliver(subscribe(channel));
        tab.deliver(publish(channel, 'tab'));
        const published = hub.publish(channel, 'worker');
        persistence.finish(new Map());
        await hub.ready;
        await published;
        await settle();
        expect(hub.get(channel)).toBe('worker');
        expect(tab.take().slice(1)).toEqual([
          { type: 'subscribed', channel, requestId: 's' },
          { type: 'data', channel, data: 'tab', seq: 1 },
          { type: 'published', channel, requestId: 'p' },
          { type: 'data', channel, data: 'worker', seq: 2 },
        ]);
      },
    );

    it('should apply hub.publish() before a tab publish that came after it', async () => {
      const { hub, persistence, tab } = loadingHub();
      tab.deliver(subscribe('p'));
      const published = hub.publish('p', 'worker');
      tab.deliver(publish('p', 'tab'));
      persistence.finish(new Map());
      await published;
      await settle();
      expect(hub.get('p')).toBe('tab');
      expect(tab.take().filter(({ type }) => type === 'data')).toEqual([
        { type: 'data', channel: 'p', data: 'worker', seq: 1 },
        { type: 'data', channel: 'p', data: 'tab', seq: 2 },
      ]);
    });

    it.each(['p', 'm'])(
      'should apply hub.clear() of %s after a tab publish that came before it',
      async (channel) => {
        const { hub, persistence, tab } = loadingHub();
        tab.deliver(subscribe(channel));
        tab.deliver(publish(channel, 'tab'));
        const cleared = hub.clear(channel);
        persistence.finish(new Map());
        await cleared;
        await settle();
        expect(hub.get(channel)).toBeUndefined();
        expect(tab.take().slice(1)).toEqual([
          { type: 'subscribed', channel, requestId: 's' },
          { type: 'data', channel, data: 'tab', seq: 1 },
          { type: 'published', channel, requestId: 'p' },
          { type: 'cleared', channel, seq: 2 },
        ]);
      },
    );
  });

  describe('worker-side observers see news, not values offered back after a restart', () => {
    it('should not emit a value that came as a restore offer, and emit a later publish', async () => {
      const t = hubWith();
      const channel = fresh('observed');
      const early: unknown[] = [];
      const subscription = t.hub.channel(channel).subscribe((value) => early.push(value));
      const port = t.rawPort();
      port.request({
        type: 'restore',
        clientId: 'tab-a',
        channel,
        requestId: 1,
        seq: 3,
        data: 'old',
      });
      await exactly(port, 1);
      expect(t.hub.get(channel)).toBe('old');
      const late: unknown[] = [];
      const lateSubscription = t.hub.channel(channel).subscribe((value) => late.push(value));
      expect([early, late]).toEqual([[], []]);
      port.request({ type: 'publish', clientId: 'tab-a', channel, requestId: 2, data: 'new' });
      await exactly(port, 2);
      expect([early, late]).toEqual([['new'], ['new']]);
      subscription.unsubscribe();
      lateSubscription.unsubscribe();
    });
  });

  describe('hubs of one origin with different names keep apart on disk', () => {
    const global = globalThis as { indexedDB?: IDBFactory };
    let factory: IDBFactory;

    beforeEach(() => {
      factory = freshIndexedDB();
      global.indexedDB = factory;
      jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    });

    afterEach(() => {
      delete global.indexedDB;
    });

    it('should name the database after the hub', () => {
      expect(databaseName('a')).toBe('shared-channels:a');
      expect(databaseName(undefined)).toBe('shared-channels');
      expect(databaseName('')).toBe('shared-channels');
    });

    it("should keep a hub's values in shared-channels:<name>, never loaded by a hub of another name", async () => {
      const a = new Hub(withEnvironment({ persist: true, name: 'a', locks: null }));
      await a.ready;
      await a.publish('settings', 'A');
      expect((await factory.databases()).map(({ name }) => name)).toEqual(['shared-channels:a']);
      const b = new Hub(withEnvironment({ persist: true, name: 'b', locks: null }));
      await b.ready;
      expect(b.get('settings')).toBeUndefined();
      await b.publish('settings', 'B');
      const again = new Hub(withEnvironment({ persist: true, name: 'a', locks: null }));
      await again.ready;
      expect(again.get('settings')).toBe('A');
      const stored = new IndexedDbPersistence({ indexedDB: factory, name: 'shared-channels:b' });
      expect(await stored.load()).toEqual(new Map([['settings', '"B"']]));
      stored.close();
      expect((await factory.databases()).map(({ name }) => name).sort()).toEqual([
        'shared-channels:a',
        'shared-channels:b',
      ]);
      expect(console.warn).not.toHaveBeenCalled();
    });

    it('should keep an unnamed hub in shared-channels', async () => {
      const hub = new Hub(withEnvironment({ persist: true, locks: null }));
      await hub.ready;
      await hub.publish('settings', 1);
      expect((await factory.databases()).map(({ name }) => name)).toEqual(['shared-channels']);
    });
  });
});
