import {
  DETACHED_LIFETIME,
  MAX_OUTCOMES,
  Session,
  Sessions,
  type ReplySink,
} from '../../src/worker/sessions.js';

/** A connection that records what it is sent. */
class Sink implements ReplySink {
  readonly sent: string[] = [];

  constructor(readonly name: string) {}

  send(json: string): void {
    this.sent.push(json);
  }
}

/** The outcome a change would record: any text will do, the session does not read it. */
const outcome = (requestId: number | string): string =>
  `{"type":"published","requestId":${JSON.stringify(requestId)}}`;

describe('Session', () => {
  describe('.begin()', () => {
    it('should return a recorder for a new requestId that sends the outcome to the current connection', () => {
      const first = new Sink('first');
      const session = new Session('s', first);
      const record = session.begin(7, first);
      expect(record).toEqual(expect.any(Function));
      record!(outcome(7));
      expect(first.sent).toEqual([outcome(7)]);
      expect(session.size).toBe(1);
    });

    it('should return undefined and send nothing for a repeat while the first attempt is pending', () => {
      const first = new Sink('first');
      const session = new Session('s', first);
      session.begin(7, first);
      const again = new Sink('again');
      expect(session.begin(7, again)).toBeUndefined();
      expect(again.sent).toEqual([]);
      expect(first.sent).toEqual([]);
    });

    it("should send a pending change's outcome to the connection the client uses when it ends", () => {
      const sessions = new Sessions<Sink>();
      const first = new Sink('first');
      const session = sessions.attach('s', first);
      const record = session.begin(7, first)!;
      const second = new Sink('second');
      expect(sessions.attach('s', second)).toBe(session);
      expect(session.begin(7, second)).toBeUndefined();
      record(outcome(7));
      expect(second.sent).toEqual([outcome(7)]);
      expect(first.sent).toEqual([]);
    });

    it('should answer a repeat after the outcome with that outcome, on the connection it came by', () => {
      const first = new Sink('first');
      const session = new Session('s', first);
      session.begin('r-7', first)!(outcome('r-7'));
      const via = new Sink('via');
      expect(session.begin('r-7', via)).toBeUndefined();
      expect(via.sent).toEqual([outcome('r-7')]);
      expect(first.sent).toEqual([outcome('r-7')]);
      expect(session.begin('r-7', via)).toBeUndefined();
      expect(via.sent).toEqual([outcome('r-7'), outcome('r-7')]);
    });

    it('should keep the outcomes of different requestIds apart, 7 and "7" included', () => {
      const sink = new Sink('sink');
      const session = new Session('s', sink);
      session.begin(7, sink)!(outcome(7));
      expect(session.begin('7', sink)).toEqual(expect.any(Function));
      expect(session.begin(8, sink)).toEqual(expect.any(Function));
    });

    it('should send an outcome nowhere while the client has no connection, and keep it for a repeat', () => {
      const sessions = new Sessions<Sink>();
      const first = new Sink('first');
      const session = sessions.attach('s', first);
      const record = session.begin(7, first)!;
      sessions.detach(session, first);
      record(outcome(7));
      expect(first.sent).toEqual([]);
      const back = new Sink('back');
      sessions.attach('s', back);
      expect(session.begin(7, back)).toBeUndefined();
      expect(back.sent).toEqual([outcome(7)]);
    });

    it(`should keep at most ${MAX_OUTCOMES} outcomes, forgetting the oldest first`, () => {
      const sink = new Sink('sink');
      const session = new Session('s', sink);
      for (let requestId = 1; requestId <= MAX_OUTCOMES; requestId++) {
        session.begin(requestId, sink)!(outcome(requestId));
      }
      expect(session.size).toBe(MAX_OUTCOMES);
      session.begin(MAX_OUTCOMES + 1, sink)!(outcome(MAX_OUTCOMES + 1));
      expect(session.size).toBe(MAX_OUTCOMES);
      const via = new Sink('via');
      expect(session.begin(2, via)).toBeUndefined();
      expect(via.sent).toEqual([outcome(2)]);
      expect(session.begin(MAX_OUTCOMES + 1, via)).toBeUndefined();
      // The oldest is forgotten: sent again, it is applied again.
      expect(session.begin(1, via)).toEqual(expect.any(Function));
    });
  });

  describe('.forgetThrough()', () => {
    it('should forget the outcomes up to settled, so that a later repeat of one is applied again', () => {
      const sink = new Sink('sink');
      const session = new Session('s', sink);
      for (const requestId of [1, 2, 3, 4]) session.begin(requestId, sink)!(outcome(requestId));
      session.forgetThrough(2);
      expect(session.size).toBe(2);
      const via = new Sink('via');
      // The client said it settled 1 and 2: a request it sends with those ids is a new one.
      expect(session.begin(1, via)).toEqual(expect.any(Function));
      expect(session.begin(2, via)).toEqual(expect.any(Function));
      expect(session.begin(3, via)).toBeUndefined();
      expect(session.begin(4, via)).toBeUndefined();
      expect(via.sent).toEqual([outcome(3), outcome(4)]);
    });

    it('should stop at the first outcome newer than settled, or with a string requestId', () => {
      const sink = new Sink('sink');
      const session = new Session('s', sink);
      for (const requestId of [1, 'x', 2]) session.begin(requestId, sink)!(outcome(requestId));
      session.forgetThrough(5);
      expect(session.size).toBe(2);
      expect(session.begin('x', sink)).toBeUndefined();
      expect(session.begin(2, sink)).toBeUndefined();
    });

    it('should still send the outcome of a pending change it forgot, and keep it no more', () => {
      const sink = new Sink('sink');
      const session = new Session('s', sink);
      const record = session.begin(1, sink)!;
      session.forgetThrough(1);
      record(outcome(1));
      expect(sink.sent).toEqual([outcome(1)]);
      expect(session.size).toBe(0);
    });
  });
});

