import { DeferredTransport } from '../../src/client/deferred-transport.js';
import type { HubEvents, OpenedEndpoint, Transport } from '../../src/transport.js';
import { FakeEndpoint } from '../helpers/fake-endpoint.js';

/** A real endpoint as a loaded transport makes it: it also records how often it was closed. */
class ClosableEndpoint extends FakeEndpoint {
  closed = 0;

  close(): void {
    this.closed++;
  }
}

/** What reports the loss of the hub behind one endpoint; `lose()` fires its `error`. */
class FakeHubEvents implements HubEvents {
  readonly listeners = new Set<(event: unknown) => void>();

  addEventListener(_type: 'error', listener: (event: unknown) => void): void {
    this.listeners.add(listener);
  }

  removeEventListener(_type: 'error', listener: (event: unknown) => void): void {
    this.listeners.delete(listener);
  }

  lose(event: unknown): void {
    for (const listener of this.listeners) listener(event);
  }
}

/** The transport the deferred one loads: every endpoint it opened, and how often it was closed. */
class FakeTransport implements Transport {
  readonly mode = 'elected';
  readonly canReopen = true;
  readonly opened: Array<{ endpoint: ClosableEndpoint; hub: FakeHubEvents }> = [];
  closed = 0;

  open(): OpenedEndpoint {
    const opened = { endpoint: new ClosableEndpoint(), hub: new FakeHubEvents() };
    this.opened.push(opened);
    return opened;
  }

  close(): void {
    this.closed++;
  }
}

/** A load the test finishes by hand, as an `import()` whose chunk is still on its way. */
interface PendingLoad {
  load: jest.Mock<Promise<Transport>, []>;
  finish(transport: Transport): Promise<void>;
  fail(error: Error): Promise<void>;
}

function pendingLoads(): PendingLoad {
  const waiting: Array<{ resolve(t: Transport): void; reject(e: Error): void }> = [];
  const load = jest.fn(
    () => new Promise<Transport>((resolve, reject) => waiting.push({ resolve, reject })),
  );
  // A settled load reaches the endpoints a few microtasks later; a macrotask is past all of them.
  const afterwards = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  return {
    load,
    finish(transport) {
      waiting.shift()!.resolve(transport);
      return afterwards();
    },
    fail(error) {
      waiting.shift()!.reject(error);
      return afterwards();
    },
  };
}

