import { ProtocolError } from '../../src/errors.js';
import { PROTOCOL_VERSION, type HelloRequest } from '../../src/protocol.js';
import { Connection, type MessageSink } from '../../src/worker/connection.js';
import type { LockManagerLike } from '../../src/transport.js';
import { TabRegistry } from '../../src/worker/tab-registry.js';
import { FakeEndpoint } from '../helpers/fake-endpoint.js';
import { FakeLockManager } from '../helpers/fake-locks.js';
import { thrownBy } from '../helpers/thrown-by.js';

const sink: MessageSink = { receive: () => undefined };

function createConnection(): Connection {
  return new Connection(new FakeEndpoint(), sink, 'hub-1', 1000);
}

function hello(fields: Partial<HelloRequest> = {}): HelloRequest {
  return {
    type: 'hello',
    clientId: 'client-1',
    requestId: 'hello',
    version: PROTOCOL_VERSION,
    ...fields,
  };
}

/** Runs the promise callbacks the lock manager queued, until `condition` holds (or fails the test). */
async function until(condition: () => boolean): Promise<void> {
  for (let round = 0; round < 100; round++) {
    if (condition()) return;
    await Promise.resolve();
  }
  throw new Error('the condition never held');
}

/** Runs every promise callback already queued, and those they queue. */
async function drainMicrotasks(): Promise<void> {
  for (let round = 0; round < 100; round++) await Promise.resolve();
}

/** Holds `name` as another context does, until `locks.crash(name)`. */
function holdElsewhere(locks: FakeLockManager, name: string): void {
  void locks.request(name, () => new Promise(() => undefined));
}

const refusing: LockManagerLike = { request: () => Promise.reject(new Error('denied')) };

