import { MessageChannel, type MessagePort } from 'node:worker_threads';
import {
  LimitError,
  SharedWorkerClient,
  type ClientOptions,
  type ConnectionState,
} from '../../src/index.js';
import type { Endpoint } from '../../src/protocol.js';
import { withEnvironment } from '../../src/worker/hub-environment.js';
import { Hub, type HubOptions } from '../../src/worker/hub.js';
import { FakeLockManager } from '../helpers/fake-locks.js';
import { settle } from '../helpers/wire.js';

/**
 * A worker whose hub can be busy (`stall()`: it reads nothing and says nothing until `resume()`, as a
 * worker in a long task) or die (`kill()`: its ports go silent for good, its life lock is let go, and
 * the next port reaches a fresh, empty hub). Every port a client opens while the hub is alive reaches
 * that same hub, as `new SharedWorker(url)` reaches the running worker.
 */
class Worker {
  hub: Hub;
  made = 0;
  /** How many of the next ports are dead on arrival (never answered). */
  deadOnArrival = 0;
  private stalled: Array<() => void> | undefined = undefined;
  private readonly ports: MessagePort[] = [];
  private alive = new Set<MessagePort>();

  constructor(private readonly options: HubOptions = { locks: null }) {
    this.hub = new Hub(withEnvironment(options));
  }

  readonly factory = (): Endpoint => {
    this.made++;
    const { port1, port2 } = new MessageChannel();
    this.ports.push(port1, port2);
    if (this.deadOnArrival > 0) {
      this.deadOnArrival--;
      return port1 as unknown as Endpoint;
    }
    const alive = this.alive;
    alive.add(port2);
    const hub = this.hub;
    hub.connect({
      postMessage: (message) => {
        if (alive.has(port2)) port2.postMessage(message);
      },
      addEventListener: (_type, listener) =>
        port2.addEventListener('message', ((event: { data: unknown }) => {
          if (!alive.has(port2)) return;
          if (this.stalled && hub === this.hub) this.stalled.push(() => listener(event));
          else listener(event);
        }) as never),
      removeEventListener: () => undefined,
      start: () => port2.start(),
    });
    return port1 as unknown as Endpoint;
  };

  stall(): void {
    this.stalled ??= [];
  }

  /** The hub gets through everything that waited, in the order it came. */
  resume(): void {
    const waiting = this.stalled ?? [];
    this.stalled = undefined;
    for (const deliver of waiting) deliver();
  }

  kill(): void {
    this.alive = new Set();
    this.stalled = undefined;
    this.hub.close();
    this.hub = new Hub(this.options);
  }

  close(): void {
    for (const port of this.ports) port.close();
  }
}

/** How long a hub stays busy in the stall case: many liveness windows of the clients' 50 ms. */
const STALL_MS = 400;

/** Resolves once the client has gone through `states`, in order, after now. */
function waitForStates(client: SharedWorkerClient, states: ConnectionState[]): Promise<void> {
  return new Promise<void>((resolve) => {
    let next = 0;
    let current = true;
    const subscription = client.connectionState$.subscribe((state) => {
      if (current) {
        current = false;
        return;
      }
      if (state === states[next]) next++;
      if (next === states.length) {
        queueMicrotask(() => subscription.unsubscribe());
        resolve();
      }
    });
  });
}

/** Every state a client goes through from now on. */
function recordStates(client: SharedWorkerClient): ConnectionState[] {
  const seen: ConnectionState[] = [];
  client.connectionState$.subscribe((state) => seen.push(state));
  return seen;
}

/** Collects an Observable's values, its error and whether it completed. */
function record(client: SharedWorkerClient, channel: string) {
  const seen = { values: [] as unknown[], error: undefined as unknown, completed: false };
  client.channel(channel).subscribe({
    next: (value) => seen.values.push(value),
    error: (error: unknown) => (seen.error = error),
    complete: () => (seen.completed = true),
  });
  return seen;
}

/** Resolves once `check` holds, polling the event loop; rejects with `what` after `ms`. */
async function until(check: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`still waiting for ${what}`);
    await settle(2);
  }
}

// A liveness window of 50 ms misfires on a loaded 2-core machine; each misfire costs a reconnect's back-off.
jest.setTimeout(20_000);

