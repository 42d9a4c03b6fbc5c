import {
  HubLink,
  START_GRACE_MS,
  type LinkEvents,
  type LinkOptions,
} from '../../src/client/hub-link.js';
import type { HubEvents, LockManagerLike } from '../../src/transport.js';
import { PROTOCOL_VERSION, type WelcomeResponse } from '../../src/protocol.js';
import { FakeEndpoint, endOfTask } from '../helpers/fake-endpoint.js';
import { FakeLockManager } from '../helpers/fake-locks.js';

const HEARTBEAT = 1000;
const TIMEOUT = 5000;
const HUB_LOCK = 'shared-channels:hub:hub-1';

/** A SharedWorker's `error` event, which the link takes for the hub's loss. */
class FakeWorker implements HubEvents {
  readonly listeners = new Set<(event: unknown) => void>();

  addEventListener(_type: 'error', listener: (event: unknown) => void): void {
    this.listeners.add(listener);
  }

  removeEventListener(_type: 'error', listener: (event: unknown) => void): void {
    this.listeners.delete(listener);
  }

  fail(): void {
    for (const listener of this.listeners) listener(new Event('error'));
  }
}

interface Fixture {
  link: HubLink;
  endpoint: FakeEndpoint;
  worker: FakeWorker;
  events: { [K in keyof LinkEvents]: jest.Mock };
}

let opened: Fixture[] = [];

/** A link over a fresh fake port; its events are mocks. */
function open(options: Partial<LinkOptions> = {}, endpoint = new FakeEndpoint()): Fixture {
  const worker = new FakeWorker();
  const events = {
    message: jest.fn(),
    welcomed: jest.fn(),
    refused: jest.fn(),
    lost: jest.fn(),
    failed: jest.fn(),
  };
  const link = new HubLink({ endpoint, hub: worker }, events, {
    locks: undefined,
    session: 'session-1',
    heartbeat: HEARTBEAT,
    timeout: TIMEOUT,
    settled: () => 0,
    startErrors: true,
    ...options,
  });
  const fixture = { link, endpoint, worker, events };
  opened.push(fixture);
  return fixture;
}

function welcome(fields: Partial<WelcomeResponse> = {}): WelcomeResponse {
  return {
    type: 'welcome',
    requestId: 'hello',
    version: PROTOCOL_VERSION,
    instanceId: 'hub-1',
    features: ['batch'],
    limits: { maxMessage: 1_000_000, maxPayload: 100_000, maxRequestsPerSecond: 1000 },
    ...fields,
  };
}

/** The hub says `response`: it arrives on the port, and the client hands it to the link first. */
function hear({ link, endpoint }: Fixture, response: object): boolean {
  endpoint.deliver(JSON.stringify(response));
  return link.answer(response as Parameters<HubLink['answer']>[0]);
}