describe('TabRegistry', () => {
  describe('.lifeLock', () => {
    it('should request the life lock named after the hub instance', () => {
      const locks = new FakeLockManager();
      const request = jest.spyOn(locks, 'request');
      new TabRegistry(locks, 'instance-1', jest.fn());
      expect(request).toHaveBeenCalledTimes(1);
      expect(request.mock.calls[0]?.[0]).toBe('shared-channels:hub:instance-1');
    });

    it('should be undefined until the life lock is granted, and its name after', async () => {
      const locks = new FakeLockManager();
      holdElsewhere(locks, 'shared-channels:hub:instance-1');
      const registry = new TabRegistry(locks, 'instance-1', jest.fn());
      await drainMicrotasks();
      expect(registry.lifeLock).toBeUndefined();
      locks.crash('shared-channels:hub:instance-1');
      await until(() => registry.lifeLock !== undefined);
      expect(registry.lifeLock).toBe('shared-channels:hub:instance-1');
      expect(locks.isHeld('shared-channels:hub:instance-1')).toBe(true);
    });

    it('should be undefined without a lock manager', async () => {
      const registry = new TabRegistry(null, 'instance-1', jest.fn());
      await drainMicrotasks();
      expect(registry.lifeLock).toBeUndefined();
    });

    it('should be undefined when the lock manager refuses the life lock', async () => {
      const registry = new TabRegistry(refusing, 'instance-1', jest.fn());
      await drainMicrotasks();
      expect(registry.lifeLock).toBeUndefined();
    });
  });

  describe('.afterLifeLock()', () => {
    it('should run at once without a lock manager', () => {
      const registry = new TabRegistry(null, 'instance-1', jest.fn());
      const run = jest.fn();
      registry.afterLifeLock(run);
      expect(run).toHaveBeenCalledTimes(1);
    });

    it('should wait for the life lock to be granted, then run each in order', async () => {
      const locks = new FakeLockManager();
      holdElsewhere(locks, 'shared-channels:hub:instance-1');
      const registry = new TabRegistry(locks, 'instance-1', jest.fn());
      const ran: Array<[string, string | undefined]> = [];
      registry.afterLifeLock(() => ran.push(['first', registry.lifeLock]));
      registry.afterLifeLock(() => ran.push(['second', registry.lifeLock]));
      await drainMicrotasks();
      expect(ran).toEqual([]);
      locks.crash('shared-channels:hub:instance-1');
      await until(() => ran.length === 2);
      expect(ran).toEqual([
        ['first', 'shared-channels:hub:instance-1'],
        ['second', 'shared-channels:hub:instance-1'],
      ]);
    });

    it('should run at once once the life lock is held', async () => {
      const locks = new FakeLockManager();
      const registry = new TabRegistry(locks, 'instance-1', jest.fn());
      await until(() => registry.lifeLock !== undefined);
      const run = jest.fn();
      registry.afterLifeLock(run);
      expect(run).toHaveBeenCalledTimes(1);
    });

    it('should run once the lock manager refused the life lock', async () => {
      const registry = new TabRegistry(refusing, 'instance-1', jest.fn());
      const run = jest.fn();
      registry.afterLifeLock(run);
      await until(() => run.mock.calls.length > 0);
      expect(run).toHaveBeenCalledTimes(1);
      expect(registry.lifeLock).toBeUndefined();
    });
  });

  describe('.close()', () => {
    it('should let go of the life lock and clear lifeLock', async () => {
      const locks = new FakeLockManager();
      const registry = new TabRegistry(locks, 'instance-1', jest.fn());
      await until(() => registry.lifeLock !== undefined);
      registry.close();
      expect(registry.lifeLock).toBeUndefined();
      await until(() => !locks.isHeld('shared-channels:hub:instance-1'));
    });

    it('should let go at once of a life lock granted after the close, and run what waited', async () => {
      const locks = new FakeLockManager();
      holdElsewhere(locks, 'shared-channels:hub:instance-1');
      const registry = new TabRegistry(locks, 'instance-1', jest.fn());
      const run = jest.fn();
      registry.afterLifeLock(run);
      registry.close();
      locks.crash('shared-channels:hub:instance-1');
      await until(() => run.mock.calls.length > 0);
      expect(registry.lifeLock).toBeUndefined();
      await until(() => !locks.isHeld('shared-channels:hub:instance-1'));
    });
  });

  describe('.claim()', () => {
    it('should bind a clientId to the first connection that uses it', () => {
      const registry = new TabRegistry(null, 'instance-1', jest.fn());
      const connection = createConnection();
      registry.claim(connection, 'client-1');
      expect(connection.clientId).toBe('client-1');
      expect(() => registry.claim(connection, 'client-1')).not.toThrow();
    });

    it("should refuse another connection's claim of a bound clientId", () => {
      const registry = new TabRegistry(null, 'instance-1', jest.fn());
      const owner = createConnection();
      const other = createConnection();
      registry.claim(owner, 'client-1');
      expect(thrownBy(() => registry.claim(other, 'client-1'))).toStrictEqual(
        new ProtocolError('clientId "client-1" belongs to another port'),
      );
      expect(other.clientId).toBeUndefined();
      expect(owner.clientId).toBe('client-1');
    });

    it('should refuse a second clientId on one connection', () => {
      const registry = new TabRegistry(null, 'instance-1', jest.fn());
      const connection = createConnection();
      registry.claim(connection, 'client-1');
      expect(thrownBy(() => registry.claim(connection, 'client-2'))).toStrictEqual(
        new ProtocolError('clientId "client-2" is not this port\'s (it is "client-1")'),
      );
      expect(connection.clientId).toBe('client-1');
      expect(() => registry.claim(createConnection(), 'client-2')).not.toThrow();
    });
  });

  describe('.greet()', () => {
    it.each([
      [['batch', 'cleared'], true, true],
      [['batch'], true, false],
      [['cleared'], false, true],
      [[], false, false],
      [undefined, false, false],
    ])(
      'should set what the connection understands from the features %j',
      (features, acceptsBatch, hearsCleared) => {
        const registry = new TabRegistry(null, 'instance-1', jest.fn());
        const connection = createConnection();
        registry.greet(connection, hello(features === undefined ? {} : { features }));
        expect(connection.acceptsBatch).toBe(acceptsBatch);
        expect(connection.hearsCleared).toBe(hearsCleared);
      },
    );

    it("should attach the hello's session to the connection", () => {
      const registry = new TabRegistry(null, 'instance-1', jest.fn());
      const connection = createConnection();
      registry.greet(connection, hello({ session: 'session-1' }));
      expect(connection.session?.id).toBe('session-1');
      expect(connection.session?.sink).toBe(connection);
    });

    it('should resume a session the hub knows on a new connection', () => {
      const registry = new TabRegistry(null, 'instance-1', jest.fn());
      const first = createConnection();
      const second = createConnection();
      registry.greet(first, hello({ session: 'session-1' }));
      registry.greet(second, hello({ clientId: 'client-2', session: 'session-1' }));
      expect(second.session).toBe(first.session);
      expect(second.session?.sink).toBe(second);
    });

    it('should attach no session to a hello without one', () => {
      const registry = new TabRegistry(null, 'instance-1', jest.fn());
      const connection = createConnection();
      registry.greet(connection, hello());
      expect(connection.session).toBeUndefined();
    });

    it("should forget the tab once the tab's liveness lock is granted", async () => {
      const locks = new FakeLockManager();
      const forgetTab = jest.fn<void, [Connection]>();
      const registry = new TabRegistry(locks, 'instance-1', forgetTab);
      const connection = createConnection();
      holdElsewhere(locks, 'shared-channels:client-1');
      registry.greet(connection, hello({ lock: 'shared-channels:client-1' }));
      await drainMicrotasks();
      expect(forgetTab).not.toHaveBeenCalled();
      locks.crash('shared-channels:client-1');
      await until(() => forgetTab.mock.calls.length > 0);
      expect(forgetTab.mock.calls).toEqual([[connection]]);
      expect(forgetTab.mock.calls[0]?.[0]).toBe(connection);
    });

    it('should refuse a second hello on the same connection', async () => {
      const locks = new FakeLockManager();
      const request = jest.spyOn(locks, 'request');
      const registry = new TabRegistry(locks, 'instance-1', jest.fn());
      const connection = createConnection();
      registry.greet(connection, hello({ features: ['batch'], session: 'session-1', lock: 'a' }));
      const session = connection.session;
      expect(
        thrownBy(() =>
          registry.greet(
            connection,
            hello({ features: ['cleared'], session: 'session-2', lock: 'b' }),
          ),
        ),
      ).toStrictEqual(
        new ProtocolError('hello: this port already said hello; open a new port to start again'),
      );
      await drainMicrotasks();
      expect(connection.acceptsBatch).toBe(true);
      expect(connection.hearsCleared).toBe(false);
      expect(connection.session).toBe(session);
      expect(request.mock.calls.map(([name]) => name)).toEqual([
        'shared-channels:hub:instance-1',
        'a',
      ]);
    });
  });

  describe('.forget()', () => {
    it('should return false for a connection it does not know', () => {
      const registry = new TabRegistry(null, 'instance-1', jest.fn());
      expect(registry.forget(createConnection())).toBe(false);
    });

    it('should return true once, then false', () => {
      const registry = new TabRegistry(null, 'instance-1', jest.fn());
      const connection = createConnection();
      registry.connections.add(connection);
      expect(registry.forget(connection)).toBe(true);
      expect(registry.connections.has(connection)).toBe(false);
      expect(registry.forget(connection)).toBe(false);
    });

    it("should free the connection's clientId for another connection", () => {
      const registry = new TabRegistry(null, 'instance-1', jest.fn());
      const first = createConnection();
      const second = createConnection();
      registry.connections.add(first);
      registry.claim(first, 'client-1');
      registry.forget(first);
      expect(() => registry.claim(second, 'client-1')).not.toThrow();
      expect(second.clientId).toBe('client-1');
    });

    it('should detach the session from the connection it forgets', () => {
      const registry = new TabRegistry(null, 'instance-1', jest.fn());
      const connection = createConnection();
      registry.connections.add(connection);
      registry.greet(connection, hello({ session: 'session-1' }));
      const session = connection.session;
      registry.forget(connection);
      expect(session?.sink).toBeUndefined();
      expect(session?.detachedAt).toBeGreaterThan(0);
    });

    it('should leave a session attached to the newer connection that resumed it', () => {
      const registry = new TabRegistry(null, 'instance-1', jest.fn());
      const old = createConnection();
      const current = createConnection();
      registry.connections.add(old);
      registry.connections.add(current);
      registry.greet(old, hello({ session: 'session-1' }));
      registry.greet(current, hello({ clientId: 'client-2', session: 'session-1' }));
      registry.forget(old);
      expect(current.session?.sink).toBe(current);
      registry.forget(current);
      expect(current.session?.sink).toBeUndefined();
    });
  });
});
