import { SharedWorkerClient, type ClientOptions } from '../../src/index.js';
import type { Endpoint } from '../../src/protocol.js';
import { FakeOrigin } from '../helpers/fake-tabs.js';
import { createTestHub, type TestHub } from '../helpers/wire.js';

/** What the fallback tests install in jsdom, which has no SharedWorker, Web Locks or BroadcastChannel. */
interface BrowserApis {
  locks?: boolean;
  broadcastChannel?: boolean;
  /** A SharedWorker constructor that throws, as some privacy modes' does. */
  refusingSharedWorker?: boolean;
}

const globals = globalThis as Record<string, unknown>;

/**
 * How `SharedWorkerClient` chooses its transport. The cases run in one jsdom page, so several clients
 * here are several "tabs" of one origin only in the sense that they share the page's Web Locks and
 * BroadcastChannels; spec/elected/elected-transport.spec.ts has tabs that can die.
 */
describe('SharedWorkerClient transport', () => {
  let origin: FakeOrigin;
  let clients: SharedWorkerClient[];
  let testHub: TestHub | undefined;
  let warn: jest.SpyInstance;

  beforeEach(() => {
    origin = new FakeOrigin();
    clients = [];
    testHub = undefined;
    warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  });

  afterEach(() => {
    for (const client of clients) client.disconnect();
    testHub?.close();
    warn.mockRestore();
    delete (navigator as unknown as Record<string, unknown>).locks;
    delete globals.BroadcastChannel;
    delete globals.SharedWorker;
  });

  function install({ locks = true, broadcastChannel = true, refusingSharedWorker }: BrowserApis) {
    if (locks) {
      Object.defineProperty(navigator, 'locks', { value: origin.lockManager, configurable: true });
    }
    if (broadcastChannel) {
      const bus = origin.bus;
      globals.BroadcastChannel = function BroadcastChannel(name: string) {
        return bus.channel(name);
      };
    }
    if (refusingSharedWorker) {
      globals.SharedWorker = function SharedWorker() {
        throw new Error('SecurityError: SharedWorker is not allowed here');
      };
    }
  }

  function client(
    worker: ConstructorParameters<typeof SharedWorkerClient>[0],
    options: ClientOptions = {},
  ): SharedWorkerClient {
    const made = new SharedWorkerClient(worker, { heartbeat: 0, ...options });
    clients.push(made);
    return made;
  }

  /** A factory that fails as `() => new SharedWorker(url)` does where SharedWorker is missing. */
  function missingSharedWorker(): jest.Mock<Endpoint, []> {
    return jest.fn<Endpoint, []>(() => {
      throw new ReferenceError('SharedWorker is not defined');
    });
  }

  it('should use the SharedWorker (or the endpoint) the factory makes', async () => {
    install({});
    testHub = createTestHub({ locks: null });
    const made = testHub.client();
    clients.push(made);
    expect(made.transport).toBe('shared-worker');
    await made.publish('news', 1);
    expect(testHub.hub.get('news')).toBe(1);
  });

  it('should make a SharedWorker from a URL where SharedWorker exists', async () => {
    install({});
    testHub = createTestHub({ locks: null });
    const { port1, port2 } = new MessageChannel();
    testHub.hub.connect(port2);
    const made: unknown[] = [];
    globals.SharedWorker = function SharedWorker(url: string) {
      made.push(url);
      return { port: port1, addEventListener: () => undefined };
    };
    const viaUrl = client('/shared-worker.js');
    expect(viaUrl.transport).toBe('shared-worker');
    expect(made).toEqual(['/shared-worker.js']);
    await viaUrl.publish('news', 'through the worker');
    expect(testHub.hub.get('news')).toBe('through the worker');
    viaUrl.disconnect();
    port1.close();
  });

  describe('where SharedWorker cannot be made', () => {
    it('should fall back to an elected hub when the factory throws', async () => {
      install({});
      const factory = missingSharedWorker();
      const made = client(factory);
      expect(made.transport).toBe('elected');
      expect(factory).toHaveBeenCalledTimes(1);
      await made.publish('news', 'elected');
      expect(await made.get('news')).toBe('elected');
      // Without fallbackWorker the leader runs the hub in its page: the only warning says so (once per
      // page, so it may have been said by an earlier case of this file).
      for (const [message] of warn.mock.calls as Array<[string]>) {
        expect(message).toMatch(
          /^\[shared-channels\] SharedWorker is unavailable and no fallbackWorker/,
        );
      }
    });

    it('should fall back to an elected hub when given a URL and SharedWorker is missing', async () => {
      install({});
      const made = client('/shared-worker.js');
      expect(made.transport).toBe('elected');
      expect((await made.stats()).clients).toBe(1);
    });

    it('should fall back to an elected hub when the SharedWorker constructor throws', async () => {
      install({ refusingSharedWorker: true });
      const made = client(new URL('https://example.com/shared-worker.js'));
      expect(made.transport).toBe('elected');
      expect((await made.stats()).clients).toBe(1);
    });

    it("should keep the worker URL's persisted channels persisted in the elected hub", async () => {
      install({});
      const made = client('/shared-worker.js?persist=settings');
      await made.stats();
      // jsdom has no IndexedDB: the elected hub says its persisted channels last only in memory.
      expect(warn).toHaveBeenCalledWith(
        expect.stringMatching(/^\[shared-channels\] persist is set/),
      );
    });

    it('should still throw at once when the factory returns something that is no worker', () => {
      install({});
      expect(() => client(() => 42 as unknown as Endpoint)).toThrow(
        new TypeError(
          'SharedWorkerClient: worker must be a script URL, a SharedWorker or a factory returning one, got 42 (number)',
        ),
      );
    });

    it('should share one elected hub among the clients of the origin, and hand it over on disconnect', async () => {
      install({});
      const [first, second, third] = [1, 2, 3].map(() => client(missingSharedWorker()));
      const seen: unknown[] = [];
      third!.channel('state').subscribe((value) => seen.push(value));
      await third!.get('state');
      await second!.publish('state', 'shared');
      const hub = (await first!.stats()).instanceId;
      expect((await third!.stats()).instanceId).toBe(hub);
      expect((await third!.stats()).clients).toBe(3);

      first!.disconnect();
      await second!.stats();
      const after = await third!.stats();
      expect(after.instanceId).not.toBe(hub);
      expect(after.clients).toBe(2);
      expect(await third!.get('state')).toBe('shared');
      await second!.publish('state', 'after the handover');
      expect(await third!.get('state')).toBe('after the handover');
      expect(seen).toEqual(['shared', 'after the handover']);
    });

    it('should serve this tab alone from an in-page hub, and warn once, without Web Locks', async () => {
      install({ locks: false });
      const made = client(missingSharedWorker());
      expect(made.transport).toBe('local');
      await made.publish('note', 'only here');
      expect(await made.get('note')).toBe('only here');
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0]).toEqual([expect.stringMatching(/^\[shared-channels\] /)]);
    });

    it('should serve this tab alone without BroadcastChannel', () => {
      install({ broadcastChannel: false });
      expect(client('/shared-worker.js').transport).toBe('local');
      expect(warn).toHaveBeenCalledTimes(1);
    });
  });

  describe('{ transport }', () => {
    it("should elect a hub without calling the factory with 'elected'", async () => {
      install({});
      const factory = missingSharedWorker();
      const made = client(factory, { transport: 'elected' });
      expect(made.transport).toBe('elected');
      expect(factory).not.toHaveBeenCalled();
      expect((await made.stats()).clients).toBe(1);
    });

    it("should run an in-page hub, without a warning, with 'local'", async () => {
      install({});
      const factory = missingSharedWorker();
      const made = client(factory, { transport: 'local' });
      expect(made.transport).toBe('local');
      expect(factory).not.toHaveBeenCalled();
      await made.publish('note', 1);
      expect(await made.get('note')).toBe(1);
      expect(warn).not.toHaveBeenCalled();
    });

    it("should not fall back with 'shared-worker'", () => {
      install({});
      expect(() => client('/shared-worker.js', { transport: 'shared-worker' })).toThrow(
        new TypeError('SharedWorkerClient: SharedWorker is not available in this environment'),
      );
    });

    it("should throw when 'elected' cannot work here", () => {
      install({ locks: false });
      expect(() => client(missingSharedWorker(), { transport: 'elected' })).toThrow(
        new TypeError(
          "SharedWorkerClient(): transport 'elected' needs Web Locks (navigator.locks) and BroadcastChannel, and this environment lacks them",
        ),
      );
    });

    it('should throw on a mode it does not know', () => {
      const options = { transport: 'worker' } as unknown as ClientOptions;
      expect(() => client(missingSharedWorker(), options)).toThrow(
        new TypeError(
          `SharedWorkerClient(): transport must be 'shared-worker', 'elected' or 'local', got "worker" (string)`,
        ),
      );
    });
  });
});
