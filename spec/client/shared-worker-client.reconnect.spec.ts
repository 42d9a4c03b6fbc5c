import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { SharedWorkerClient, TimeoutError, type ConnectionState } from '../../src/index.js';
import type { Endpoint } from '../../src/protocol.js';
import { Hub } from '../../src/worker/hub.js';
import { settle } from '../helpers/wire.js';

/**
 * A worker that can die: the factory connects each new client port to the current hub; `kill()` makes
 * the current hub go silent (as a crashed SharedWorker does: its ports stay open and answer nothing) and
 * puts a fresh, empty hub in its place for the next factory call.
 */
class MortalWorker {
  hub = new Hub({ locks: null });
  made = 0;
  private readonly ports: MessagePort[] = [];
  private readonly muted = new Set<MessagePort>();

  /** How many of the workers made next never answer (`Infinity`: all of them). */
  deadOnArrival = 0;

  readonly factory = (): Endpoint => {
    this.made++;
    const { port1, port2 } = new MessageChannel();
    this.ports.push(port1, port2);
    if (this.deadOnArrival > 0) {
      this.deadOnArrival--;
      return port1 as unknown as Endpoint;
    }
    const hubSide: Endpoint = {
      postMessage: (message) => {
        if (!this.muted.has(port2)) port2.postMessage(message);
      },
      addEventListener: (type, listener) =>
        port2.addEventListener(type, ((event: { data: unknown }) => {
          if (!this.muted.has(port2)) listener(event);
        }) as never),
      removeEventListener: () => undefined,
      start: () => port2.start(),
    };
    this.hub.connect(hubSide);
    this.current.push(port2);
    return port1 as unknown as Endpoint;
  };

  private current: MessagePort[] = [];

  kill(): void {
    for (const port of this.current) this.muted.add(port);
    this.current = [];
    this.hub = new Hub({ locks: null });
  }

  close(): void {
    for (const port of this.ports) port.close();
  }
}

/** Resolves once the client has gone through `states`, in order, after now; records what it saw. */
function waitForStates(
  client: SharedWorkerClient,
  states: ConnectionState[],
  seen: ConnectionState[] = [],
): Promise<void> {
  return new Promise<void>((resolve) => {
    let next = 0;
    let current = true;
    const subscription = client.connectionState$.subscribe((state) => {
      seen.push(state);
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

describe('SharedWorkerClient (reconnect)', () => {
  let worker: MortalWorker;
  let clients: SharedWorkerClient[];

  beforeEach(() => {
    worker = new MortalWorker();
    clients = [];
  });

  afterEach(() => {
    for (const client of clients) client.disconnect();
    worker.close();
  });

  function client(options = {}): SharedWorkerClient {
    const made = new SharedWorkerClient(worker.factory, { heartbeat: 50, ...options });
    clients.push(made);
    return made;
  }

  it('should reconnect to a fresh worker when the hub stops answering, and keep the channel emitting', async () => {
    const a = client();
    const b = client();
    const seenByA: unknown[] = [];
    let errored = false;
    a.channel('prices').subscribe({ next: (v) => seenByA.push(v), error: () => (errored = true) });
    await b.publish('prices', 1);
    await settle();
    expect(seenByA).toEqual([1]);

    const states: ConnectionState[] = [];
    const reopened = waitForStates(a, ['reconnecting', 'open'], states);
    worker.kill();
    await reopened;
    expect(states).toEqual(['open', 'reconnecting', 'open']);
    expect(worker.made).toBeGreaterThanOrEqual(3);

    await b.publish('prices', 2);
    await settle();
    expect(seenByA).toEqual([1, 2]);
    expect(errored).toBe(false);
  });

  it('should give the new hub the newest value any tab knew, without repeating it to subscribers', async () => {
    const a = client();
    const b = client();
    const seenByA: unknown[] = [];
    const seenByB: unknown[] = [];
    a.channel('state').subscribe((v) => seenByA.push(v));
    b.channel('state').subscribe((v) => seenByB.push(v));
    await a.publish('state', 'v1');
    await a.publish('state', 'v2');
    await settle();

    const reopened = Promise.all([
      waitForStates(a, ['reconnecting', 'open']),
      waitForStates(b, ['reconnecting', 'open']),
    ]);
    worker.kill();
    await reopened;
    await settle(20);

    expect(await a.get('state')).toBe('v2');
    expect(worker.hub.stats().channels).toEqual([
      expect.objectContaining({ channel: 'state', subscribers: 2 }),
    ]);
    expect(seenByA).toEqual(['v1', 'v2']);
    expect(seenByB).toEqual(['v1', 'v2']);
  });

  it('should let a publish on the new hub win over the values tabs offer back', async () => {
    const a = client();
    a.channel('doc').subscribe();
    await a.publish('doc', 'old');
    await settle();
    const reopened = waitForStates(a, ['reconnecting', 'open']);
    worker.kill();
    const fresh = new SharedWorkerClient(worker.factory, { heartbeat: 0 });
    clients.push(fresh);
    await fresh.publish('doc', 'new');
    await reopened;
    await settle(20);
    expect(await a.get('doc')).toBe('new');
  });

  it('should answer a get that was in flight when the worker died with the value the tabs restored', async () => {
    const a = client();
    a.channel('state').subscribe();
    await a.publish('state', 'kept');
    await settle();
    const reopened = waitForStates(a, ['reconnecting', 'open']);
    worker.kill();
    const inFlight = a.get('state'); // the dead hub never answers it; the new one must
    await reopened;
    expect(await inFlight).toBe('kept');
  });

  it('should try again when the worker it reconnected to is dead too', async () => {
    const a = client();
    await a.stats();
    worker.deadOnArrival = 1; // the first new worker never answers its hello
    const reopened = waitForStates(a, ['reconnecting', 'open']);
    worker.kill();
    await reopened;
    // The first worker, the dead one, and the one it opened on: a client that kept waiting on the dead
    // one would still be reconnecting (its requests time out after 10 s, this test after 5).
    expect(worker.deadOnArrival).toBe(0);
    expect(worker.made).toBe(3);
    await a.publish('after', 'two deaths');
    expect(worker.hub.get('after')).toBe('two deaths');
  });

  it('should send a request made while reconnecting to the new hub', async () => {
    const a = client();
    await a.stats();
    const reconnecting = waitForStates(a, ['reconnecting']);
    worker.kill();
    await reconnecting;
    const published = a.publish('queued', 'sent later');
    await published;
    expect(worker.hub.get('queued')).toBe('sent later');
  });

  it('should time out a request when no new hub answers within its timeout', async () => {
    const a = client();
    await a.stats();
    worker.deadOnArrival = Infinity;
    const reconnecting = waitForStates(a, ['reconnecting']);
    worker.kill();
    await reconnecting;
    const error: unknown = await a.get('nowhere', { timeout: 80 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toBe(
      'get("nowhere") timed out after 80 ms: no reply from the hub',
    );
  });
});
