import { LimitError, type PersistenceError } from '../../src/errors.js';
import { MemoryPersistence } from '../../src/persistence/memory-persistence.js';
import type { Persistence } from '../../src/persistence/persistence.js';
import { ChannelLedger } from '../../src/worker/channel-ledger.js';
import type { ChannelValue } from '../../src/worker/channel-store.js';
import type { Connection } from '../../src/worker/connection.js';
import { Hub, type HubOptions } from '../../src/worker/hub.js';
import { HeldPersistence } from '../helpers/held-persistence.js';
import { createTestHub, settle, type RawPort, type TestHub } from '../helpers/wire.js';

type Message = Record<string, unknown>;

/** A subscriber as the ledger sees one: it is sent messages, and may understand `cleared`. */
function subscriber(hearsCleared = true): Connection & { sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    hearsCleared,
    send: (json: string) => sent.push(json),
  } as unknown as Connection & {
    sent: string[];
  };
}

/** A ledger of memory channels only. */
function memoryLedger(maxChannels = 100): ChannelLedger {
  return new ChannelLedger(maxChannels, undefined, undefined);
}

/** A ledger whose channels named in `persisted` (all when omitted) are saved, its stored values loaded. */
function persistedLedger(
  persistence: Persistence,
  options: { maxChannels?: number; persisted?: string[]; stored?: Map<string, string> } = {},
): ChannelLedger {
  const { maxChannels = 100, persisted, stored = new Map<string, string>() } = options;
  const ledger = new ChannelLedger(
    maxChannels,
    (name) => persisted?.includes(name) ?? true,
    persistence,
  );
  ledger.load(stored, () => undefined);
  return ledger;
}

function publish(
  ledger: ChannelLedger,
  name: string,
  json: string,
): Promise<PersistenceError | undefined> {
  return new Promise((resolve) => ledger.publish(name, json, resolve));
}

function clear(ledger: ChannelLedger, name: string): Promise<number> {
  return new Promise((resolve, reject) =>
    ledger.clear(name, (error, seq) => (error ? reject(error) : resolve(seq))),
  );
}

function offer(ledger: ChannelLedger, name: string, json: string, seq: number): Promise<void> {
  return new Promise((resolve) => ledger.offer(name, json, { epoch: 0, seq }, resolve));
}

function valueOf(ledger: ChannelLedger, name: string): ChannelValue | undefined {
  return ledger.store.get(name)?.value$.value;
}

let opened: TestHub[] = [];

function hubWith(options: HubOptions): TestHub {
  const created = createTestHub({ locks: null, ...options });
  opened.push(created);
  return created;
}

/** Waits for `count` messages, lets anything else in flight arrive, and returns all of them. */
async function exactly(port: RawPort, count: number): Promise<Message[]> {
  await port.waitFor(count);
  await settle();
  return port.received;
}

afterEach(() => {
  for (const testHub of opened) testHub.close();
  opened = [];
  jest.restoreAllMocks();
});

