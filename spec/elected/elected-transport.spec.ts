import type { SharedWorkerLike } from '../../src/client/shared-worker-transport.js';
import type { HubEvents } from '../../src/transport.js';
import { ElectedTransport } from '../../src/elected/elected-transport.js';
import { scopeName } from '../../src/elected/relay-protocol.js';
import { MemoryPersistence } from '../../src/persistence/memory-persistence.js';
import type { HubOptions } from '../../src/worker/hub.js';
import { SharedWorkerClient, type ClientOptions, type ConnectionState } from '../../src/index.js';
import { FakeOrigin, type FakeTab } from '../helpers/fake-tabs.js';
import { settle } from '../helpers/wire.js';

/** One fake tab running the library in elected mode. */
interface ElectedTab {
  tab: FakeTab;
  transport: ElectedTransport;
  client: SharedWorkerClient;
  /** Every connection state the client went through. */
  states: ConnectionState[];
}

/** Retries `check` until it holds; fails with its last error after `timeoutMs`. */
async function eventually(check: () => void | Promise<void>, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

/** Collects a channel's values in one tab; `errors` records an Observable error, which must not happen. */
function collect(
  client: SharedWorkerClient,
  channel: string,
): { values: unknown[]; errors: unknown[] } {
  const seen = { values: [] as unknown[], errors: [] as unknown[] };
  client.channel(channel).subscribe({
    next: (value) => seen.values.push(value),
    error: (error: unknown) => seen.errors.push(error),
  });
  return seen;
}

describe('ElectedTransport', () => {
  let origin: FakeOrigin;
  let tabs: ElectedTab[];

  beforeEach(() => {
    origin = new FakeOrigin();
    tabs = [];
  });

  afterEach(() => {
    for (const { client, transport } of tabs) {
      client.disconnect();
      transport.close();
    }
  });

  /**
   * Opens a tab whose client reaches the elected hub through a factory, as it would through a
   * SharedWorker: the transport's endpoint is the port, its loss event the worker's `error`.
   */
  function openTab(options: ClientOptions = {}, hubOptions: HubOptions = {}): ElectedTab {
    const tab = origin.tab();
    const transport = new ElectedTransport(
      { locks: tab.locks, createChannel: tab.createChannel },
      undefined,
      hubOptions,
    );
    const worker = (): SharedWorkerLike & HubEvents => {
      const { endpoint, hub } = transport.open();
      return { port: endpoint, ...hub };
    };
    // The heartbeat is off: a lost leader must be noticed from the new leader's announcement alone.
    const client = new SharedWorkerClient(worker, { heartbeat: 0, ...options });
    const states: ConnectionState[] = [];
    client.connectionState$.subscribe((state) => states.push(state));
    const opened: ElectedTab = { tab, transport, client, states };
    tabs.push(opened);
    return opened;
  }

  async function hubOf(tab: ElectedTab): Promise<string> {
    return (await tab.client.stats()).instanceId;
  }

  it('should make the first tab to ask the leader, and serve every tab from its hub', async () => {
    const [first, second, third] = [openTab(), openTab(), openTab()] as const;
    const hubs = await Promise.all([first, second, third].map(hubOf));
    expect(new Set(hubs).size).toBe(1);
    expect([first, second, third].map((t) => t.transport.leading)).toEqual([true, false, false]);
    expect((await third.client.stats()).clients).toBe(3);
    for (const { states } of [first, second, third]) expect(states).toEqual(['connecting', 'open']);
  });

  it('should deliver a value to every subscribed tab, and the current value to a late subscriber', async () => {
    const [leader, follower, publisher] = [openTab(), openTab(), openTab()] as const;
    const atLeader = collect(leader.client, 'news');
    const atFollower = collect(follower.client, 'news');
    await follower.client.get('news');
    await leader.client.get('news');
    await publisher.client.publish('news', { headline: 'one' });
    await eventually(() => {
      expect(atLeader.values).toEqual([{ headline: 'one' }]);
      expect(atFollower.values).toEqual([{ headline: 'one' }]);
    });
    const late = openTab();
    const atLate = collect(late.client, 'news');
    await eventually(() => expect(atLate.values).toEqual([{ headline: 'one' }]));
    expect(await late.client.get('news')).toEqual({ headline: 'one' });
  });

  it('should show every tab the same order of values published by two tabs at once', async () => {
    const group = [openTab(), openTab(), openTab()];
    const seen = group.map(({ client }) => collect(client, 'ticks'));
    await Promise.all(group.map(({ client }) => client.get('ticks')));
    const [leader, follower] = group as [ElectedTab, ElectedTab];
    const publishAll = async (client: SharedWorkerClient, prefix: string): Promise<void> => {
      for (let n = 0; n < 200; n++) await client.publish('ticks', `${prefix}${n}`);
    };
    await Promise.all([publishAll(leader.client, 'a'), publishAll(follower.client, 'b')]);
    await eventually(() => {
      for (const { values } of seen) expect(values).toHaveLength(400);
    });
    const [reference] = seen.map(({ values }) => values) as [unknown[]];
    for (const { values } of seen) expect(values).toEqual(reference);
    expect(reference.filter((v) => String(v).startsWith('a'))).toEqual(
      Array.from({ length: 200 }, (_, n) => `a${n}`),
    );
    const switches = reference.filter(
      (value, index) => index > 0 && String(value)[0] !== String(reference[index - 1])[0],
    ).length;
    expect(switches).toBeGreaterThan(10);
  });

  describe('when the leader tab dies', () => {
    it('should hand the hub to the next tab, which restores the newest value and keeps every Observable emitting', async () => {
      const [leader, heir, other] = [openTab(), openTab(), openTab()] as const;
      const atHeir = collect(heir.client, 'state');
      const atOther = collect(other.client, 'state');
      await Promise.all([heir.client.get('state'), other.client.get('state')]);
      await leader.client.publish('state', 'v1');
      await heir.client.publish('state', 'v2');
      await eventually(() => expect(atOther.values).toEqual(['v1', 'v2']));
      const oldHub = await hubOf(other);

      leader.tab.crash();
      await eventually(() => expect(heir.transport.leading).toBe(true));
      await eventually(async () => expect(await hubOf(other)).not.toBe(oldHub));
      expect(await other.client.get('state')).toBe('v2');

      await other.client.publish('state', 'v3');
      await eventually(() => {
        expect(atHeir.values).toEqual(['v1', 'v2', 'v3']);
        expect(atOther.values).toEqual(['v1', 'v2', 'v3']);
      });
      expect([...atHeir.errors, ...atOther.errors]).toEqual([]);
      expect(other.states).toEqual(['connecting', 'open', 'reconnecting', 'open']);
      expect(heir.states).toEqual(['connecting', 'open', 'reconnecting', 'open']);
      const stats = await heir.client.stats();
      expect(stats.clients).toBe(2);
      expect(stats.channels).toEqual([
        expect.objectContaining({ channel: 'state', subscribers: 2 }),
      ]);
    });

    it('should restore a value that only one survivor knew', async () => {
      const [leader, heir, other] = [openTab(), openTab(), openTab()] as const;
      // Only `other` subscribes: the heir knows nothing of the channel and offers nothing.
      const atOther = collect(other.client, 'doc');
      await other.client.get('doc');
      for (const value of ['d1', 'd2', 'd3']) await leader.client.publish('doc', value);
      await eventually(() => expect(atOther.values).toEqual(['d1', 'd2', 'd3']));
      leader.tab.crash();
      await eventually(() => expect(heir.transport.leading).toBe(true));
      await eventually(async () => expect(await heir.client.get('doc')).toBe('d3'));
      await heir.client.publish('doc', 'd4');
      await eventually(() => expect(atOther.values).toEqual(['d1', 'd2', 'd3', 'd4']));
    });

    it('should send a publish made during the handover to the new hub', async () => {
      const [leader, heir, other] = [openTab(), openTab(), openTab()] as const;
      const atHeir = collect(heir.client, 'orders');
      await heir.client.get('orders');
      await other.client.stats();
      leader.tab.crash();
      const published = other.client.publish('orders', 'placed while the leader was gone');
      await published;
      await eventually(() => expect(atHeir.values).toEqual(['placed while the leader was gone']));
      expect(heir.transport.leading).toBe(true);
    });

    it('should hand over again and again, down to the last tab', async () => {
      const group = [openTab(), openTab(), openTab(), openTab()];
      const last = group[3]!;
      const atLast = collect(last.client, 'count');
      await last.client.get('count');
      for (let round = 0; round < 3; round++) {
        const leader = group[round]!;
        await group[round + 1]!.client.publish('count', round);
        await eventually(() => expect(atLast.values).toContain(round));
        expect(leader.transport.leading).toBe(true);
        leader.tab.crash();
        await eventually(() => expect(group[round + 1]!.transport.leading).toBe(true));
      }
      await last.client.publish('count', 'alone');
      await eventually(() => expect(atLast.values).toEqual([0, 1, 2, 'alone']));
      expect(atLast.values).toEqual([0, 1, 2, 'alone']);
    });
  });

  it('should restore persisted channels from storage, even those no survivor subscribes to', async () => {
    // One instance for every tab: the origin's IndexedDB.
    const hubOptions = { persist: ['settings'], persistence: new MemoryPersistence() };
    const [leader, heir] = [openTab({}, hubOptions), openTab({}, hubOptions)] as const;
    await heir.client.publish('settings', { theme: 'dark' });
    await heir.client.publish('scratch', 'not persisted');
    leader.tab.crash();
    await eventually(() => expect(heir.transport.leading).toBe(true));
    await eventually(async () =>
      expect(await heir.client.get('settings')).toEqual({ theme: 'dark' }),
    );
    expect(await heir.client.get('scratch')).toBeUndefined();
  });

  describe("when the leader's client disconnects", () => {
    it('should hand the hub to the next tab with the values kept', async () => {
      const [leader, heir] = [openTab(), openTab()] as const;
      const atHeir = collect(heir.client, 'state');
      await heir.client.get('state');
      await leader.client.publish('state', 'kept');
      await eventually(() => expect(atHeir.values).toEqual(['kept']));
      leader.client.disconnect();
      leader.transport.close();
      await eventually(() => expect(heir.transport.leading).toBe(true));
      await eventually(async () => expect((await heir.client.stats()).clients).toBe(1));
      expect(await heir.client.get('state')).toBe('kept');
      await heir.client.publish('state', 'after');
      await eventually(() => expect(atHeir.values).toEqual(['kept', 'after']));
    });
  });

  describe('announcements', () => {
    it("should answer a tab's query with the current leader", async () => {
      const leader = openTab();
      await leader.client.stats();
      const bus = origin.tab().createChannel(scopeName());
      const heard: unknown[] = [];
      bus.addEventListener('message', ({ data }) => heard.push(data));
      bus.postMessage({ type: 'query' });
      await settle();
      // With the hub's life lock, which the tabs wait for to learn that this leader's hub is gone.
      expect(heard).toEqual([
        {
          type: 'leader',
          leader: expect.any(String) as unknown,
          term: expect.any(Number) as unknown,
          lock: (await leader.client.stats()).instanceId.replace(/^/, 'shared-channels:hub:'),
        },
      ]);
      bus.close();
    });

    it('should ignore an announcement older than the leader it follows', async () => {
      const [, follower] = [openTab(), openTab()] as const;
      await follower.client.stats();
      const bus = origin.tab().createChannel(scopeName());
      bus.postMessage({ type: 'leader', leader: 'a ghost', term: 1 });
      bus.postMessage({ type: 'nonsense' });
      await settle();
      await follower.client.stats();
      expect(follower.states).toEqual(['connecting', 'open']);
      bus.close();
    });

    it('should let a tab that opens while nobody leads wait for the next leader', async () => {
      const leader = openTab();
      await leader.client.stats();
      leader.tab.crash();
      const newcomer = openTab();
      expect(await newcomer.client.get('anything')).toBeUndefined();
      expect(newcomer.transport.leading).toBe(true);
      expect(newcomer.states).toEqual(['connecting', 'open']);
    });
  });
});
