import { BroadcastEndpoint } from '../../src/elected/broadcast-endpoint.js';
import {
  leaderInboxName,
  portInboxName,
  scopeName,
  type LeaderAnnouncement,
} from '../../src/elected/relay-protocol.js';
import { FakeEndpoint } from '../helpers/fake-endpoint.js';
import { FakeOrigin, type FakeTab } from '../helpers/fake-tabs.js';
import { settle } from '../helpers/wire.js';

const SCOPE = scopeName();
const LEADER: LeaderAnnouncement = { type: 'leader', leader: 'L1', term: 1 };

describe('BroadcastEndpoint', () => {
  let origin: FakeOrigin;
  let tab: FakeTab;
  let closed: BroadcastEndpoint[];
  let endpoint: BroadcastEndpoint;
  let received: unknown[];

  beforeEach(() => {
    origin = new FakeOrigin();
    tab = origin.tab();
    closed = [];
    endpoint = new BroadcastEndpoint(SCOPE, tab.createChannel, (e) => closed.push(e));
    received = [];
    endpoint.addEventListener('message', ({ data }) => received.push(data));
  });

  afterEach(() => endpoint.close());

  /** What the leader's inbox receives, recorded on another tab. */
  function leaderInbox(): unknown[] {
    const messages: unknown[] = [];
    origin
      .tab()
      .createChannel(leaderInboxName(SCOPE, LEADER.leader))
      .addEventListener('message', ({ data }) => messages.push(data));
    return messages;
  }

  it('should hold messages until a leader is known, then send them in order, the first marked open', async () => {
    const inbox = leaderInbox();
    endpoint.postMessage('one');
    endpoint.postMessage('two');
    await settle();
    expect(inbox).toEqual([]);
    endpoint.bind(LEADER);
    endpoint.postMessage('three');
    await settle();
    const port = endpoint.port;
    expect(inbox).toEqual([
      { port, data: 'one', open: true },
      { port, data: 'two' },
      { port, data: 'three' },
    ]);
    expect(endpoint.leader).toEqual(LEADER);
  });

  it("should hand what arrives on its port's inbox to its listeners", async () => {
    endpoint.bind(LEADER);
    const hubSide = origin.tab().createChannel(portInboxName(SCOPE, endpoint.port));
    hubSide.postMessage('{"type":"pong"}');
    await settle();
    expect(received).toEqual(['{"type":"pong"}']);
    const other = origin.tab().createChannel(portInboxName(SCOPE, 'another-port'));
    other.postMessage('not for this port');
    await settle();
    expect(received).toEqual(['{"type":"pong"}']);
  });

  it("should go through an in-page port when bound to this tab's own hub", async () => {
    const inPage = new FakeEndpoint();
    const inbox = leaderInbox();
    endpoint.postMessage('waiting');
    endpoint.bind(LEADER, inPage);
    endpoint.postMessage('direct');
    inPage.deliver('reply');
    await settle();
    expect(inPage.posted).toEqual(['waiting', 'direct']);
    expect(inPage.started).toBe(1);
    expect(received).toEqual(['reply']);
    expect(inbox).toEqual([]);
    endpoint.close();
    expect(inPage.listeners.size).toBe(0);
  });

  it('should stay with the first leader it was bound to', async () => {
    const inbox = leaderInbox();
    endpoint.bind(LEADER);
    endpoint.bind({ type: 'leader', leader: 'L2', term: 2 });
    endpoint.postMessage('still to L1');
    await settle();
    expect(inbox).toEqual([{ port: endpoint.port, data: 'still to L1', open: true }]);
    expect(endpoint.leader).toEqual(LEADER);
  });

  describe('.lose()', () => {
    it("should fire the hub's error event once", () => {
      const errors: unknown[] = [];
      endpoint.events.addEventListener?.('error', (event) => errors.push(event));
      endpoint.bind(LEADER);
      endpoint.lose();
      endpoint.lose();
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(Error);
    });

    it('should not fire for a listener that was removed, nor after close', () => {
      const errors: unknown[] = [];
      const listener = (event: unknown): number => errors.push(event);
      endpoint.events.addEventListener?.('error', listener);
      endpoint.events.removeEventListener?.('error', listener);
      endpoint.lose();
      const other = new BroadcastEndpoint(SCOPE, tab.createChannel, () => undefined);
      other.events.addEventListener?.('error', listener);
      other.close();
      other.lose();
      expect(errors).toEqual([]);
    });
  });

  describe('.close()', () => {
    it('should close its channels, send nothing more and tell its transport', async () => {
      const inbox = leaderInbox();
      endpoint.bind(LEADER);
      endpoint.postMessage('last');
      endpoint.close();
      endpoint.postMessage('after close');
      await settle();
      expect(inbox).toEqual([{ port: endpoint.port, data: 'last', open: true }]);
      expect(origin.bus.openCount(portInboxName(SCOPE, endpoint.port))).toBe(0);
      expect(closed).toEqual([endpoint]);
      endpoint.close();
      expect(closed).toHaveLength(1);
    });

    it('should drop the messages still waiting for a leader', async () => {
      const inbox = leaderInbox();
      endpoint.postMessage('never sent');
      endpoint.close();
      endpoint.bind(LEADER);
      await settle();
      expect(inbox).toEqual([]);
    });
  });
});
