import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { Endpoint } from '../../src/protocol.js';
import { Hub } from '../../src/worker/hub.js';
import { startSharedWorker } from '../../src/worker/start-shared-worker.js';
import { freshIndexedDB } from '../helpers/indexed-db.js';
import { thrownBy } from '../helpers/thrown-by.js';

type ConnectListener = (event: { ports: readonly Endpoint[] }) => void;

/** Sends one JSON request on `port` and resolves with the hub's reply, parsed. */
function ask(port: MessagePort, request: Record<string, unknown>): Promise<unknown> {
  return new Promise((resolve) => {
    port.once('message', (data: string) => resolve(JSON.parse(data)));
    port.postMessage(JSON.stringify(request));
  });
}

describe('startSharedWorker()', () => {
  it('should throw a TypeError outside a SharedWorker', () => {
    expect('onconnect' in globalThis).toBe(false);
    expect(thrownBy(() => startSharedWorker())).toStrictEqual(
      new TypeError(
        'startSharedWorker(): must be called inside a SharedWorker, or the dedicated Worker of fallbackWorker',
      ),
    );
  });

  describe('inside a SharedWorker', () => {
    const scope = globalThis as unknown as Record<string, unknown>;
    let listeners: Array<[string, ConnectListener]>;
    let ports: MessagePort[];

    /** Fires a `connect` event carrying `count` new ports; returns the tab ends of them. */
    function connect(count: number): MessagePort[] {
      const tabs: MessagePort[] = [];
      const hubSide: Endpoint[] = [];
      for (let index = 0; index < count; index++) {
        const { port1, port2 } = new MessageChannel();
        ports.push(port1, port2);
        tabs.push(port1);
        hubSide.push(port2 as unknown as Endpoint);
      }
      for (const [, listener] of listeners) listener({ ports: hubSide });
      return tabs;
    }

    beforeEach(() => {
      listeners = [];
      ports = [];
      scope.onconnect = null;
      jest
        .spyOn(globalThis, 'addEventListener')
        .mockImplementation((type: string, listener: unknown) => {
          listeners.push([type, listener as ConnectListener]);
        });
    });

    afterEach(() => {
      jest.restoreAllMocks();
      delete scope.onconnect;
      for (const port of ports) port.close();
    });

    it('should return a hub listening to connect events', () => {
      const hub = startSharedWorker();
      expect(hub).toBeInstanceOf(Hub);
      expect(listeners.map(([type]) => type)).toEqual(['connect']);
    });

    it('should serve every port of every connect event', async () => {
      const hub = startSharedWorker();
      void hub.publish('prices', { BTC: 45000 });
      const [first, second] = connect(2);
      const [third] = connect(1);
      expect(hub.stats().clients).toBe(3);
      const replies = await Promise.all(
        [first, second, third].map((port, index) =>
          ask(port as MessagePort, {
            type: 'get',
            clientId: `tab-${index}`,
            channel: 'prices',
            requestId: index,
          }),
        ),
      );
      expect(replies).toEqual(
        [0, 1, 2].map((requestId) => ({
          type: 'data',
          channel: 'prices',
          data: { BTC: 45000 },
          requestId,
          seq: 1,
        })),
      );
    });

    it('should give the hub the limits it was started with', async () => {
      startSharedWorker({ limits: { maxChannelName: 3 } });
      const [port] = connect(1);
      expect(
        await ask(port as MessagePort, {
          type: 'subscribe',
          clientId: 'tab-1',
          channel: 'abcd',
          requestId: 1,
        }),
      ).toEqual({
        type: 'error',
        name: 'LimitError',
        error: 'channel name limit exceeded: 4 characters (limits.maxChannelName is 3)',
        channel: 'abcd',
        requestId: 1,
      });
    });

    it("should name its database after the worker's name, also when options.name is undefined", async () => {
      const factory = freshIndexedDB();
      Object.assign(scope, { name: 'channels', indexedDB: factory });
      try {
        const hub = startSharedWorker({ persist: true, name: undefined, locks: null });
        await hub.publish('settings', 'dark');
        hub.close();
        expect((await factory.databases()).map(({ name }) => name)).toEqual([
          'shared-channels:channels',
        ]);
      } finally {
        delete scope.name;
        delete scope.indexedDB;
      }
    });

    it('should refuse invalid limits before listening', () => {
      expect(thrownBy(() => startSharedWorker({ limits: { maxPayload: -1 } }))).toStrictEqual(
        new TypeError('startSharedWorker(): limits.maxPayload must be a positive integer, got -1'),
      );
      expect(listeners).toEqual([]);
    });
  });
});
