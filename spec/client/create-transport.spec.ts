import { createTransport, type TransportOptions } from '../../src/client/create-transport.js';
import type { WorkerSource } from '../../src/client/shared-worker-transport.js';
import type { DedicatedWorkerLike, Transport } from '../../src/transport.js';
import { Hub } from '../../src/worker/hub.js';
import { ask } from '../helpers/ask.js';
import { HostingWorker } from '../helpers/fake-dedicated-worker.js';
import { FakeEndpoint } from '../helpers/fake-endpoint.js';
import { FakeOrigin } from '../helpers/fake-tabs.js';
import { thrownBy } from '../helpers/thrown-by.js';

const globals = globalThis as Record<string, unknown>;

/**
 * What createTransport() adds to the choice of mode (spec/elected/transport-selection.spec.ts has the
 * choice itself): the dedicated Worker an elected leader runs the hub in.
 */
describe('createTransport()', () => {
  // The chunks elected mode loads are loaded once before the cases: the first import() of each compiles
  // it, which on a busy machine alone can outlast a case's deadline.
  beforeAll(() =>
    Promise.all([
      import('../../src/elected/elected-transport.js'),
      import('../../src/elected/in-page-hub.js'),
    ]),
  );

  let origin: FakeOrigin;
  let transports: Transport[];
  /** The arguments of every `new Worker(...)`, and the workers made, in order. */
  let workerCalls: unknown[][];
  let workers: HostingWorker[];
  let warn: jest.SpyInstance;
  const originalWorker = globals.Worker;

  /** A worker of this origin whose script starts a hub, as the app's worker file does. */
  function hostingWorker(): HostingWorker {
    const worker = new HostingWorker(new Hub({ locks: origin.lockManager }), (name) =>
      origin.bus.channel(name),
    );
    workers.push(worker);
    return worker;
  }

  beforeEach(() => {
    origin = new FakeOrigin();
    transports = [];
    workerCalls = [];
    workers = [];
    warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    // jsdom has no Web Locks, BroadcastChannel or Worker: the page's share the origin's fake ones.
    Object.defineProperty(navigator, 'locks', { value: origin.lockManager, configurable: true });
    const bus = origin.bus;
    globals.BroadcastChannel = function BroadcastChannel(name: string) {
      return bus.channel(name);
    };
    globals.Worker = function Worker(...args: unknown[]) {
      workerCalls.push(args);
      return hostingWorker();
    };
  });

  afterEach(() => {
    for (const transport of transports) transport.close();
    warn.mockRestore();
    delete (navigator as unknown as Record<string, unknown>).locks;
    delete globals.BroadcastChannel;
    if (originalWorker === undefined) delete globals.Worker;
    else globals.Worker = originalWorker;
  });

  function transportFor(source: WorkerSource, options: TransportOptions): Transport {
    const transport = createTransport(source, options);
    transports.push(transport);
    return transport;
  }

  /** Publishes `value` on `news` through a fresh endpoint of `transport`, and waits for the hub's ack. */
  async function publishThrough(transport: Transport, value: string): Promise<void> {
    const { endpoint } = transport.open();
    const request = {
      type: 'publish',
      clientId: 'tab',
      channel: 'news',
      data: value,
      requestId: 1,
    };
    expect(await ask(endpoint, request)).toEqual({
      type: 'published',
      channel: 'news',
      requestId: 1,
    });
  }

  describe('{ fallbackWorker }', () => {
    it.each<[unknown, string]>([
      [42, '42 (number)'],
      ['/channels.worker.js', '"/channels.worker.js" (string)'],
      [{}, 'an object'],
      [null, 'null'],
    ])('should throw a TypeError for %p, which is no function', (fallbackWorker, described) => {
      const options = { transport: 'elected', fallbackWorker } as unknown as TransportOptions;
      expect(thrownBy(() => createTransport('/channels.worker.js', options))).toStrictEqual(
        new TypeError(
          `SharedWorkerClient(): fallbackWorker must be a function that returns a Worker, got ${described}`,
        ),
      );
    });

    it('should throw the same TypeError when elected mode is chosen for want of SharedWorker', () => {
      const options = { fallbackWorker: 42 } as unknown as TransportOptions;
      expect(thrownBy(() => createTransport('/channels.worker.js', options))).toStrictEqual(
        new TypeError(
          'SharedWorkerClient(): fallbackWorker must be a function that returns a Worker, got 42 (number)',
        ),
      );
    });

    it.each<[string, WorkerSource, TransportOptions]>([
      ['a SharedWorker factory that works', () => new FakeEndpoint(), {}],
      ["transport: 'shared-worker'", '/channels.worker.js', { transport: 'shared-worker' }],
      ["transport: 'local'", '/channels.worker.js', { transport: 'local' }],
    ])('should throw the same TypeError with %s, where no Worker is made', (_, source, options) => {
      const given = { ...options, fallbackWorker: 42 } as unknown as TransportOptions;
      expect(thrownBy(() => createTransport(source, given))).toStrictEqual(
        new TypeError(
          'SharedWorkerClient(): fallbackWorker must be a function that returns a Worker, got 42 (number)',
        ),
      );
    });

    it("should run the leader's hub in the worker it makes, instead of one made from the URL", async () => {
      const fallbackWorker = jest.fn<DedicatedWorkerLike, []>(hostingWorker);
      const transport = transportFor('/channels.worker.js', {
        transport: 'elected',
        fallbackWorker,
      });
      await publishThrough(transport, 'via fallbackWorker');
      expect(fallbackWorker).toHaveBeenCalledTimes(1);
      expect(workerCalls).toEqual([]);
      expect(workers[0]!.hub.get('news')).toBe('via fallbackWorker');
    });

    it("should run the leader's hub in the worker it makes for a factory source", async () => {
      const factory = (): never => {
        throw new ReferenceError('SharedWorker is not defined');
      };
      const transport = transportFor(factory, { fallbackWorker: hostingWorker });
      expect(transport.mode).toBe('elected');
      await publishThrough(transport, 'from a factory source');
      expect(workers[0]!.hub.get('news')).toBe('from a factory source');
    });
  });

  describe('without fallbackWorker', () => {
    it("should run the leader's hub in new Worker(url, { name }) for a URL source", async () => {
      const transport = transportFor('/channels.worker.js', {
        transport: 'elected',
        name: 'prices',
      });
      await publishThrough(transport, 'in the worker');
      expect(workerCalls).toStrictEqual([['/channels.worker.js', { name: 'prices' }]]);
      expect(workers[0]!.hub.get('news')).toBe('in the worker');
    });

    it('should give the Worker no options for a URL source without a name', async () => {
      await publishThrough(transportFor('/channels.worker.js', { transport: 'elected' }), 'x');
      expect(workerCalls).toStrictEqual([['/channels.worker.js', undefined]]);
    });

    it('should give the Worker the URL object it was given', async () => {
      const url = new URL('https://example.com/channels.worker.js?persist=settings');
      await publishThrough(transportFor(url, { transport: 'elected' }), 'x');
      expect(workerCalls).toHaveLength(1);
      expect(workerCalls[0]![0]).toBe(url);
    });

    it('should make the Worker from the URL when it chooses elected mode for want of SharedWorker', async () => {
      const transport = transportFor('/channels.worker.js', {});
      expect(transport.mode).toBe('elected');
      await publishThrough(transport, 'fallen back');
      expect(workerCalls).toStrictEqual([['/channels.worker.js', undefined]]);
      expect(workers[0]!.hub.get('news')).toBe('fallen back');
    });

    it('should make no Worker for a factory source, and run the hub in the page', async () => {
      const factory = (): never => {
        throw new ReferenceError('SharedWorker is not defined');
      };
      await publishThrough(transportFor(factory, {}), 'in the page');
      expect(workerCalls).toEqual([]);
    });

    it('should run the hub in the page for a URL source where there is no Worker', async () => {
      delete globals.Worker;
      await publishThrough(
        transportFor('/channels.worker.js', { transport: 'elected' }),
        'in the page',
      );
      // Not a default fallbackWorker that fails (`Worker is not defined`) and is warned of: none at all.
      for (const [message] of warn.mock.calls as Array<[string]>) {
        expect(message).not.toMatch(/fallbackWorker: /);
      }
    });
  });
});
