import type { Endpoint } from '../../src/protocol.js';
import { Connection, type MessageSink } from '../../src/worker/connection.js';
import { FakeEndpoint, endOfTask } from '../helpers/fake-endpoint.js';

function createSink(): MessageSink & { received: Array<[Connection, unknown]> } {
  const received: Array<[Connection, unknown]> = [];
  return { received, receive: (connection, raw) => received.push([connection, raw]) };
}

describe('Connection', () => {
  let endpoint: FakeEndpoint;
  let sink: ReturnType<typeof createSink>;
  let connection: Connection;

  beforeEach(() => {
    endpoint = new FakeEndpoint();
    sink = createSink();
    connection = new Connection(endpoint, sink, 'hub-1', 5);
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  describe('constructor', () => {
    it('should listen to the port and start it', () => {
      expect(endpoint.listeners.size).toBe(1);
      expect(endpoint.started).toBe(1);
    });

    it('should work with a port that has no start()', () => {
      const addEventListener = jest.fn();
      const bare: Endpoint = {
        postMessage: jest.fn(),
        addEventListener,
        removeEventListener: jest.fn(),
      };
      expect(() => new Connection(bare, sink, 'hub-1', 5)).not.toThrow();
      expect(addEventListener).toHaveBeenCalledTimes(1);
    });

    it('should start with no clientId, no subscriptions and no batching', () => {
      expect(connection.clientId).toBeUndefined();
      expect([...connection.subscriptions]).toEqual([]);
      expect(connection.acceptsBatch).toBe(false);
    });
  });

  describe('receiving', () => {
    it('should hand each message to the sink with its connection, in order', () => {
      endpoint.deliver('first');
      endpoint.deliver({ not: 'a string' });
      expect(sink.received).toEqual([
        [connection, 'first'],
        [connection, { not: 'a string' }],
      ]);
      expect(sink.received[0]?.[0]).toBe(connection);
    });
  });

  describe('.send()', () => {
    it('should post a lone message as it is, at the end of the task', async () => {
      connection.send('{"type":"published","channel":"a","requestId":1}');
      expect(endpoint.posted).toEqual([]);
      await endOfTask();
      expect(endpoint.posted).toEqual(['{"type":"published","channel":"a","requestId":1}']);
    });

    it('should post a lone message unwrapped, stamped with the instanceId, to a batch-accepting port', async () => {
      connection.acceptsBatch = true;
      connection.send('{"type":"published","channel":"a","requestId":1}');
      await endOfTask();
      expect(endpoint.posted).toEqual([
        '{"type":"published","channel":"a","requestId":1,"instanceId":"hub-1"}',
      ]);
    });

    it('should post every message of one task as one batch envelope to a batch-accepting port', async () => {
      connection.acceptsBatch = true;
      connection.send('{"n":1}');
      connection.send('{"n":2}');
      connection.send('{"n":3}');
      await endOfTask();
      expect(endpoint.posted).toEqual([
        '{"type":"batch","instanceId":"hub-1","messages":[{"n":1},{"n":2},{"n":3}]}',
      ]);
    });

    it('should post every message separately, in order, to a port that did not ask for batches', async () => {
      connection.send('{"n":1}');
      connection.send('{"n":2}');
      connection.send('{"n":3}');
      await endOfTask();
      expect(endpoint.posted).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']);
    });

    it('should post messages of different tasks in different envelopes', async () => {
      connection.acceptsBatch = true;
      connection.send('{"n":1}');
      connection.send('{"n":2}');
      await endOfTask();
      connection.send('{"n":3}');
      await endOfTask();
      expect(endpoint.posted).toEqual([
        '{"type":"batch","instanceId":"hub-1","messages":[{"n":1},{"n":2}]}',
        '{"n":3,"instanceId":"hub-1"}',
      ]);
    });

    it('should not throw out when postMessage throws, and keep serving the port', () => {
      const flushes: Array<() => void> = [];
      jest.spyOn(globalThis, 'queueMicrotask').mockImplementation((flush) => flushes.push(flush));
      endpoint.failNext = 1;
      connection.send('{"n":1}');
      expect(flushes).toHaveLength(1);
      expect(() => flushes[0]?.()).not.toThrow();
      expect(endpoint.posted).toEqual([]);
      connection.send('{"n":2}');
      expect(flushes).toHaveLength(2);
      flushes[1]?.();
      expect(endpoint.posted).toEqual(['{"n":2}']);
    });

    it('should not throw out when postMessage throws on a batch', () => {
      const flushes: Array<() => void> = [];
      jest.spyOn(globalThis, 'queueMicrotask').mockImplementation((flush) => flushes.push(flush));
      connection.acceptsBatch = true;
      endpoint.failNext = 1;
      connection.send('{"n":1}');
      connection.send('{"n":2}');
      expect(flushes).toHaveLength(1);
      expect(() => flushes[0]?.()).not.toThrow();
      expect(endpoint.posted).toEqual([]);
    });
  });

  describe('.take()', () => {
    let now: jest.SpyInstance<number, []>;
    let limited: Connection;

    beforeEach(() => {
      now = jest.spyOn(Date, 'now').mockReturnValue(10_000);
      limited = new Connection(new FakeEndpoint(), sink, 'hub-1', 5);
    });

    it('should allow a burst as large as the rate, then nothing', () => {
      expect(limited.take(3)).toBe(3);
      expect(limited.take(2)).toBe(2);
      expect(limited.take(1)).toBe(0);
    });

    it('should grant what is left of a request for more, so only the excess is refused', () => {
      expect(limited.take(4)).toBe(4);
      expect(limited.take(3)).toBe(1);
      expect(limited.take(1)).toBe(0);
    });

    it('should refill at the rate per second, never above it', () => {
      expect(limited.take(5)).toBe(5);
      now.mockReturnValue(10_400);
      expect(limited.take(5)).toBe(2);
      now.mockReturnValue(100_000);
      expect(limited.take(9)).toBe(5);
      expect(limited.take(1)).toBe(0);
    });
  });

  describe('.close()', () => {
    it('should stop listening to the port', () => {
      connection.close();
      expect(endpoint.listeners.size).toBe(0);
      endpoint.deliver('late');
      expect(sink.received).toEqual([]);
    });

    it('should drop what was queued and send nothing more', async () => {
      connection.send('{"n":1}');
      connection.close();
      connection.send('{"n":2}');
      await endOfTask();
      await endOfTask();
      expect(endpoint.posted).toEqual([]);
    });
  });
});
