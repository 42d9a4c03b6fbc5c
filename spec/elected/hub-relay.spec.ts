import { HubRelay } from '../../src/elected/hub-relay.js';
import { leaderInboxName, portInboxName, scopeName } from '../../src/elected/relay-protocol.js';
import { PROTOCOL_VERSION, type Endpoint } from '../../src/protocol.js';
import { Hub } from '../../src/worker/hub.js';
import { FakeOrigin, type FakeTab } from '../helpers/fake-tabs.js';
import { settle } from '../helpers/wire.js';

const SCOPE = scopeName();
const LEADER = 'leader-1';

/** A tab's port to the relay, spoken by hand on the bus: what it sends and what its inbox receives. */
class RawPort {
  readonly received: Array<Record<string, unknown>> = [];
  private readonly outbox;
  private readonly inbox;

  constructor(
    tab: FakeTab,
    readonly id: string,
  ) {
    this.inbox = tab.createChannel(portInboxName(SCOPE, id));
    this.inbox.addEventListener('message', ({ data }) => {
      const message = JSON.parse(data as string) as Record<string, unknown>;
      if (message.type === 'batch') this.received.push(...(message.messages as never[]));
      else this.received.push(message);
    });
    this.outbox = tab.createChannel(leaderInboxName(SCOPE, LEADER));
  }

  send(request: Record<string, unknown>, open = false): void {
    this.outbox.postMessage({
      port: this.id,
      data: JSON.stringify({ clientId: this.id, requestId: 1, ...request }),
      ...(open ? { open: true } : {}),
    });
  }

  close(): void {
    this.inbox.close();
    this.outbox.close();
  }
}

describe('HubRelay', () => {
  let origin: FakeOrigin;
  let relay: HubRelay;
  let ports: RawPort[];

  beforeEach(() => {
    origin = new FakeOrigin();
    const leaderTab = origin.tab();
    relay = new HubRelay(
      LEADER,
      SCOPE,
      leaderTab.createChannel,
      new Hub({ locks: leaderTab.locks }),
    );
    ports = [];
  });

  afterEach(() => {
    relay.close();
    for (const port of ports) port.close();
  });

  function rawPort(id: string, tab = origin.tab()): RawPort {
    const port = new RawPort(tab, id);
    ports.push(port);
    return port;
  }

  it("should serve a port from its first message on, answering on the port's inbox", async () => {
    const port = rawPort('p1');
    port.send({ type: 'hello', version: PROTOCOL_VERSION }, true);
    port.send({ type: 'publish', channel: 'news', data: 'hi', requestId: 2 });
    await settle();
    expect(port.received).toEqual([
      expect.objectContaining({ type: 'welcome', requestId: 1, instanceId: relay.hub.instanceId }),
      { type: 'published', channel: 'news', requestId: 2 },
    ]);
    expect(relay.hub.stats().clients).toBe(1);
  });

  it('should fan a value out to each port on its own inbox', async () => {
    const alice = rawPort('alice');
    const bob = rawPort('bob');
    alice.send({ type: 'subscribe', channel: 'news' }, true);
    bob.send({ type: 'subscribe', channel: 'news' }, true);
    await settle();
    bob.send({ type: 'publish', channel: 'news', data: 'hello', requestId: 2 });
    await settle();
    expect(alice.received).toEqual([
      { type: 'subscribed', channel: 'news', requestId: 1 },
      { type: 'data', channel: 'news', data: 'hello', seq: 1 },
    ]);
    expect(bob.received).toEqual([
      { type: 'subscribed', channel: 'news', requestId: 1 },
      { type: 'data', channel: 'news', data: 'hello', seq: 1 },
      { type: 'published', channel: 'news', requestId: 2 },
    ]);
  });

  it('should ignore a port that did not open, and messages that are no port message', async () => {
    const port = rawPort('stranger');
    port.send({ type: 'get', channel: 'news' });
    const outbox = origin.tab().createChannel(leaderInboxName(SCOPE, LEADER));
    outbox.postMessage('not an object');
    outbox.postMessage({ data: '{}' });
    await settle();
    expect(port.received).toEqual([]);
    expect(relay.hub.stats().clients).toBe(0);
    outbox.close();
  });

  it('should forget a port that said goodbye, and not serve its late messages', async () => {
    const port = rawPort('leaver');
    port.send({ type: 'get', channel: 'news' }, true);
    await settle();
    expect(origin.bus.openCount(portInboxName(SCOPE, 'leaver'))).toBe(2);
    port.send({ type: 'bye' });
    await settle();
    expect(relay.hub.stats().clients).toBe(0);
    expect(origin.bus.openCount(portInboxName(SCOPE, 'leaver'))).toBe(1);
    port.send({ type: 'get', channel: 'news', requestId: 2 });
    await settle();
    expect(port.received).toHaveLength(1);
    expect(relay.hub.stats().clients).toBe(0);
  });

  it("should forget a port when its tab's liveness lock is released", async () => {
    const tab = origin.tab();
    let release = (): void => undefined;
    void tab.locks.request('tab-lock', () => new Promise<void>((r) => (release = r)));
    const port = rawPort('mortal', tab);
    port.send({ type: 'hello', version: PROTOCOL_VERSION, lock: 'tab-lock' }, true);
    await settle();
    expect(relay.hub.stats().clients).toBe(1);
    tab.crash();
    await settle();
    expect(relay.hub.stats().clients).toBe(0);
    expect(origin.bus.openCount(portInboxName(SCOPE, 'mortal'))).toBe(1);
    release();
  });

  it("should serve the leader's own page through an in-page port", async () => {
    const endpoint: Endpoint = relay.connectInPage();
    const received: unknown[] = [];
    endpoint.addEventListener('message', ({ data }) => received.push(JSON.parse(data as string)));
    endpoint.start?.();
    endpoint.postMessage(JSON.stringify({ type: 'ping', clientId: 'own', requestId: 7 }));
    await settle();
    expect(received).toEqual([{ type: 'pong', requestId: 7, instanceId: relay.hub.instanceId }]);
    endpoint.close?.();
    expect(relay.hub.stats().clients).toBe(0);
  });

  describe('.close()', () => {
    it('should forget every port and read its inbox no more', async () => {
      const port = rawPort('p1');
      const own = relay.connectInPage();
      port.send({ type: 'subscribe', channel: 'news' }, true);
      await settle();
      expect(relay.hub.stats().clients).toBe(2);
      relay.close();
      expect(relay.hub.stats().clients).toBe(0);
      expect(origin.bus.openCount(leaderInboxName(SCOPE, LEADER))).toBe(1);
      expect(origin.bus.openCount(portInboxName(SCOPE, 'p1'))).toBe(1);
      port.send({ type: 'get', channel: 'news', requestId: 2 }, true);
      await settle();
      expect(port.received).toHaveLength(1);
      own.close?.();
      relay.close();
    });
  });
});
