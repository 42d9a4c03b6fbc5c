import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { firstValueFrom, take, toArray } from 'rxjs';
import {
  DisconnectedError,
  LimitError,
  SharedWorkerClient,
  TimeoutError,
  VersionMismatchError,
  type ConnectionState,
} from '../../src/index.js';
import type { Endpoint } from '../../src/protocol.js';
import type { Hub } from '../../src/worker/hub.js';
import { FakeLockManager } from '../helpers/fake-locks.js';
import { createTestHub, settle, type TestHub } from '../helpers/wire.js';

/** The requests a client sent, in order, with batches unpacked. */
type Sent = Array<{ type: string; channel?: string }>;

/** Wires a client to the test hub through an endpoint that records what the client sends. */
function recordingClient(testHub: TestHub): {
  client: SharedWorkerClient;
  sent: Sent;
  posts: () => number;
} {
  const { port1, port2 } = new MessageChannel();
  testHub.hub.connect(port2 as unknown as Endpoint);
  const sent: Sent = [];
  let posts = 0;
  const endpoint: Endpoint = {
    postMessage(message) {
      posts++;
      const parsed = JSON.parse(message as string) as { type: string; messages?: Sent };
      if (parsed.type === 'batch') sent.push(...(parsed.messages ?? []));
      else sent.push(parsed);
      port1.postMessage(message);
    },
    addEventListener: (type, listener) => port1.addEventListener(type, listener as never),
    removeEventListener: (type, listener) => port1.removeEventListener(type, listener as never),
    start: () => port1.start(),
    close: () => port1.close(),
  };
  const client = new SharedWorkerClient(() => endpoint);
  cleanups.push(() => {
    client.disconnect();
    port1.close();
  });
  return { client, sent, posts: () => posts };
}

/** A port whose other end the test answers by hand (a hub that misbehaves, or none at all). */
function manualHub(): {
  client: SharedWorkerClient;
  hubPort: MessagePort;
  requests: Array<Record<string, unknown>>;
} {
  const { port1, port2 } = new MessageChannel();
  const requests: Array<Record<string, unknown>> = [];
  port2.on('message', (data: string) => {
    const message = JSON.parse(data) as Record<string, unknown>;
    if (message.type === 'batch') requests.push(...(message.messages as never[]));
    else requests.push(message);
  });
  const client = new SharedWorkerClient(() => port1 as unknown as Endpoint, { timeout: 200 });
  cleanups.push(() => {
    client.disconnect();
    port1.close();
    port2.close();
  });
  return { client, hubPort: port2, requests };
}

let testHub: TestHub;
let cleanups: Array<() => void>;

beforeEach(() => {
  testHub = createTestHub();
  cleanups = [];
});

afterEach(() => {
  for (const cleanup of cleanups) cleanup();
  testHub.close();
});