describe('ChannelLedger', () => {
  describe('.publish()', () => {
    it('should number every value from one clock, whatever the channel', async () => {
      const ledger = memoryLedger();
      await publish(ledger, 'a', '"a1"');
      await publish(ledger, 'b', '"b1"');
      await publish(ledger, 'a', '"a2"');
      expect(valueOf(ledger, 'a')).toEqual({ json: '"a2"', seq: 3 });
      expect(valueOf(ledger, 'b')).toEqual({ json: '"b1"', seq: 2 });
    });

    it('should keep numbering up across a clear that lets the channel go', async () => {
      const ledger = memoryLedger();
      await publish(ledger, 'a', '1');
      expect(await clear(ledger, 'a')).toBe(2);
      expect(ledger.store.get('a')).toBeUndefined();
      await publish(ledger, 'a', '2');
      expect(valueOf(ledger, 'a')).toEqual({ json: '2', seq: 3 });
    });

    it('should keep numbering up after a channel without a value is let go', async () => {
      const ledger = memoryLedger();
      await publish(ledger, 'a', '1');
      const empty = ledger.store.ensure('b');
      ledger.store.release(empty);
      expect(ledger.store.get('b')).toBeUndefined();
      await publish(ledger, 'b', '1');
      expect(valueOf(ledger, 'b')).toEqual({ json: '1', seq: 2 });
    });

    it('should push each value to every subscriber with its seq', async () => {
      const ledger = memoryLedger();
      const tab = subscriber();
      ledger.store.ensure('a').addSubscriber(tab);
      await publish(ledger, 'a', '{"v":1}');
      expect(tab.sent.map((json) => JSON.parse(json) as unknown)).toEqual([
        { type: 'data', channel: 'a', data: { v: 1 }, seq: 1 },
      ]);
      expect([ledger.published, ledger.delivered]).toEqual([1, 1]);
    });

    it('should keep a channel being saved when all else lets it go, and apply its value at the channel limit', async () => {
      const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      const persistence = new HeldPersistence();
      const ledger = persistedLedger(persistence, { maxChannels: 3, persisted: ['p'] });
      const saved = publish(ledger, 'p', '"saved"');
      await persistence.written(1);
      ledger.store.release(ledger.store.get('p')!);
      expect(ledger.store.get('p')).toBeDefined();
      await publish(ledger, 'm1', '1');
      await publish(ledger, 'm2', '2');
      expect(() => ledger.store.ensure('m3')).toThrow(LimitError);
      persistence.release();
      expect(await saved).toBeUndefined();
      expect(valueOf(ledger, 'p')).toEqual({ json: '"saved"', seq: 3 });
      // The write queue goes on: the next save commits too.
      const next = publish(ledger, 'p', '"next"');
      await persistence.written(2);
      persistence.release();
      expect(await next).toBeUndefined();
      expect(valueOf(ledger, 'p')).toEqual({ json: '"next"', seq: 4 });
      expect(await persistence.load()).toEqual(new Map([['p', '"next"']]));
      expect(error).not.toHaveBeenCalled();
    });
  });

  describe('.clear()', () => {
    it("should take the clear's place from the clock and tell the subscribers that understand cleared", async () => {
      const ledger = memoryLedger();
      const hears = subscriber(true);
      const deaf = subscriber(false);
      const channel = ledger.store.ensure('a');
      channel.addSubscriber(hears);
      channel.addSubscriber(deaf);
      await publish(ledger, 'a', '1');
      expect(await clear(ledger, 'a')).toBe(2);
      expect(hears.sent.map((json) => JSON.parse(json) as unknown)).toEqual([
        { type: 'data', channel: 'a', data: 1, seq: 1 },
        { type: 'cleared', channel: 'a', seq: 2 },
      ]);
      expect(deaf.sent).toHaveLength(1);
      expect(valueOf(ledger, 'a')).toBeUndefined();
    });
  });

  describe('.offer()', () => {
    it('should rank an offer from a later hub above any from an earlier one, whatever their seq', async () => {
      const ledger = memoryLedger();
      const offerFrom = (json: string, epoch: number, seq: number): Promise<void> =>
        new Promise((resolve) => ledger.offer('a', json, { epoch, seq }, resolve));
      await offerFrom('"older hub, high seq"', 1_000, 900);
      await offerFrom('"newer hub, low seq"', 2_000, 3);
      await offerFrom('"older hub, higher seq"', 1_000, 950);
      expect(valueOf(ledger, 'a')?.json).toBe('"newer hub, low seq"');
    });

    it("should give an empty channel the offer, numbered by this hub's clock and not the offered seq", async () => {
      const ledger = memoryLedger();
      await publish(ledger, 'other', '0');
      await offer(ledger, 'a', '"old"', Number.MAX_SAFE_INTEGER);
      expect(valueOf(ledger, 'a')).toEqual({
        json: '"old"',
        seq: 2,
        offer: { epoch: 0, seq: Number.MAX_SAFE_INTEGER },
      });
      await publish(ledger, 'a', '"new"');
      expect(valueOf(ledger, 'a')).toEqual({ json: '"new"', seq: 3 });
    });

    it('should keep the offer with the highest old seq', async () => {
      const ledger = memoryLedger();
      await offer(ledger, 'a', '"five"', 5);
      await offer(ledger, 'a', '"three"', 3);
      await offer(ledger, 'a', '"five again"', 5);
      expect(valueOf(ledger, 'a')).toEqual({ json: '"five"', seq: 1, offer: { epoch: 0, seq: 5 } });
      await offer(ledger, 'a', '"seven"', 7);
      expect(valueOf(ledger, 'a')).toEqual({
        json: '"seven"',
        seq: 2,
        offer: { epoch: 0, seq: 7 },
      });
    });

    it('should not push the value it holds again when the same value is offered with a higher rank', async () => {
      const ledger = memoryLedger();
      const tab = subscriber();
      ledger.store.ensure('a').addSubscriber(tab);
      // A tab that heard the value at an earlier hub offers it first, then one that heard it at a later hub.
      await new Promise<void>((resolve) =>
        ledger.offer('a', '"v"', { epoch: 1_000, seq: 7 }, resolve),
      );
      await new Promise<void>((resolve) =>
        ledger.offer('a', '"v"', { epoch: 2_000, seq: 3 }, resolve),
      );
      expect(tab.sent.map((json) => JSON.parse(json) as Message)).toEqual([
        { type: 'data', channel: 'a', data: 'v', seq: 1 },
      ]);
      expect(valueOf(ledger, 'a')).toEqual({
        json: '"v"',
        seq: 1,
        offer: { epoch: 2_000, seq: 3 },
      });
      // Its rank rose: an offer of another value between the two ranks no longer wins.
      await new Promise<void>((resolve) =>
        ledger.offer('a', '"older"', { epoch: 1_000, seq: 9 }, resolve),
      );
      expect(valueOf(ledger, 'a')?.json).toBe('"v"');
    });

    it('should not push a persisted value again when the same value is offered with a higher rank', async () => {
      const ledger = persistedLedger(new MemoryPersistence());
      const tab = subscriber();
      ledger.store.ensure('a').addSubscriber(tab);
      await offer(ledger, 'a', '"v"', 5);
      await offer(ledger, 'a', '"v"', 6);
      expect(tab.sent).toHaveLength(1);
      expect(valueOf(ledger, 'a')).toEqual({ json: '"v"', seq: 1, offer: { epoch: 0, seq: 6 } });
    });

    it('should ignore an offer for a channel with a value published here', async () => {
      const ledger = memoryLedger();
      await publish(ledger, 'a', '"here"');
      await offer(ledger, 'a', '"old"', 99);
      expect(valueOf(ledger, 'a')).toEqual({ json: '"here"', seq: 1 });
    });

    it('should ignore an offer for a channel cleared here, even one that never had a value', async () => {
      const ledger = memoryLedger();
      await publish(ledger, 'a', '1');
      await clear(ledger, 'a');
      await clear(ledger, 'never');
      await offer(ledger, 'a', '"old"', 5);
      await offer(ledger, 'never', '"old"', 5);
      expect(ledger.store.get('a')).toBeUndefined();
      expect(ledger.store.get('never')).toBeUndefined();
    });

    it('should accept an offer again for the oldest clear once more channels than the limit were cleared', async () => {
      const ledger = memoryLedger(2);
      await clear(ledger, 'a');
      await clear(ledger, 'b');
      await clear(ledger, 'c');
      await offer(ledger, 'b', '"b"', 1);
      await offer(ledger, 'a', '"a"', 1);
      expect(valueOf(ledger, 'b')).toBeUndefined();
      expect(valueOf(ledger, 'a')).toEqual({ json: '"a"', seq: 4, offer: { epoch: 0, seq: 1 } });
    });

    it('should ignore an offer for a persisted channel cleared here, while the delete is saved and after', async () => {
      const persistence = new HeldPersistence();
      const ledger = persistedLedger(persistence, { stored: new Map([['a', '"stored"']]) });
      const cleared = clear(ledger, 'a');
      await persistence.written(1);
      await offer(ledger, 'a', '"old"', 5);
      persistence.release();
      expect(await cleared).toBe(2);
      await offer(ledger, 'a', '"old"', 6);
      expect(valueOf(ledger, 'a')).toBeUndefined();
      expect(persistence.writes).toEqual([new Map([['a', null]])]);
      expect(await persistence.load()).toEqual(new Map());
    });

    it('should save an offer for a persisted channel with nothing on disk, and apply it once saved', async () => {
      const persistence = new HeldPersistence();
      const ledger = persistedLedger(persistence);
      const tab = subscriber();
      ledger.store.ensure('a').addSubscriber(tab);
      const offered = offer(ledger, 'a', '"old"', 5);
      await persistence.written(1);
      expect(valueOf(ledger, 'a')).toBeUndefined();
      persistence.release();
      await offered;
      expect(valueOf(ledger, 'a')).toEqual({ json: '"old"', seq: 1, offer: { epoch: 0, seq: 5 } });
      expect(tab.sent.map((json) => JSON.parse(json) as unknown)).toEqual([
        { type: 'data', channel: 'a', data: 'old', seq: 1 },
      ]);
      expect(await persistence.load()).toEqual(new Map([['a', '"old"']]));
    });

    it('should ignore an offer for a persisted channel with a stored value', async () => {
      const persistence = new HeldPersistence();
      const ledger = persistedLedger(persistence, { stored: new Map([['a', '"stored"']]) });
      await offer(ledger, 'a', '"old"', 99);
      expect(valueOf(ledger, 'a')).toEqual({ json: '"stored"', seq: 1 });
      expect(persistence.writes).toEqual([]);
    });

    it('should ignore an offer for a persisted channel with a publish being saved', async () => {
      const persistence = new HeldPersistence();
      const ledger = persistedLedger(persistence);
      const published = publish(ledger, 'a', '"new"');
      await persistence.written(1);
      await offer(ledger, 'a', '"old"', 99);
      persistence.release();
      await published;
      expect(valueOf(ledger, 'a')).toEqual({ json: '"new"', seq: 1 });
      expect(persistence.writes).toEqual([new Map([['a', '"new"']])]);
      expect(await persistence.load()).toEqual(new Map([['a', '"new"']]));
    });

    it('should keep the highest of two offers for a persisted channel when the second comes while the first is saved', async () => {
      const persistence = new HeldPersistence();
      const ledger = persistedLedger(persistence);
      const low = offer(ledger, 'a', '"three"', 3);
      await persistence.written(1);
      const high = offer(ledger, 'a', '"seven"', 7);
      persistence.holding = false;
      persistence.release();
      await low;
      await high;
      await settle();
      expect(valueOf(ledger, 'a')).toMatchObject({ json: '"seven"', offer: { epoch: 0, seq: 7 } });
      expect(await persistence.load()).toEqual(new Map([['a', '"seven"']]));
    });
  });

  describe('(seen by tabs through the Hub)', () => {
    it('should number values after an offer of the largest seq from its own clock, and push them', async () => {
      const t = hubWith({});
      const channel = 'offered';
      const tab = t.rawPort();
      tab.request({ type: 'subscribe', clientId: 'tab-1', channel, requestId: 1 });
      tab.request({
        type: 'restore',
        clientId: 'tab-1',
        channel,
        requestId: 2,
        seq: Number.MAX_SAFE_INTEGER,
        data: 'old',
      });
      tab.request({ type: 'publish', clientId: 'tab-1', channel, requestId: 3, data: 'new' });
      tab.request({ type: 'publish', clientId: 'tab-1', channel, requestId: 4, data: 'newer' });
      expect(await exactly(tab, 7)).toEqual([
        { type: 'subscribed', channel, requestId: 1 },
        { type: 'data', channel, data: 'old', seq: 1 },
        { type: 'restored', channel, requestId: 2 },
        { type: 'data', channel, data: 'new', seq: 2 },
        { type: 'published', channel, requestId: 3 },
        { type: 'data', channel, data: 'newer', seq: 3 },
        { type: 'published', channel, requestId: 4 },
      ]);
    });

    it('should keep an offer saved for a persisted channel with nothing on disk across a restart', async () => {
      const persistence = new MemoryPersistence();
      const t = hubWith({ persist: true, persistence });
      await t.hub.ready;
      const tab = t.rawPort();
      tab.request({
        type: 'restore',
        clientId: 'tab-1',
        channel: 'doc',
        requestId: 1,
        seq: 4,
        data: { v: 4 },
      });
      expect(await exactly(tab, 1)).toEqual([{ type: 'restored', channel: 'doc', requestId: 1 }]);
      expect(t.hub.get('doc')).toEqual({ v: 4 });
      const restarted = new Hub({ persist: true, persistence, locks: null });
      await restarted.ready;
      expect(restarted.get('doc')).toEqual({ v: 4 });
    });

    it('should apply a persisted value saved while its channel was let go and the hub filled up, and go on saving', async () => {
      const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      const persistence = new HeldPersistence();
      const t = hubWith({ persist: ['p'], persistence, limits: { maxChannels: 3 } });
      await t.hub.ready;
      const tab = t.rawPort();
      tab.request({ type: 'subscribe', clientId: 'tab-1', channel: 'p', requestId: 1 });
      tab.request({ type: 'publish', clientId: 'tab-1', channel: 'p', requestId: 2, data: 'v1' });
      tab.request({ type: 'bye', clientId: 'tab-1' });
      await persistence.written(1);
      await settle();
      expect(t.hub.stats().clients).toBe(0);
      await t.hub.publish('m1', 1);
      await t.hub.publish('m2', 2);
      await expect(t.hub.publish('m3', 3)).rejects.toBeInstanceOf(LimitError);
      persistence.release();
      await settle();
      expect(t.hub.get('p')).toBe('v1');
      const next = t.hub.publish('p', 'v2');
      await persistence.written(2);
      persistence.release();
      await next;
      expect(t.hub.get('p')).toBe('v2');
      expect(await persistence.load()).toEqual(new Map([['p', '"v2"']]));
      expect(error).not.toHaveBeenCalled();
    });
  });
});