/** Everything posted so far, parsed (batches kept whole); then forgets it. */
function takePosted(endpoint: FakeEndpoint): Array<Record<string, unknown>> {
  return endpoint.posted
    .splice(0)
    .map((raw) => JSON.parse(raw as string) as Record<string, unknown>);
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

/** A request as the link puts it on the wire. */
function request(link: HubLink, requestId: number, channel = 'c'): string {
  return `{"type":"publish","clientId":${link.clientIdJson},"channel":"${channel}","requestId":${requestId}}`;
}

function send(link: HubLink, requestId: number, channel = 'c'): void {
  link.send('publish', `,"channel":"${channel}","requestId":${requestId}`);
}

/** A lock manager the hub holds `HUB_LOCK` of, as a live hub does; `crash` lets it go. */
function locksWithLiveHub(): FakeLockManager {
  const locks = new FakeLockManager();
  void locks.request(HUB_LOCK, () => new Promise(() => undefined));
  return locks;
}

/** A welcomed link that watches a hub holding a life lock. */
async function welcomedWithLifeLock(): Promise<{ fixture: Fixture; locks: FakeLockManager }> {
  const locks = locksWithLiveHub();
  const fixture = open({ locks });
  await until(() => fixture.endpoint.posted.length === 1);
  hear(fixture, welcome({ lock: HUB_LOCK }));
  await drainMicrotasks();
  return { fixture, locks };
}

/** A welcomed link to a hub that holds no life lock, with what it posted so far forgotten. */
function welcomedWithoutLifeLock(options: Partial<LinkOptions> = {}): Fixture {
  const fixture = open(options);
  hear(fixture, welcome());
  fixture.endpoint.posted.length = 0;
  return fixture;
}

function isPing(message: unknown): boolean {
  return typeof message === 'string' && (JSON.parse(message) as { type?: unknown }).type === 'ping';
}

describe('HubLink', () => {
  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['queueMicrotask'] });
  });

  afterEach(() => {
    for (const { link } of opened) link.close();
    opened = [];
    jest.useRealTimers();
  });

  describe('constructor', () => {
    it('should say hello with its session, its features and its tab lock once it holds that lock', async () => {
      const locks = new FakeLockManager();
      const heldWhenPosted: boolean[] = [];
      const endpoint = new FakeEndpoint();
      const post = endpoint.postMessage.bind(endpoint);
      endpoint.postMessage = (message) => {
        heldWhenPosted.push(locks.isHeld(`shared-channels:${link.clientId}`));
        post(message);
      };
      const { link } = open({ locks }, endpoint);
      await until(() => endpoint.posted.length > 0);
      expect(takePosted(endpoint)).toStrictEqual([
        {
          type: 'hello',
          clientId: link.clientId,
          requestId: 'hello',
          version: PROTOCOL_VERSION,
          features: ['batch', 'cleared'],
          session: 'session-1',
          lock: `shared-channels:${link.clientId}`,
        },
      ]);
      expect(heldWhenPosted).toEqual([true]);
    });

    it('should say hello without a lock when there is no lock manager', () => {
      const { link, endpoint } = open({ locks: undefined });
      expect(takePosted(endpoint)).toStrictEqual([
        {
          type: 'hello',
          clientId: link.clientId,
          requestId: 'hello',
          version: PROTOCOL_VERSION,
          features: ['batch', 'cleared'],
          session: 'session-1',
        },
      ]);
    });

    it('should say hello without a lock when the lock manager refuses the tab lock', async () => {
      const locks: LockManagerLike = { request: () => Promise.reject(new Error('denied')) };
      const { endpoint } = open({ locks });
      await until(() => endpoint.posted.length > 0);
      const [hello] = takePosted(endpoint);
      expect(hello).toMatchObject({ type: 'hello', session: 'session-1' });
      expect(hello).not.toHaveProperty('lock');
    });

    it('should use a clientId of its own on each link', () => {
      const first = open();
      const second = open();
      expect(first.link.clientId).not.toBe(second.link.clientId);
      expect(takePosted(second.endpoint)[0]).toMatchObject({ clientId: second.link.clientId });
    });

    it('should listen to the port and start it', () => {
      const { endpoint } = open();
      expect(endpoint.listeners.size).toBe(1);
      expect(endpoint.started).toBe(1);
    });
  });

  describe('receiving', () => {
    it('should hand every message from the hub to message, as it came', () => {
      const { endpoint, events } = open();
      endpoint.deliver('{"type":"data","channel":"c","data":1,"seq":1}');
      endpoint.deliver({ not: 'a string' });
      expect(events.message.mock.calls).toEqual([
        ['{"type":"data","channel":"c","data":1,"seq":1}'],
        [{ not: 'a string' }],
      ]);
    });
  });

  describe('.answer()', () => {
    it('should call welcomed once with the welcome, and take no second welcome', () => {
      const fixture = open();
      const first = welcome({ instanceId: 'hub-1' });
      expect(hear(fixture, first)).toBe(true);
      expect(hear(fixture, welcome({ instanceId: 'hub-2' }))).toBe(false);
      expect(fixture.events.welcomed.mock.calls).toEqual([[first]]);
      expect(fixture.link.welcome).toEqual(first);
      expect(fixture.link.limits).toEqual(first.limits);
    });

    it('should call refused with the name and message of an error answering the hello', () => {
      const fixture = open();
      const refusal = {
        type: 'error',
        requestId: 'hello',
        name: 'VersionMismatchError',
        error: 'version 2 expected',
      };
      expect(hear(fixture, refusal)).toBe(true);
      expect(fixture.events.refused.mock.calls).toEqual([
        ['VersionMismatchError', 'version 2 expected'],
      ]);
      expect(fixture.events.welcomed).not.toHaveBeenCalled();
      expect(fixture.link.welcome).toBeUndefined();
    });

    it('should not take a hub that refused the hello for lost as well', () => {
      const fixture = open();
      hear(fixture, { type: 'error', requestId: 'hello', name: 'Error', error: 'unknown type' });
      jest.advanceTimersByTime(HEARTBEAT * 10);
      expect(fixture.events.lost).not.toHaveBeenCalled();
    });

    it('should leave every other message to the client', () => {
      const fixture = open();
      expect(fixture.link.answer({ type: 'data', requestId: 3 })).toBe(false);
      expect(fixture.link.answer({ type: 'error', requestId: 3, error: 'no' })).toBe(false);
      expect(fixture.link.answer({ type: 'welcome', requestId: 3 })).toBe(false);
      expect(fixture.events.welcomed).not.toHaveBeenCalled();
      expect(fixture.events.refused).not.toHaveBeenCalled();
    });
  });

  describe('watching the hub', () => {
    describe('that holds a life lock', () => {
      it('should never ping it, however long it is silent', async () => {
        const { fixture } = await welcomedWithLifeLock();
        fixture.endpoint.posted.length = 0;
        jest.advanceTimersByTime(HEARTBEAT * 100);
        await drainMicrotasks();
        expect(fixture.endpoint.posted).toEqual([]);
        expect(fixture.events.lost).not.toHaveBeenCalled();
      });

      it('should report the hub lost once when its life lock is granted', async () => {
        const { fixture, locks } = await welcomedWithLifeLock();
        expect(fixture.events.lost).not.toHaveBeenCalled();
        locks.crash(HUB_LOCK);
        await until(() => fixture.events.lost.mock.calls.length > 0);
        jest.advanceTimersByTime(HEARTBEAT * 10);
        await drainMicrotasks();
        expect(fixture.events.lost).toHaveBeenCalledTimes(1);
        // Granted, the life lock is let go at once, for the other tabs that wait for it.
        expect(locks.isHeld(HUB_LOCK)).toBe(false);
      });

      it('should watch it with pings when the lock manager refuses the life lock', async () => {
        const tabLocks = new FakeLockManager();
        const locks: LockManagerLike = {
          request: (name, callback) =>
            name === HUB_LOCK
              ? Promise.reject(new Error('denied'))
              : tabLocks.request(name, callback),
        };
        const fixture = open({ locks });
        await until(() => fixture.endpoint.posted.length === 1);
        hear(fixture, welcome({ lock: HUB_LOCK }));
        await drainMicrotasks();
        fixture.endpoint.posted.length = 0;
        jest.advanceTimersByTime(HEARTBEAT * 1.5);
        expect(fixture.endpoint.posted.filter(isPing)).toHaveLength(1);
      });
    });

    describe('that holds no life lock', () => {
      it('should ping it after a heartbeat of silence', () => {
        const { link, endpoint } = welcomedWithoutLifeLock();
        jest.advanceTimersByTime(HEARTBEAT - 1);
        expect(endpoint.posted).toEqual([]);
        jest.advanceTimersByTime(HEARTBEAT / 2 + 1);
        expect(endpoint.posted).toEqual([
          `{"type":"ping","clientId":${link.clientIdJson},"requestId":"ping"}`,
        ]);
      });

      it('should not ping it while it keeps talking', () => {
        const fixture = welcomedWithoutLifeLock();
        for (let step = 0; step < 20; step++) {
          jest.advanceTimersByTime(HEARTBEAT / 4);
          fixture.endpoint.deliver('{"type":"data","channel":"c","data":1,"seq":1}');
        }
        expect(fixture.endpoint.posted).toEqual([]);
      });

      it('should report the hub lost when a ping is unanswered within a heartbeat', () => {
        const fixture = welcomedWithoutLifeLock();
        jest.advanceTimersByTime(HEARTBEAT);
        expect(fixture.endpoint.posted.filter(isPing)).toHaveLength(1);
        jest.advanceTimersByTime(HEARTBEAT - 1);
        expect(fixture.events.lost).not.toHaveBeenCalled();
        jest.advanceTimersByTime(1);
        expect(fixture.events.lost).toHaveBeenCalledTimes(1);
        jest.advanceTimersByTime(HEARTBEAT * 10);
        expect(fixture.events.lost).toHaveBeenCalledTimes(1);
        expect(fixture.endpoint.posted.filter(isPing)).toHaveLength(1);
      });

      it('should not report the hub lost when any message arrived while it waited for the pong', () => {
        const fixture = welcomedWithoutLifeLock();
        jest.advanceTimersByTime(HEARTBEAT);
        expect(fixture.endpoint.posted.filter(isPing)).toHaveLength(1);
        jest.advanceTimersByTime(HEARTBEAT / 2);
        fixture.endpoint.deliver('{"type":"data","channel":"c","data":1,"seq":1}');
        jest.advanceTimersByTime(HEARTBEAT / 2);
        expect(fixture.events.lost).not.toHaveBeenCalled();
      });

      it('should keep a hub that answers its pings', () => {
        const fixture = welcomedWithoutLifeLock();
        let pings = 0;
        for (let step = 0; step < 40; step++) {
          jest.advanceTimersByTime(HEARTBEAT / 2);
          const asked = fixture.endpoint.posted.splice(0).filter(isPing).length;
          pings += asked;
          if (asked > 0) hear(fixture, { type: 'pong', requestId: 'ping', instanceId: 'hub-1' });
        }
        expect(pings).toBeGreaterThan(5);
        expect(fixture.events.lost).not.toHaveBeenCalled();
      });
    });

    it('should report the hub lost when the hello is unanswered within a heartbeat', () => {
      const { events } = open();
      jest.advanceTimersByTime(HEARTBEAT - 1);
      expect(events.lost).not.toHaveBeenCalled();
      jest.advanceTimersByTime(1);
      expect(events.lost).toHaveBeenCalledTimes(1);
    });

    it('should wait for the welcome for the timeout when there is no liveness window', () => {
      const fixture = open({ heartbeat: 0 });
      jest.advanceTimersByTime(TIMEOUT - 1);
      expect(fixture.events.lost).not.toHaveBeenCalled();
      jest.advanceTimersByTime(1);
      expect(fixture.events.lost).toHaveBeenCalledTimes(1);
    });

    it('should never ping without a liveness window', () => {
      const fixture = welcomedWithoutLifeLock({ heartbeat: 0 });
      jest.advanceTimersByTime(TIMEOUT * 10);
      expect(fixture.endpoint.posted).toEqual([]);
      expect(fixture.events.lost).not.toHaveBeenCalled();
    });

    it('should not report the hub lost when the welcome comes in time', () => {
      const fixture = open();
      jest.advanceTimersByTime(HEARTBEAT - 1);
      hear(fixture, welcome());
      jest.advanceTimersByTime(HEARTBEAT);
      expect(fixture.events.lost).not.toHaveBeenCalled();
    });

    it('should report the hub lost when the worker reports an error', () => {
      const fixture = open();
      hear(fixture, welcome());
      fixture.worker.fail();
      expect(fixture.events.lost).toHaveBeenCalledTimes(1);
      jest.advanceTimersByTime(START_GRACE_MS * 10);
      expect(fixture.events.failed).not.toHaveBeenCalled();
    });
  });

  describe('a worker that reports an error before the welcome', () => {
    it('should be reported failed once when no welcome follows within the grace', () => {
      const fixture = open({ heartbeat: START_GRACE_MS / 5 });
      fixture.worker.fail();
      fixture.worker.fail();
      jest.advanceTimersByTime(START_GRACE_MS - 1);
      expect(fixture.events.failed).not.toHaveBeenCalled();
      jest.advanceTimersByTime(1);
      expect(fixture.events.failed).toHaveBeenCalledTimes(1);
      jest.advanceTimersByTime(HEARTBEAT * 10);
      expect(fixture.events.failed).toHaveBeenCalledTimes(1);
      // The handshake's own deadline (shorter here) gives way to the grace: no reconnect meanwhile.
      expect(fixture.events.lost).not.toHaveBeenCalled();
    });

    it('should be reported failed when the error comes before the tab lock and the hello', async () => {
      const locks = new FakeLockManager();
      const fixture = open({ locks });
      fixture.worker.fail();
      await until(() => fixture.endpoint.posted.length === 1);
      jest.advanceTimersByTime(START_GRACE_MS);
      expect(fixture.events.failed).toHaveBeenCalledTimes(1);
      expect(fixture.events.lost).not.toHaveBeenCalled();
    });

    it('should be kept when its hub welcomes the link within the grace (a script that threw after starting the hub)', () => {
      const fixture = open();
      fixture.worker.fail();
      jest.advanceTimersByTime(START_GRACE_MS - 1);
      hear(fixture, welcome());
      jest.advanceTimersByTime(START_GRACE_MS);
      expect(fixture.events.welcomed).toHaveBeenCalledTimes(1);
      expect(fixture.events.failed).not.toHaveBeenCalled();
      expect(fixture.events.lost).not.toHaveBeenCalled();
    });

    it('should report the hub lost at once when its errors only ever mean a loss (an elected hub)', () => {
      const fixture = open({ startErrors: false });
      fixture.worker.fail();
      expect(fixture.events.lost).toHaveBeenCalledTimes(1);
      jest.advanceTimersByTime(START_GRACE_MS * 10);
      expect(fixture.events.failed).not.toHaveBeenCalled();
    });

    it('should report nothing once the link is closed', () => {
      const fixture = open();
      fixture.worker.fail();
      fixture.link.close();
      jest.advanceTimersByTime(START_GRACE_MS * 10);
      expect(fixture.events.failed).not.toHaveBeenCalled();
      expect(fixture.events.lost).not.toHaveBeenCalled();
    });
  });

  describe('.send()', () => {
    it('should post the hello before any request, however long the tab lock takes', async () => {
      // The browser grants a lock in a later task, not in the one that asked for it.
      const tabLocks = new FakeLockManager();
      const locks: LockManagerLike = {
        request: (name, callback) =>
          new Promise((resolve) => setTimeout(resolve, 10)).then(() =>
            tabLocks.request(name, callback),
          ),
      };
      const { link, endpoint } = open({ locks });
      send(link, 1);
      await endOfTask();
      jest.advanceTimersByTime(10);
      await until(() => endpoint.posted.length >= 2);
      const types = takePosted(endpoint).map((message) => message.type);
      expect(types).toEqual(['hello', 'publish']);
    });

    it('should post each request alone before the welcome', async () => {
      const { link, endpoint } = open();
      endpoint.posted.length = 0;
      send(link, 1);
      send(link, 2);
      expect(endpoint.posted).toEqual([]);
      await endOfTask();
      expect(endpoint.posted).toEqual([request(link, 1), request(link, 2)]);
    });

    it('should post what one task sends as one batch after the welcome', async () => {
      const { link, endpoint } = welcomedWithoutLifeLock();
      send(link, 1);
      send(link, 2);
      send(link, 3);
      expect(endpoint.posted).toEqual([]);
      await endOfTask();
      expect(endpoint.posted).toEqual([
        `{"type":"batch","messages":[${request(link, 1)},${request(link, 2)},${request(link, 3)}]}`,
      ]);
    });

    it('should post a lone request as it is after the welcome', async () => {
      const { link, endpoint } = welcomedWithoutLifeLock();
      send(link, 1);
      await endOfTask();
      expect(endpoint.posted).toEqual([request(link, 1)]);
    });

    it('should post what different tasks send in different messages', async () => {
      const { link, endpoint } = welcomedWithoutLifeLock();
      send(link, 1);
      await endOfTask();
      send(link, 2);
      await endOfTask();
      expect(endpoint.posted).toEqual([request(link, 1), request(link, 2)]);
    });

    it('should post each request alone to a hub that does not take batches', async () => {
      const fixture = open();
      hear(fixture, welcome({ features: [] }));
      fixture.endpoint.posted.length = 0;
      send(fixture.link, 1);
      send(fixture.link, 2);
      await endOfTask();
      expect(fixture.endpoint.posted).toEqual([request(fixture.link, 1), request(fixture.link, 2)]);
    });

    it('should split a flush into several messages, none larger than the hub reads, in order', async () => {
      const maxMessage = 400;
      const fixture = open({ settled: () => 12 });
      hear(
        fixture,
        welcome({ limits: { maxMessage, maxPayload: 100, maxRequestsPerSecond: 1000 } }),
      );
      fixture.endpoint.posted.length = 0;
      // Three of these requests fit in maxMessage, but not with a batch envelope around them.
      const channel = 'x'.repeat(25);
      for (let requestId = 1; requestId <= 10; requestId++) send(fixture.link, requestId, channel);
      await endOfTask();
      const posted = fixture.endpoint.posted as string[];
      expect(posted.length).toBeGreaterThan(1);
      for (const message of posted) expect(message.length).toBeLessThanOrEqual(maxMessage);
      const requestIds = fixture.endpoint.take().map((message) => message.requestId);
      expect(requestIds).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    });

    it('should put settled in the first message of a flush only when it grew', async () => {
      let settled = 0;
      const fixture = open({ settled: () => settled });
      hear(
        fixture,
        welcome({ limits: { maxMessage: 400, maxPayload: 100, maxRequestsPerSecond: 1000 } }),
      );
      const { link, endpoint } = fixture;
      endpoint.posted.length = 0;

      send(link, 1);
      await endOfTask();
      settled = 1;
      send(link, 2);
      await endOfTask();
      send(link, 3);
      await endOfTask();
      settled = 3;
      send(link, 4);
      send(link, 5);
      await endOfTask();
      expect(endpoint.posted).toEqual([
        request(link, 1),
        `${request(link, 2).slice(0, -1)},"settled":1}`,
        request(link, 3),
        `{"type":"batch","settled":3,"messages":[${request(link, 4)},${request(link, 5)}]}`,
      ]);

      endpoint.posted.length = 0;
      settled = 5;
      const channel = 'x'.repeat(60);
      for (let requestId = 6; requestId <= 11; requestId++) send(link, requestId, channel);
      await endOfTask();
      const posted = endpoint.posted as string[];
      expect(posted.length).toBeGreaterThan(1);
      expect(posted.map((message) => message.includes('"settled"'))).toEqual(
        posted.map((_, index) => index === 0),
      );
      expect(posted[0]).toMatch(/^\{"type":"batch","settled":5,"messages":\[/);
    });

    it('should post nothing after close()', async () => {
      const { link, endpoint } = welcomedWithoutLifeLock();
      link.close();
      endpoint.posted.length = 0;
      send(link, 1);
      await endOfTask();
      expect(endpoint.posted).toEqual([]);
    });
  });

  describe('.close()', () => {
    it('should say bye', () => {
      const { link, endpoint } = welcomedWithoutLifeLock();
      link.close();
      expect(endpoint.posted).toEqual([`{"type":"bye","clientId":${link.clientIdJson}}`]);
    });

    it('should report nothing more: no message, no lost', () => {
      const fixture = welcomedWithoutLifeLock();
      fixture.events.message.mockClear();
      fixture.link.close();
      fixture.endpoint.deliver('{"type":"data","channel":"c","data":1,"seq":1}');
      fixture.worker.fail();
      jest.advanceTimersByTime(HEARTBEAT * 10);
      expect(fixture.events.message).not.toHaveBeenCalled();
      expect(fixture.events.lost).not.toHaveBeenCalled();
      expect(fixture.endpoint.posted.filter(isPing)).toEqual([]);
    });

    it('should not report the hub lost for a hello still unanswered', () => {
      const fixture = open();
      fixture.link.close();
      jest.advanceTimersByTime(TIMEOUT * 10);
      expect(fixture.events.lost).not.toHaveBeenCalled();
    });

    it("should not report the hub lost when the hub's life lock is granted afterwards", async () => {
      const { fixture, locks } = await welcomedWithLifeLock();
      fixture.link.close();
      locks.crash(HUB_LOCK);
      await drainMicrotasks();
      expect(fixture.events.lost).not.toHaveBeenCalled();
    });

    it('should take no welcome afterwards', () => {
      const fixture = open();
      fixture.link.close();
      expect(fixture.link.answer(welcome())).toBe(false);
      expect(fixture.events.welcomed).not.toHaveBeenCalled();
    });

    it('should post what is queued before the bye with close(true)', () => {
      const { link, endpoint } = welcomedWithoutLifeLock();
      send(link, 1);
      send(link, 2);
      link.close(true);
      expect(endpoint.posted).toEqual([
        `{"type":"batch","messages":[${request(link, 1)},${request(link, 2)}]}`,
        `{"type":"bye","clientId":${link.clientIdJson}}`,
      ]);
    });

    it('should drop what is queued with close()', async () => {
      const { link, endpoint } = welcomedWithoutLifeLock();
      send(link, 1);
      link.close();
      await endOfTask();
      expect(endpoint.posted).toEqual([`{"type":"bye","clientId":${link.clientIdJson}}`]);
    });

    it('should let go of the tab lock', async () => {
      const locks = new FakeLockManager();
      const { link, endpoint } = open({ locks });
      await until(() => endpoint.posted.length > 0);
      const tabLock = `shared-channels:${link.clientId}`;
      expect(locks.isHeld(tabLock)).toBe(true);
      link.close();
      await until(() => !locks.isHeld(tabLock));
    });

    it('should stop listening to the port and to the worker', () => {
      const { link, endpoint, worker } = open();
      link.close();
      expect(endpoint.listeners.size).toBe(0);
      expect(worker.listeners.size).toBe(0);
    });
  });
});
