import { BroadcastEndpoint } from '../../src/elected/broadcast-endpoint.js';
import {
  leaderInboxName,
  scopeName,
  type CreateChannel,
} from '../../src/elected/relay-protocol.js';
import { hostElectedHub, type DedicatedWorkerScope } from '../../src/elected/worker-host.js';
import { SharedWorkerClient } from '../../src/index.js';
import { Hub } from '../../src/worker/hub.js';
import { nextTask, within } from '../helpers/deadline.js';
import { FakeOrigin, type FakeTab } from '../helpers/fake-tabs.js';

const SCOPE = scopeName('worker-host-spec');
const LEADER = 'leader-1';

/** The worker's global scope as the hosting code sees it: the leader's messages in, its answers out. */
class FakeWorkerScope implements DedicatedWorkerScope {
  /** Everything the worker posted to its leader, oldest first. */
  readonly answers: unknown[] = [];
  private readonly listeners = new Set<(event: { data: unknown }) => void>();
  private readonly waiters: Array<() => void> = [];

  addEventListener(_type: 'message', listener: (event: { data: unknown }) => void): void {
    this.listeners.add(listener);
  }

  postMessage(message: unknown): void {
    this.answers.push(message);
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** The leader posts `data` to the worker. */
  receive(data: unknown): void {
    for (const listener of this.listeners) listener({ data: structuredClone(data) });
  }

  /** Resolves once the worker has answered `count` times. */
  answered(count: number): Promise<unknown[]> {
    const check = (resolve: (answers: unknown[]) => void): void => {
      if (this.answers.length >= count) resolve(this.answers.slice(0, count));
      else this.waiters.push(() => check(resolve));
    };
    return within(new Promise(check), `answer ${count} of the worker`);
  }
}

describe('hostElectedHub()', () => {
  let origin: FakeOrigin;
  let workerTab: FakeTab;
  let scope: FakeWorkerScope;
  let createChannel: jest.Mock<ReturnType<CreateChannel>, Parameters<CreateChannel>>;
  let hubs: Hub[];
  let clients: SharedWorkerClient[];

  beforeEach(() => {
    origin = new FakeOrigin();
    workerTab = origin.tab();
    scope = new FakeWorkerScope();
    createChannel = jest.fn(workerTab.createChannel);
    hubs = [];
    clients = [];
  });

  afterEach(() => {
    for (const client of clients) client.disconnect();
    for (const hub of hubs) hub.close();
  });

  function host(hub = new Hub({ locks: workerTab.locks })): Hub {
    hubs.push(hub);
    hostElectedHub(hub, scope, createChannel);
    return hub;
  }

  /** A tab's client, bound to `leader`'s inbox over BroadcastChannels, as a follower tab's is. */
  function followerOf(leader: string): SharedWorkerClient {
    const tab = origin.tab();
    const client = new SharedWorkerClient(
      () => {
        const endpoint = new BroadcastEndpoint(SCOPE, tab.createChannel, () => undefined);
        endpoint.bind({ type: 'leader', leader, term: 1 });
        return { port: endpoint, ...endpoint.events };
      },
      { heartbeat: 0 },
    );
    clients.push(client);
    return client;
  }

  it("should serve the tabs on the leader's inbox once the leader asks", async () => {
    const hub = host();
    scope.receive({ type: 'shared-channels:host', leader: LEADER, scope: SCOPE });
    await scope.answered(1);
    const client = followerOf(LEADER);
    await within(client.publish('news', 'from a tab'), 'the publish');
    expect(hub.get('news')).toBe('from a tab');
    expect(hub.stats().clients).toBe(1);
  });

  it("should answer that it hosts the leader, with the hub's life lock", async () => {
    const hub = host();
    scope.receive({ type: 'shared-channels:host', leader: LEADER, scope: SCOPE });
    const [answer] = await scope.answered(1);
    const lock = await hub.lifeLock();
    expect(lock).toEqual(expect.any(String));
    expect(answer).toEqual({ type: 'shared-channels:hosting', leader: LEADER, lock });
    expect(origin.lockManager.isHeld(lock!)).toBe(true);
  });

  it('should answer without a lock for a hub without Web Locks', async () => {
    host(new Hub({ locks: null }));
    scope.receive({ type: 'shared-channels:host', leader: LEADER, scope: SCOPE });
    expect(await scope.answered(1)).toEqual([{ type: 'shared-channels:hosting', leader: LEADER }]);
  });

  it('should not serve any inbox before the leader asks', async () => {
    host();
    await nextTask();
    expect(createChannel).not.toHaveBeenCalled();
    expect(scope.answers).toEqual([]);
  });

  it('should ignore a second request, and keep serving the first leader', async () => {
    const hub = host();
    scope.receive({ type: 'shared-channels:host', leader: LEADER, scope: SCOPE });
    await scope.answered(1);
    scope.receive({ type: 'shared-channels:host', leader: 'leader-2', scope: SCOPE });
    await nextTask();
    await within(followerOf(LEADER).publish('news', 'still served'), 'the publish');
    expect(hub.get('news')).toBe('still served');
    expect(scope.answers).toHaveLength(1);
    expect(origin.bus.openCount(leaderInboxName(SCOPE, 'leader-2'))).toBe(0);
  });

  it('should ignore messages that are no host request, and serve a request that follows them', async () => {
    host();
    for (const message of [
      'shared-channels:host',
      null,
      [{ type: 'shared-channels:host', leader: LEADER, scope: SCOPE }],
      { type: 'shared-channels:hosting', leader: LEADER, scope: SCOPE },
      { type: 'shared-channels:host', scope: SCOPE },
      { type: 'shared-channels:host', leader: '', scope: SCOPE },
      { type: 'shared-channels:host', leader: 7, scope: SCOPE },
      { type: 'shared-channels:host', leader: LEADER },
      { type: 'an app message', leader: LEADER, scope: SCOPE },
    ]) {
      scope.receive(message);
    }
    await nextTask();
    expect(createChannel).not.toHaveBeenCalled();
    expect(scope.answers).toEqual([]);
    scope.receive({ type: 'shared-channels:host', leader: LEADER, scope: SCOPE });
    await scope.answered(1);
    expect(createChannel).toHaveBeenCalledWith(leaderInboxName(SCOPE, LEADER));
  });
});