describe('Sessions', () => {
  describe('.attach()', () => {
    it('should make a new session bound to the connection', () => {
      const sessions = new Sessions<Sink>();
      const sink = new Sink('sink');
      const session = sessions.attach('s', sink);
      expect(session).toBeInstanceOf(Session);
      expect(session.id).toBe('s');
      expect(session.sink).toBe(sink);
      expect(sessions.size).toBe(1);
    });

    it('should resume a known session, outcomes included, on the new connection', () => {
      const sessions = new Sessions<Sink>();
      const first = new Sink('first');
      const session = sessions.attach('s', first, 1000);
      session.begin(7, first)!(outcome(7));
      sessions.detach(session, first, 2000);
      const second = new Sink('second');
      const resumed = sessions.attach('s', second, 3000);
      expect(resumed).toBe(session);
      expect(resumed.sink).toBe(second);
      expect(resumed.detachedAt).toBe(0);
      expect(resumed.begin(7, second)).toBeUndefined();
      expect(second.sent).toEqual([outcome(7)]);
      expect(sessions.size).toBe(1);
    });

    it('should keep the sessions of different ids apart', () => {
      const sessions = new Sessions<Sink>();
      const sink = new Sink('sink');
      const one = sessions.attach('one', sink);
      one.begin(7, sink)!(outcome(7));
      const other = sessions.attach('other', sink);
      expect(other).not.toBe(one);
      expect(other.begin(7, sink)).toEqual(expect.any(Function));
    });

    it(`should drop detached sessions older than ${DETACHED_LIFETIME} ms on the next new attach`, () => {
      const sessions = new Sessions<Sink>();
      const gone = new Sink('gone');
      const old = sessions.attach('old', gone, 0);
      old.begin(7, gone)!(outcome(7));
      sessions.detach(old, gone, 1000);
      const live = new Sink('live');
      sessions.attach('live', live, 0);
      sessions.attach('new-1', new Sink('new-1'), 1000 + DETACHED_LIFETIME);
      expect(sessions.size).toBe(3);
      sessions.attach('new-2', new Sink('new-2'), 1000 + DETACHED_LIFETIME + 1);
      // The detached one went; the one still attached stays, however old.
      expect(sessions.size).toBe(3);
      const back = new Sink('back');
      const fresh = sessions.attach('old', back, 1000 + DETACHED_LIFETIME + 2);
      expect(fresh).not.toBe(old);
      expect(fresh.begin(7, back)).toEqual(expect.any(Function));
      expect(sessions.attach('live', live, 1000 + DETACHED_LIFETIME + 3).sink).toBe(live);
    });
  });

  describe('.detach()', () => {
    it('should detach the session from its current connection, at the given time', () => {
      const sessions = new Sessions<Sink>();
      const sink = new Sink('sink');
      const session = sessions.attach('s', sink);
      sessions.detach(session, sink, 1234);
      expect(session.sink).toBeUndefined();
      expect(session.detachedAt).toBe(1234);
    });

    it('should leave the session alone when the connection is not its current one', () => {
      const sessions = new Sessions<Sink>();
      const first = new Sink('first');
      const session = sessions.attach('s', first, 0);
      const second = new Sink('second');
      sessions.attach('s', second, 10);
      sessions.detach(session, first, 20);
      expect(session.sink).toBe(second);
      expect(session.detachedAt).toBe(0);
      // Still attached, it is never dropped.
      sessions.attach('other', new Sink('other'), 20 + DETACHED_LIFETIME * 2);
      expect(sessions.attach('s', second, 30 + DETACHED_LIFETIME * 2)).toBe(session);
    });
  });
});