describe('SharedWorkerClient (guarantees)', () => {
  let worker: Worker;
  const clients: SharedWorkerClient[] = [];
  let locks: FakeLockManager | undefined;

  function client(options: ClientOptions = {}): SharedWorkerClient {
    const made = new SharedWorkerClient(worker.factory, { heartbeat: 50, ...options });
    clients.push(made);
    return made;
  }

  /** Gives tabs and hubs one Web Locks manager, as a browser does. */
  function withLocks(): FakeLockManager {
    locks = new FakeLockManager();
    Object.defineProperty(globalThis.navigator, 'locks', { value: locks, configurable: true });
    return locks;
  }

  beforeEach(() => {
    worker = new Worker();
  });

  afterEach(() => {
    for (const made of clients.splice(0)) made.disconnect();
    worker.close();
    if (locks) {
      delete (globalThis.navigator as { locks?: unknown }).locks;
      locks = undefined;
    }
  });

  describe('every request is applied at most once', () => {
    it('should apply a publish once when a busy hub is taken for dead and the publish is sent again to it', async () => {
      const publisher = client({ heartbeat: 200 });
      const watcher = client({ heartbeat: 0 });
      const seen = record(watcher, 'orders');
      await publisher.stats();
      await watcher.stats();
      worker.stall();
      const reconnecting = waitForStates(publisher, ['reconnecting', 'open']);
      const published = publisher.publish('orders', 'order #1');
      // A hub busy for longer than the liveness window is taken for dead: the client reconnects to
      // the same worker, whose hub reads the first attempt and the one sent again.
      await until(() => worker.made >= 3, 'a second connection to the busy worker');
      worker.resume();
      await reconnecting;
      await published;
      await until(() => seen.values.length > 0, 'the value');
      await publisher.get('orders');
      await settle(10);
      expect(worker.hub.stats().published).toBe(1);
      expect(seen.values).toEqual(['order #1']);
    });

    it('should answer a clear sent again with its first outcome, without clearing a newer value', async () => {
      const a = client({ heartbeat: 200 });
      const b = client({ heartbeat: 0 });
      await a.publish('note', 'v1');
      await b.stats();
      worker.stall();
      const cleared = a.clear('note');
      await until(() => worker.made >= 3, 'a second connection to the busy worker');
      // Another tab's publish reaches the hub after the clear, and before the clear is sent again.
      const published = b.publish('note', 'v2');
      worker.resume();
      await cleared;
      await published;
      await a.stats();
      expect(await b.get('note')).toBe('v2');
    });
  });

  describe("the hub's bookkeeping for at-most-once", () => {
    it("should let the hub forget a burst's outcomes once they are settled, with no request after it", async () => {
      const a = client({ heartbeat: 0 });
      await a.stats();
      await Promise.all(Array.from({ length: 500 }, (_, n) => a.publish('burst', n)));
      const sessions = (
        worker.hub as unknown as {
          tabs: { sessions: { sessions: Map<string, { size: number }> } };
        }
      ).tabs.sessions.sessions;
      const outcomes = (): number => [...sessions.values()].reduce((sum, s) => sum + s.size, 0);
      await until(() => outcomes() === 0, 'the outcomes to be forgotten');
      expect(worker.hub.get('burst')).toBe(499);
    });
  });

  describe('a living hub is never taken for dead', () => {
    it('should not reconnect while the hub is busy for many liveness windows, when the hub holds its life lock', async () => {
      withLocks();
      worker = new Worker({});
      const a = client();
      await a.stats();
      const states = recordStates(a);
      worker.stall();
      const published = a.publish('busy', 1, { timeout: 2_000 });
      const got = a.get('busy', { timeout: 2_000 });
      // The stall is the workload: 8 liveness windows of silence.
      await new Promise((resolve) => setTimeout(resolve, STALL_MS));
      worker.resume();
      await published;
      expect(await got).toBe(1);
      expect(states).toEqual(['open']);
      expect(worker.made).toBe(1);
      expect(worker.hub.stats().published).toBe(1);
    });

    it("should reconnect at once when the hub's life lock is let go, its context gone", async () => {
      withLocks();
      worker = new Worker({});
      const a = client({ heartbeat: 0 }); // no pings: only the lock can tell
      await a.publish('kept', 'v');
      const seen = record(a, 'kept');
      await until(() => seen.values.length === 1, 'the value');
      const reopened = waitForStates(a, ['reconnecting', 'open']);
      worker.kill();
      await reopened;
      expect(await a.get('kept')).toBe('v');
      expect(seen.error).toBeUndefined();
    });

    it('should replace a first worker that never answers within the liveness window, not the request timeout', async () => {
      worker.deadOnArrival = 1;
      const a = client({ timeout: 5_000 });
      const started = Date.now();
      await a.publish('first', 'sent');
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(worker.hub.get('first')).toBe('sent');
      expect(worker.made).toBe(2);
    });
  });

  describe('every tab converges on the hub after a reconnect', () => {
    it('should empty a channel the new hub has no value for, instead of serving the stale copy', async () => {
      const a = client();
      const seen = record(a, 'session');
      await a.publish('session', 'logged in');
      await until(() => seen.values.length === 1, 'the first value');
      // The worker restarts, and another tab logs out on the new hub before this one is back.
      const reopened = waitForStates(a, ['reconnecting', 'open']);
      worker.kill();
      const other = client();
      await other.clear('session');
      await reopened;
      await a.stats();
      await settle(10);
      const late = record(a, 'session');
      await a.stats();
      expect(late.values).toEqual([]);
      expect(await a.get('session')).toBeUndefined();
      expect(seen.values).toEqual(['logged in']);
    });

    it('should give a subscriber that came while the channel was subscribed again the current value', async () => {
      const a = client();
      const first = record(a, 'price');
      await a.publish('price', 42);
      await until(() => first.values.length === 1, 'the first value');
      const reconnecting = waitForStates(a, ['reconnecting']);
      worker.kill();
      await reconnecting;
      const late = record(a, 'price');
      await until(() => late.values.length === 1, 'the late value');
      expect(late.values).toEqual([42]);
      expect(first.values).toEqual([42]);
    });
  });

  describe('batching never turns valid requests into failures', () => {
    it('should reconnect with 20 channels of 900 KB each, every subscription and value intact', async () => {
      const a = client({ timeout: 5_000 });
      const big = (n: number): string => `${n}:`.padEnd(900 * 1024, 'x');
      const names = Array.from({ length: 20 }, (_, n) => `big-${n}`);
      const seen = names.map((name) => record(a, name));
      await Promise.all(names.map((name, n) => a.publish(name, big(n))));
      await until(() => seen.every((s) => s.values.length === 1), 'every value');
      const reopened = waitForStates(a, ['reconnecting', 'open']);
      worker.kill();
      await reopened;
      const values = await Promise.all(names.map((name) => a.get(name)));
      expect(values.map((value) => (value as string).length)).toEqual(names.map(() => 900 * 1024));
      expect(values).toEqual(names.map((_, n) => big(n)));
      expect(seen.map((s) => s.error)).toEqual(names.map(() => undefined));
      expect(worker.hub.stats().channels.every((c) => c.subscribers === 1)).toBe(true);
    });

    it("should split one task's publishes to fit the hub's message limit", async () => {
      worker = new Worker({ locks: null, limits: { maxPayload: 1000 } });
      const a = client({ timeout: 2_000 });
      await a.stats();
      const values = Array.from({ length: 25 }, (_, n) => `${n}`.padEnd(900, '.'));
      await Promise.all(values.map((value) => a.publish('tight', value)));
      expect(worker.hub.get('tight')).toBe(values[24]);
      expect(worker.hub.stats().published).toBe(25);
    });

    it('should refuse only the requests over the rate allowance', async () => {
      worker = new Worker({ locks: null, limits: { maxRequestsPerSecond: 50 } });
      const a = client({ heartbeat: 0 });
      const seen = Array.from({ length: 51 }, (_, n) => record(a, `rated-${n}`));
      await until(() => seen.some((s) => s.error !== undefined), 'the refusal');
      await settle(10);
      expect(seen.filter((s) => s.error !== undefined).map((s) => s.error)).toEqual([
        expect.any(LimitError),
      ]);
      expect(worker.hub.stats().channels.filter((c) => c.subscribers === 1)).toHaveLength(50);
    });

    it('should fail each of several requests refused in one reply', async () => {
      worker = new Worker({ locks: null, limits: { maxRequestsPerSecond: 50 } });
      const a = client({ heartbeat: 0 });
      const seen = Array.from({ length: 60 }, (_, n) => record(a, `many-${n}`));
      await until(() => seen.filter((s) => s.error).length === 10, 'ten refusals');
      expect(seen.slice(50).every((s) => s.error instanceof LimitError)).toBe(true);
      expect(seen.slice(0, 50).every((s) => s.error === undefined)).toBe(true);
    });
  });

  describe('truthful edges', () => {
    it('should resolve a publish sent just before disconnect() once the hub applied it', async () => {
      const a = client();
      await a.stats();
      const published = a.publish('last', 'words');
      a.disconnect();
      await expect(published).resolves.toBeUndefined();
      expect(worker.hub.get('last')).toBe('words');
      await until(() => worker.hub.stats().clients === 0, 'the hub to forget the tab');
    });
  });
});