describe('SharedWorkerClient', () => {
  describe('.channel()', () => {
    it('should emit the current value to a subscriber that comes after the publish, then every update', async () => {
      const publisher = testHub.client();
      const late = testHub.client();
      await publisher.publish('prices', { BTC: 1 });
      const values: unknown[] = [];
      late.channel('prices').subscribe((value) => values.push(value));
      await settle();
      expect(values).toEqual([{ BTC: 1 }]);
      await publisher.publish('prices', { BTC: 2 });
      await settle();
      expect(values).toEqual([{ BTC: 1 }, { BTC: 2 }]);
    });

    it('should emit nothing until the channel has a value', async () => {
      const client = testHub.client();
      const values: unknown[] = [];
      client.channel('empty').subscribe((value) => values.push(value));
      await settle();
      expect(values).toEqual([]);
      await client.publish('empty', 'first');
      await settle();
      expect(values).toEqual(['first']);
    });

    it('should share one wire subscription among all local subscribers', async () => {
      const { client, sent } = recordingClient(testHub);
      const first: unknown[] = [];
      const second: unknown[] = [];
      const a = client.channel('shared').subscribe((value) => first.push(value));
      const b = client.channel('shared').subscribe((value) => second.push(value));
      await client.publish('shared', 1);
      await settle();
      expect(first).toEqual([1]);
      expect(second).toEqual([1]);
      a.unsubscribe();
      await settle();
      expect(sent.filter((m) => m.type === 'subscribe')).toHaveLength(1);
      expect(sent.filter((m) => m.type === 'unsubscribe')).toHaveLength(0);
      b.unsubscribe();
      await settle();
      expect(sent.filter((m) => m.type === 'unsubscribe')).toEqual([
        expect.objectContaining({ type: 'unsubscribe', channel: 'shared' }),
      ]);
      expect(testHub.hub.stats().channels.find((c) => c.channel === 'shared')?.subscribers).toBe(0);
    });

    it('should give a second local subscriber the current value at once, without a new request', async () => {
      const { client, sent } = recordingClient(testHub);
      client.channel('cached').subscribe();
      await client.publish('cached', 'now');
      await settle();
      const values: unknown[] = [];
      client.channel('cached').subscribe((value) => values.push(value));
      expect(values).toEqual(['now']);
      expect(sent.filter((m) => m.type === 'subscribe' || m.type === 'get')).toHaveLength(1);
    });

    it('should deliver no value after unsubscribe, even one already in flight', async () => {
      const subscriber = testHub.client();
      const publisher = testHub.client();
      const values: unknown[] = [];
      const subscription = subscriber.channel('race').subscribe((value) => values.push(value));
      await settle();
      void publisher.publish('race', 'in flight');
      await settle(1);
      subscription.unsubscribe();
      await settle();
      expect(values).toEqual([]);
      expect(testHub.hub.get('race')).toBe('in flight');
    });

    it('should emit the same value as get()', async () => {
      const client = testHub.client();
      await client.publish('same', { deep: [1, { two: 2 }] });
      expect(await firstValueFrom(client.channel('same'))).toEqual(await client.get('same'));
    });

    it('should show every tab the same order when two tabs publish concurrently', async () => {
      const a = testHub.client();
      const b = testHub.client();
      const seenByA: unknown[] = [];
      const seenByB: unknown[] = [];
      a.channel('order').subscribe((value) => seenByA.push(value));
      b.channel('order').subscribe((value) => seenByB.push(value));
      await settle();
      const publishes: Array<Promise<void>> = [];
      for (let i = 0; i < 100; i++) {
        publishes.push(a.publish('order', `a${i}`), b.publish('order', `b${i}`));
      }
      await Promise.all(publishes);
      await settle();
      expect(seenByA).toHaveLength(200);
      expect(seenByB).toEqual(seenByA);
      const last = seenByA[seenByA.length - 1];
      expect(await a.get('order')).toBe(last);
      expect(await b.get('order')).toBe(last);
    });

    it('should carry null as a value', async () => {
      const client = testHub.client();
      await client.publish('nothing', null);
      expect(await firstValueFrom(client.channel('nothing'))).toBeNull();
    });

    it('should error with LimitError when the hub refuses the subscription', async () => {
      const small = createTestHub({ limits: { maxSubscriptionsPerClient: 1 } });
      try {
        const client = small.client();
        client.channel('one').subscribe();
        const error: unknown = await firstValueFrom(client.channel('two')).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(LimitError);
        expect((error as Error).message).toContain('maxSubscriptionsPerClient');
      } finally {
        small.close();
      }
    });

    it('should refuse an invalid channel name with a TypeError that names the call', () => {
      const client = testHub.client();
      expect(() => client.channel('')).toThrow(
        new TypeError('channel(): channel must be a non-empty string, got "" (string)'),
      );
      expect(() => client.channel(42 as unknown as string)).toThrow(
        'channel(): channel must be a non-empty string, got 42 (number)',
      );
    });
  });

  describe('.subscribe()', () => {
    it('should call back with the current value and updates, and stop when the returned function is called', async () => {
      const client = testHub.client();
      await client.publish('cb', 1);
      const values: unknown[] = [];
      const stop = client.subscribe('cb', (value) => values.push(value));
      await settle();
      await client.publish('cb', 2);
      await settle();
      stop();
      await client.publish('cb', 3);
      await settle();
      expect(values).toEqual([1, 2]);
    });

    it('should refuse a callback that is not a function', () => {
      const client = testHub.client();
      expect(() => client.subscribe('cb', 'nope' as never)).toThrow(
        new TypeError('subscribe(): callback must be a function, got "nope" (string)'),
      );
    });
  });

  describe('.publish()', () => {
    it('should resolve once the hub has accepted the value', async () => {
      const client = testHub.client();
      await expect(client.publish('ack', 'v')).resolves.toBeUndefined();
      expect(testHub.hub.get('ack')).toBe('v');
    });

    it('should have delivered the value to its own tab by the time it resolves', async () => {
      const client = testHub.client();
      const values: unknown[] = [];
      client.channel('own').subscribe((value) => values.push(value));
      await client.publish('own', 'mine');
      expect(values).toEqual(['mine']);
    });

    it.each([
      ['undefined', undefined, 'publish(): data must be a JSON value, got undefined'],
      ['a function', () => 1, 'publish(): data must be a JSON value, got a function'],
      ['a symbol', Symbol('s'), 'publish(): data must be a JSON value, got a symbol'],
      ['a BigInt', 1n, 'publish(): data must be a JSON value, got 1 (bigint)'],
      ['NaN', NaN, 'publish(): data must be a JSON value, got NaN (number)'],
      [
        'a nested undefined',
        { a: undefined },
        'publish(): data must be a JSON value, got undefined at data.a',
      ],
    ])('should refuse %s with a TypeError before sending anything', async (_, data, message) => {
      const { client, sent } = recordingClient(testHub);
      expect(() => client.publish('bad', data as never)).toThrow(new TypeError(message));
      await settle();
      expect(sent.filter((m) => m.type === 'publish')).toEqual([]);
    });

    it('should refuse a cyclic object with a TypeError', () => {
      const client = testHub.client();
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      expect(() => client.publish('bad', cyclic)).toThrow(
        /^publish\(\): data must be a JSON value, got a circular reference at data\.self/,
      );
    });

    it('should reject a value over maxPayload with LimitError before sending it', async () => {
      const { client, sent } = recordingClient(testHub);
      const { client: small } = {
        client: new SharedWorkerClient(() => portTo(testHub.hub), { maxPayload: 10 }),
      };
      cleanups.push(() => small.disconnect());
      await expect(small.publish('big', 'x'.repeat(20))).rejects.toThrow(LimitError);
      await expect(small.publish('big', 'x'.repeat(20))).rejects.toThrow(
        'publish("big"): payload limit exceeded: 22 characters of JSON (maxPayload is 10)',
      );
      expect(testHub.hub.get('big')).toBeUndefined();
      await client.publish('fine', 1);
      expect(sent.filter((m) => m.type === 'publish')).toHaveLength(1);
    });

    it("should reject with a LimitError at the hub's own maxPayload, and keep the previous value", async () => {
      const strict = createTestHub({ limits: { maxPayload: 16 } });
      try {
        const client = strict.client();
        await client.publish('capped', 'small');
        const error = await client.publish('capped', 'y'.repeat(100)).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(LimitError);
        expect((error as Error).message).toBe(
          'publish("capped"): payload limit exceeded: 102 characters of JSON (maxPayload is 16)',
        );
        expect(await client.get('capped')).toBe('small');
      } finally {
        strict.close();
      }
    });

    it('should send a burst of publishes from one task as one message', async () => {
      const { client, posts } = recordingClient(testHub);
      await client.stats(); // the handshake is done: the hub accepts batches
      const before = posts();
      await Promise.all(Array.from({ length: 50 }, (_, i) => client.publish('burst', i)));
      expect(posts() - before).toBe(1);
      expect(testHub.hub.get('burst')).toBe(49);
    });
  });

  describe('.get()', () => {
    it('should resolve the current value', async () => {
      const client = testHub.client();
      await client.publish('g', [1, 2, 3]);
      expect(await client.get('g')).toEqual([1, 2, 3]);
    });

    it('should resolve undefined for a channel that has no value', async () => {
      const client = testHub.client();
      expect(await client.get('never-published')).toBeUndefined();
    });

    it('should treat __proto__ and constructor as ordinary channels and keys', async () => {
      const client = testHub.client();
      // An own "__proto__" key, as JSON.parse makes it (a literal's would set the prototype instead).
      await client.publish('__proto__', JSON.parse('{"__proto__":{"polluted":true}}') as object);
      expect(await client.get('__proto__')).toEqual(JSON.parse('{"__proto__":{"polluted":true}}'));
      await client.publish('constructor', 'c');
      expect(await client.get('constructor')).toBe('c');
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('should reject with TimeoutError naming the request when the hub never answers', async () => {
      const { client } = manualHub();
      const error: unknown = await client.get('silent').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TimeoutError);
      expect((error as Error).message).toBe(
        'get("silent") timed out after 200 ms: no reply from the hub',
      );
    });

    it('should take a per-call timeout', async () => {
      const { client } = manualHub();
      await expect(client.get('silent', { timeout: 20 })).rejects.toThrow(
        'get("silent") timed out after 20 ms',
      );
      expect(() => client.get('x', { timeout: -1 })).toThrow(
        new TypeError('get(): timeout must be a positive number of ms, got -1 (number)'),
      );
    });
  });

  describe('.unsubscribe()', () => {
    it('should complete every local subscription of the channel and leave others alone', async () => {
      const client = testHub.client();
      const completed: string[] = [];
      client.channel('gone').subscribe({ complete: () => completed.push('gone 1') });
      client.channel('gone').subscribe({ complete: () => completed.push('gone 2') });
      client.channel('kept').subscribe({ complete: () => completed.push('kept') });
      await settle();
      client.unsubscribe('gone');
      await settle();
      expect(completed).toEqual(['gone 1', 'gone 2']);
      const channels = testHub.hub.stats().channels;
      expect(channels.find((c) => c.channel === 'kept')?.subscribers).toBe(1);
      expect(channels.find((c) => c.channel === 'gone')).toBeUndefined();
    });
  });

  describe('.stats()', () => {
    it('should count tabs, channels and subscribers', async () => {
      const a = testHub.client();
      const b = testHub.client();
      a.channel('s').subscribe();
      b.channel('s').subscribe();
      await a.publish('s', 1);
      const stats = await b.stats();
      expect(stats.clients).toBe(2);
      expect(stats.channels).toEqual([
        { channel: 's', subscribers: 2, published: 1, lastPublished: expect.any(Number) as number },
      ]);
      expect(stats.published).toBe(1);
      expect(stats.delivered).toBe(2);
    });
  });

  describe('.disconnect()', () => {
    it('should complete channels, reject pending requests, free the tab at the hub, and fail later calls', async () => {
      const client = testHub.client();
      const other = testHub.client();
      let completed = false;
      client.channel('d').subscribe({ complete: () => (completed = true) });
      await settle();
      const pending = client.get('d');
      client.disconnect();
      expect(completed).toBe(true);
      await expect(pending).rejects.toThrow(
        new DisconnectedError('get("d") was cancelled: the client disconnected'),
      );
      expect(() => client.publish('d', 1)).toThrow(DisconnectedError);
      expect(() => client.get('d')).toThrow('get(): the client is disconnected');
      expect(() => client.channel('d')).toThrow(DisconnectedError);
      expect(() => client.unsubscribe('d')).toThrow(DisconnectedError);
      expect(() => client.disconnect()).not.toThrow();
      const stats = await other.stats();
      expect(stats.clients).toBe(1);
      expect(stats.channels.find((c) => c.channel === 'd')).toBeUndefined();
    });

    it('should still send what was published right before it', async () => {
      const client = testHub.client();
      void client.publish('last-words', 'bye');
      client.disconnect();
      await settle();
      expect(testHub.hub.get('last-words')).toBe('bye');
    });

    it('should say goodbye when the page is hidden for good, and not when it may come back', async () => {
      const client = testHub.client();
      await client.stats();
      const bfcached = new Event('pagehide');
      Object.assign(bfcached, { persisted: true });
      window.dispatchEvent(bfcached);
      await settle();
      expect(testHub.hub.stats().clients).toBe(1);
      window.dispatchEvent(new Event('pagehide'));
      const states: ConnectionState[] = [];
      client.connectionState$.subscribe((state) => states.push(state));
      expect(states).toEqual(['closed']);
      await settle();
      expect(testHub.hub.stats().clients).toBe(0);
    });
  });

  describe('.connectionState$', () => {
    it('should go from connecting to open to closed', async () => {
      const client = testHub.client();
      const states = firstValueFrom(client.connectionState$.pipe(take(3), toArray()));
      await client.stats();
      client.disconnect();
      expect(await states).toEqual(['connecting', 'open', 'closed']);
    });
  });

  describe('handshake', () => {
    it('should fail with VersionMismatchError when the hub speaks another version', async () => {
      const { client, hubPort, requests } = manualHub();
      const pending = client.get('v');
      await settle();
      const hello = requests.find((r) => r.type === 'hello');
      hubPort.postMessage(
        JSON.stringify({
          type: 'error',
          name: 'VersionMismatchError',
          error: 'the hub speaks protocol version 2, the tab speaks 1',
          requestId: hello?.requestId,
        }),
      );
      await expect(pending).rejects.toThrow(VersionMismatchError);
      expect(() => client.publish('v', 1)).toThrow(
        'publish(): the hub speaks protocol version 2, the tab speaks 1',
      );
    });

    it('should keep serving through a hub that predates the handshake', async () => {
      const { client, hubPort, requests } = manualHub();
      const states: ConnectionState[] = [];
      client.connectionState$.subscribe((state) => states.push(state));
      const value = client.get('legacy');
      await settle();
      const [hello, get] = requests;
      hubPort.postMessage(
        JSON.stringify({
          type: 'error',
          error: 'unknown message type',
          requestId: hello?.requestId,
        }),
      );
      hubPort.postMessage(
        JSON.stringify({ type: 'data', channel: 'legacy', data: 7, requestId: get?.requestId }),
      );
      expect(await value).toBe(7);
      expect(states).toEqual(['connecting', 'open']);
    });
  });

  describe('constructor', () => {
    it('should refuse a worker argument that is none of the accepted forms', () => {
      expect(() => new SharedWorkerClient(42 as never)).toThrow(
        new TypeError(
          'SharedWorkerClient: worker must be a script URL, a SharedWorker or a factory returning one, got 42 (number)',
        ),
      );
    });

    it('should say so when SharedWorker is required where it does not exist', () => {
      expect(() => new SharedWorkerClient('/worker.js', { transport: 'shared-worker' })).toThrow(
        'SharedWorkerClient: SharedWorker is not available in this environment',
      );
    });

    it('should open a SharedWorker with the given URL and name', async () => {
      const made: Array<{ url: unknown; options: unknown }> = [];
      const hub = testHub.hub;
      class FakeSharedWorker {
        readonly port: Endpoint;
        constructor(url: unknown, options: unknown) {
          made.push({ url, options });
          this.port = portTo(hub);
        }
      }
      Object.assign(globalThis, { SharedWorker: FakeSharedWorker });
      try {
        const client = new SharedWorkerClient('/channels.js', { name: 'channels' });
        cleanups.push(() => client.disconnect());
        await client.publish('via-url', 1);
        expect(made).toEqual([{ url: '/channels.js', options: { name: 'channels' } }]);
        const fromWorker = new SharedWorkerClient(new FakeSharedWorker('/w.js', undefined));
        cleanups.push(() => fromWorker.disconnect());
        expect(await fromWorker.get('via-url')).toBe(1);
      } finally {
        delete (globalThis as { SharedWorker?: unknown }).SharedWorker;
      }
    });
  });
});

const extraPorts: MessagePort[] = [];
afterAll(() => {
  for (const port of extraPorts) port.close();
});

/** A fresh port served by `hub`. */
function portTo(hub: Hub): Endpoint {
  const { port1, port2 } = new MessageChannel();
  extraPorts.push(port1, port2);
  hub.connect(port2 as unknown as Endpoint);
  return port1 as unknown as Endpoint;
}

describe('SharedWorkerClient (liveness lock)', () => {
  let locks: FakeLockManager;
  let lockedHub: TestHub;

  beforeEach(() => {
    locks = new FakeLockManager();
    Object.defineProperty(navigator, 'locks', { value: locks, configurable: true });
    lockedHub = createTestHub({ locks });
  });

  afterEach(() => {
    lockedHub.close();
    delete (navigator as { locks?: unknown }).locks;
  });

  it('should hold a lock named for its clientId while connected, and release it on disconnect', async () => {
    const client = lockedHub.client();
    await client.stats();
    const lock = `shared-channels:${client.clientId}`;
    expect(locks.isHeld(lock)).toBe(true);
    client.disconnect();
    await settle();
    expect(locks.isHeld(lock)).toBe(false);
    expect(lockedHub.hub.stats().clients).toBe(0);
  });

  it('should be forgotten by the hub when its context dies, without a word from the tab', async () => {
    const dying = lockedHub.client();
    const other = lockedHub.client();
    dying.channel('c').subscribe();
    other.channel('c').subscribe();
    await dying.stats();
    expect(lockedHub.hub.stats().clients).toBe(2);
    locks.crash(`shared-channels:${dying.clientId}`);
    await settle();
    const stats = await other.stats();
    expect(stats.clients).toBe(1);
    expect(stats.channels).toEqual([expect.objectContaining({ channel: 'c', subscribers: 1 })]);
  });
});

describe('SharedWorkerClient (conflate)', () => {
  let conflateHub: TestHub;
  beforeEach(() => (conflateHub = createTestHub()));
  afterEach(() => conflateHub.close());

  it('should deliver only the newest of the values that arrive together, and every value without it', async () => {
    const publisher = conflateHub.client();
    const reader = conflateHub.client();
    const conflated: unknown[] = [];
    const every: unknown[] = [];
    reader.channel('ticks', { conflate: true }).subscribe((v) => conflated.push(v));
    reader.channel('ticks').subscribe((v) => every.push(v));
    await reader.stats();
    await publisher.stats();
    await Promise.all([1, 2, 3, 4, 5].map((i) => publisher.publish('ticks', i)));
    await settle();
    expect(every).toEqual([1, 2, 3, 4, 5]);
    expect(conflated).toEqual([5]);
    await publisher.publish('ticks', 6);
    await settle();
    expect(conflated).toEqual([5, 6]);
  });

  it('should hand over the newest value before completing', async () => {
    const publisher = conflateHub.client();
    const reader = conflateHub.client();
    const seen: unknown[] = [];
    reader.channel('c', { conflate: true }).subscribe({
      next: (v) => seen.push(v),
      complete: () => seen.push('complete'),
    });
    // Ends the channel while the conflated value is still queued: in the same task as the values.
    reader.channel('c').subscribe((v) => v === 3 && reader.unsubscribe('c'));
    await reader.stats();
    await publisher.stats();
    await Promise.all([1, 2, 3].map((i) => publisher.publish('c', i)));
    await settle();
    expect(seen).toEqual([3, 'complete']);
  });
});
