import { MessageChannel } from 'node:worker_threads';
import {
  SharedWorkerClient,
  WorkerStartError,
  type ConnectionState,
  type SharedWorkerLike,
} from '../../src/index.js';
import { START_GRACE_MS } from '../../src/client/hub-link.js';
import type { Endpoint } from '../../src/protocol.js';
import { FakeEndpoint } from '../helpers/fake-endpoint.js';
import { createTestHub, type TestHub } from '../helpers/wire.js';

/** A SharedWorker as the client sees it: a port, and the `error` event a test fires. */
class FakeSharedWorker implements SharedWorkerLike {
  private readonly listeners = new Set<(event: unknown) => void>();

  constructor(readonly port: Endpoint) {}

  addEventListener(_type: 'error', listener: (event: unknown) => void): void {
    this.listeners.add(listener);
  }

  removeEventListener(_type: 'error', listener: (event: unknown) => void): void {
    this.listeners.delete(listener);
  }

  /** Fires `error`, as a worker whose script cannot start does (and one that throws once started). */
  fail(): void {
    for (const listener of [...this.listeners]) listener(new Event('error'));
  }
}

/** What the client's errors say after the call that made them. */
const STARTS_WITH =
  'the SharedWorker script failed to start: it was not found, or it threw while loading';

function startError(call: string): unknown {
  return expect.objectContaining({
    name: 'WorkerStartError',
    message: expect.stringMatching(
      new RegExp(`^${call.replace(/[()]/g, '\\$&')}: ${STARTS_WITH}.*type: 'module'`),
    ) as unknown,
  }) as unknown;
}

let clients: SharedWorkerClient[] = [];

function track(client: SharedWorkerClient): SharedWorkerClient {
  clients.push(client);
  return client;
}

function recordStates(client: SharedWorkerClient): ConnectionState[] {
  const states: ConnectionState[] = [];
  client.connectionState$.subscribe((state) => states.push(state));
  return states;
}

afterEach(() => {
  for (const client of clients) client.disconnect();
  clients = [];
});

describe('SharedWorkerClient (a worker that cannot start)', () => {
  describe('whose worker reports an error and never answers', () => {
    let worker: FakeSharedWorker;
    let client: SharedWorkerClient;

    beforeEach(() => {
      jest.useFakeTimers({ doNotFake: ['queueMicrotask'] });
      worker = new FakeSharedWorker(new FakeEndpoint());
      client = track(new SharedWorkerClient(() => worker));
    });

    afterEach(() => {
      jest.useRealTimers();
    });

    it('should reject every pending request with WorkerStartError named by its call, long before its timeout', async () => {
      const get = client.get('a');
      const publish = client.publish('b', 1);
      const stats = client.stats();
      worker.fail();
      jest.advanceTimersByTime(START_GRACE_MS);
      await expect(get).rejects.toBeInstanceOf(WorkerStartError);
      await expect(get).rejects.toEqual(startError('get("a")'));
      await expect(publish).rejects.toEqual(startError('publish("b")'));
      await expect(stats).rejects.toEqual(startError('stats()'));
    });

    it('should wait the grace for a welcome before it fails', () => {
      const states = recordStates(client);
      worker.fail();
      jest.advanceTimersByTime(START_GRACE_MS - 1);
      expect(states).toEqual(['connecting']);
      jest.advanceTimersByTime(1);
      expect(states).toEqual(['connecting', 'failed']);
    });

    it('should error every channel Observable with WorkerStartError, also one subscribed afterwards', () => {
      const errors: unknown[] = [];
      const prices$ = client.channel('prices');
      prices$.subscribe({ error: (error: unknown) => errors.push(error) });
      worker.fail();
      jest.advanceTimersByTime(START_GRACE_MS);
      prices$.subscribe({ error: (error: unknown) => errors.push(error) });
      expect(errors).toEqual([startError('channel("prices")'), startError('channel("prices")')]);
      expect(errors[0]).toBeInstanceOf(WorkerStartError);
    });

    it('should throw WorkerStartError named by the call from every later call, as after a version mismatch', () => {
      worker.fail();
      jest.advanceTimersByTime(START_GRACE_MS);
      expect(() => client.publish('x', 1)).toThrow(WorkerStartError);
      const calls: Array<[string, () => unknown]> = [
        ['publish()', () => client.publish('x', 1)],
        ['get()', () => client.get('x')],
        ['clear()', () => client.clear('x')],
        ['stats()', () => client.stats()],
        ['channel()', () => client.channel('x')],
        ['subscribe()', () => client.subscribe('x', () => undefined)],
      ];
      for (const [call, made] of calls) {
        let thrown: unknown;
        try {
          made();
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toEqual(startError(call));
      }
    });

    it("should say 'failed' on connectionState$, and stay there after disconnect()", () => {
      const states = recordStates(client);
      worker.fail();
      jest.advanceTimersByTime(START_GRACE_MS);
      client.disconnect();
      expect(states).toEqual(['connecting', 'failed']);
    });
  });

  describe('whose worker has a hub', () => {
    let testHub: TestHub;

    beforeEach(() => {
      testHub = createTestHub();
    });

    afterEach(() => {
      testHub.close();
    });

    /** A worker over a fresh port to the test hub. */
    function hubWorker(): FakeSharedWorker {
      const { port1, port2 } = new MessageChannel();
      testHub.hub.connect(port2 as unknown as Endpoint);
      return new FakeSharedWorker(port1 as unknown as Endpoint);
    }

    function waitForState(states: ConnectionState[], state: ConnectionState): Promise<void> {
      return new Promise((resolve) => {
        const check = (): void => {
          if (states.includes(state)) resolve();
          else setTimeout(check, 5);
        };
        check();
      });
    }

    it('should serve on when the hub welcomes it after an error (a script that threw after starting the hub)', async () => {
      const worker = hubWorker();
      const client = track(new SharedWorkerClient(() => worker));
      const states = recordStates(client);
      worker.fail();
      await client.publish('after-throw', 1);
      await new Promise((resolve) => setTimeout(resolve, START_GRACE_MS + 50));
      expect(await client.get('after-throw')).toBe(1);
      expect(states).toEqual(['connecting', 'open']);
    });

    it('should reconnect, not fail, when a worker that welcomed it reports an error', async () => {
      const workers: FakeSharedWorker[] = [];
      const client = track(
        new SharedWorkerClient(() => {
          workers.push(hubWorker());
          return workers[workers.length - 1]!;
        }),
      );
      const states = recordStates(client);
      await client.publish('kept', 1);
      workers[0]!.fail();
      await waitForState(states, 'reconnecting');
      expect(await client.get('kept')).toBe(1);
      expect(states).toEqual(['connecting', 'open', 'reconnecting', 'open']);
      expect(workers).toHaveLength(2);
    });

    it('should fail when the worker made again after a loss cannot start', async () => {
      const first = hubWorker();
      let made = 0;
      const client = track(
        new SharedWorkerClient(() => {
          if (made++ === 0) return first;
          const broken = new FakeSharedWorker(new FakeEndpoint());
          // A worker reports its start in a later task, as a browser's does.
          setTimeout(() => broken.fail(), 0);
          return broken;
        }),
      );
      const states = recordStates(client);
      await client.publish('x', 1);
      first.fail();
      const pending = client.get('x');
      await expect(pending).rejects.toEqual(startError('get("x")'));
      expect(states).toEqual(['connecting', 'open', 'reconnecting', 'failed']);
    });
  });
});