describe('DeferredTransport', () => {
  let loads: PendingLoad;
  let real: FakeTransport;
  let error: jest.SpyInstance;

  beforeEach(() => {
    loads = pendingLoads();
    real = new FakeTransport();
    error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  });

  afterEach(() => {
    error.mockRestore();
  });

  it('should report its mode before anything is loaded', () => {
    const transport = new DeferredTransport('local', loads.load);
    expect(transport.mode).toBe('local');
    expect(transport.canReopen).toBe(true);
  });

  it('should start loading at once, and load only once for every endpoint opened meanwhile', async () => {
    const transport = new DeferredTransport('elected', loads.load);
    expect(loads.load).toHaveBeenCalledTimes(1);
    transport.open();
    transport.open();
    await loads.finish(real);
    transport.open();
    expect(loads.load).toHaveBeenCalledTimes(1);
    expect(real.opened).toHaveLength(3);
  });

  describe('.open() before the load', () => {
    it('should post what was posted meanwhile to the real endpoint after the load, in order', async () => {
      const transport = new DeferredTransport('elected', loads.load);
      const { endpoint } = transport.open();
      endpoint.postMessage('first');
      endpoint.postMessage('second');
      expect(real.opened).toEqual([]);
      await loads.finish(real);
      const [opened] = real.opened;
      expect(opened!.endpoint.posted).toEqual(['first', 'second']);
      endpoint.postMessage('third');
      expect(opened!.endpoint.posted).toEqual(['first', 'second', 'third']);
    });

    it('should move the message listeners added meanwhile to the real endpoint', async () => {
      const transport = new DeferredTransport('elected', loads.load);
      const { endpoint } = transport.open();
      const kept: unknown[] = [];
      const removed: unknown[] = [];
      const removedListener = ({ data }: { data: unknown }): void => void removed.push(data);
      endpoint.addEventListener('message', ({ data }) => kept.push(data));
      endpoint.addEventListener('message', removedListener);
      endpoint.removeEventListener('message', removedListener);
      await loads.finish(real);
      real.opened[0]!.endpoint.deliver('from the hub');
      expect(kept).toEqual(['from the hub']);
      expect(removed).toEqual([]);
    });

    it('should hand listeners added and removed after the load to the real endpoint', async () => {
      const transport = new DeferredTransport('elected', loads.load);
      const { endpoint } = transport.open();
      await loads.finish(real);
      const seen: unknown[] = [];
      const listener = ({ data }: { data: unknown }): void => void seen.push(data);
      endpoint.addEventListener('message', listener);
      real.opened[0]!.endpoint.deliver('one');
      endpoint.removeEventListener('message', listener);
      real.opened[0]!.endpoint.deliver('two');
      expect(seen).toEqual(['one']);
    });

    it('should start the real endpoint when start() was called before the load', async () => {
      const transport = new DeferredTransport('elected', loads.load);
      const { endpoint } = transport.open();
      endpoint.start?.();
      await loads.finish(real);
      expect(real.opened[0]!.endpoint.started).toBe(1);
    });

    it('should not start the real endpoint before start() is called', async () => {
      const transport = new DeferredTransport('elected', loads.load);
      const { endpoint } = transport.open();
      await loads.finish(real);
      expect(real.opened[0]!.endpoint.started).toBe(0);
      endpoint.start?.();
      expect(real.opened[0]!.endpoint.started).toBe(1);
    });

    it("should pass the real hub's error to the error listeners added meanwhile", async () => {
      const transport = new DeferredTransport('elected', loads.load);
      const { hub } = transport.open();
      const kept: unknown[] = [];
      const removed: unknown[] = [];
      const removedListener = (event: unknown): void => void removed.push(event);
      hub!.addEventListener!('error', (event) => kept.push(event));
      hub!.addEventListener!('error', removedListener);
      hub!.removeEventListener!('error', removedListener);
      await loads.finish(real);
      const lost = new Error('the elected hub is gone');
      real.opened[0]!.hub.lose(lost);
      expect(kept).toEqual([lost]);
      expect(removed).toEqual([]);
    });

    it("should pass the real hub's error to an error listener added after the load, until it is removed", async () => {
      const transport = new DeferredTransport('elected', loads.load);
      const { hub } = transport.open();
      await loads.finish(real);
      const seen: unknown[] = [];
      const listener = (event: unknown): void => void seen.push(event);
      hub!.addEventListener!('error', listener);
      real.opened[0]!.hub.lose('first loss');
      hub!.removeEventListener!('error', listener);
      real.opened[0]!.hub.lose('second loss');
      expect(seen).toEqual(['first loss']);
    });

    it('should post nothing once closed, and close the real endpoint when it comes', async () => {
      const transport = new DeferredTransport('elected', loads.load);
      const { endpoint } = transport.open();
      endpoint.postMessage('before close');
      endpoint.close?.();
      endpoint.postMessage('after close');
      await loads.finish(real);
      const [opened] = real.opened;
      expect(opened!.endpoint.closed).toBe(1);
      expect(opened!.endpoint.posted).toEqual([]);
      expect(opened!.endpoint.listeners.size).toBe(0);
    });

    it('should close the real endpoint when closed after the load, and post nothing more', async () => {
      const transport = new DeferredTransport('elected', loads.load);
      const { endpoint } = transport.open();
      await loads.finish(real);
      endpoint.close?.();
      endpoint.close?.();
      endpoint.postMessage('late');
      const [opened] = real.opened;
      expect(opened!.endpoint.closed).toBe(1);
      expect(opened!.endpoint.posted).toEqual([]);
    });
  });

  describe('.open() after the load', () => {
    it("should return the real transport's endpoint and hub events", async () => {
      const transport = new DeferredTransport('elected', loads.load);
      await loads.finish(real);
      const { endpoint, hub } = transport.open();
      expect(endpoint).toBe(real.opened[0]!.endpoint);
      expect(hub).toBe(real.opened[0]!.hub);
    });
  });

  describe('when the load fails', () => {
    it('should log the error, leave the endpoints opened meanwhile silent, and load again on the next open()', async () => {
      const transport = new DeferredTransport('elected', loads.load);
      const silent = transport.open().endpoint;
      silent.postMessage('lost with the chunk');
      const failure = new Error('Loading chunk 42 failed');
      await loads.fail(failure);
      expect(error.mock.calls).toEqual([
        ['[shared-channels] the transport could not be loaded:', failure],
      ]);

      const { endpoint } = transport.open();
      expect(loads.load).toHaveBeenCalledTimes(2);
      endpoint.postMessage('after the retry');
      await loads.finish(real);
      expect(real.opened).toHaveLength(1);
      expect(real.opened[0]!.endpoint.posted).toEqual(['after the retry']);
      silent.postMessage('still lost');
      expect(real.opened[0]!.endpoint.posted).toEqual(['after the retry']);
    });
  });

  describe('.close()', () => {
    it('should close the transport loaded after it', async () => {
      const transport = new DeferredTransport('elected', loads.load);
      transport.close();
      expect(real.closed).toBe(0);
      await loads.finish(real);
      expect(real.closed).toBe(1);
    });

    it('should open nothing on the transport loaded after it for the endpoints opened before', async () => {
      const transport = new DeferredTransport('elected', loads.load);
      transport.open();
      transport.open();
      transport.close();
      await loads.finish(real);
      expect(real.opened).toEqual([]);
      expect(real.closed).toBe(1);
    });

    it('should close the loaded transport', async () => {
      const transport = new DeferredTransport('elected', loads.load);
      await loads.finish(real);
      transport.close();
      expect(real.closed).toBe(1);
    });
  });
});
