import { RemoteChannel } from '../../src/client/remote-channel.js';

interface Collector {
  readonly values: unknown[];
  detach(): void;
}

/** Attaches a local subscriber that records every value it is given. */
function collect(channel: RemoteChannel): Collector {
  const values: unknown[] = [];
  const detach = channel.attach({
    next: (value) => values.push(value),
    error: (error: unknown) => {
      throw error;
    },
    complete: () => undefined,
  });
  return { values, detach };
}

/** A live channel showing `data`, numbered `seq` by the hub. */
function showing(data: unknown, seq: number): RemoteChannel {
  const channel = new RemoteChannel();
  channel.subscribed(seq);
  channel.push(data, seq);
  return channel;
}

describe('RemoteChannel', () => {
  describe('.attach()', () => {
    it('should give a new subscriber the current value at once when the channel is live and has one', () => {
      const channel = showing({ n: 1 }, 1);
      const subscriber = collect(channel);
      expect(subscriber.values).toEqual([{ n: 1 }]);
    });

    it('should give a new subscriber nothing while the hub has pushed no value', () => {
      const channel = new RemoteChannel();
      channel.subscribed(undefined);
      const subscriber = collect(channel);
      expect(subscriber.values).toEqual([]);
    });

    it('should give a new subscriber nothing while the channel is being subscribed again', () => {
      const channel = showing({ n: 1 }, 1);
      channel.resubscribing(true);
      const subscriber = collect(channel);
      expect(subscriber.values).toEqual([]);
    });

    it('should count the subscribers, one less after each teardown', () => {
      const channel = new RemoteChannel();
      expect(channel.subscribers).toBe(0);
      const first = collect(channel);
      const second = collect(channel);
      expect(channel.subscribers).toBe(2);
      first.detach();
      expect(channel.subscribers).toBe(1);
      second.detach();
      expect(channel.subscribers).toBe(0);
    });

    it('should give nothing more to a subscriber after its teardown', () => {
      const channel = showing('a', 1);
      const leaving = collect(channel);
      const staying = collect(channel);
      leaving.detach();
      channel.push('b', 2);
      expect(leaving.values).toEqual(['a']);
      expect(staying.values).toEqual(['a', 'b']);
    });

    it('should give nothing to a subscriber that came and went while the channel was being subscribed again', () => {
      const channel = showing('a', 1);
      channel.resubscribing(true);
      const late = collect(channel);
      late.detach();
      channel.subscribed(1);
      channel.push('a', 1);
      channel.push('b', 2);
      expect(late.values).toEqual([]);
    });
  });

  describe('.push()', () => {
    it('should drop values pushed before the hub confirmed the subscription', () => {
      const channel = new RemoteChannel();
      const subscriber = collect(channel);
      channel.push('early', 1);
      expect(subscriber.values).toEqual([]);
      channel.subscribed(1);
      expect(collect(channel).values).toEqual([]);
      expect(channel.offer()).toBeUndefined();
      channel.push('current', 1);
      expect(subscriber.values).toEqual(['current']);
    });

    it('should emit a newer value to every subscriber', () => {
      const channel = showing('a', 1);
      const first = collect(channel);
      const second = collect(channel);
      channel.push('b', 2);
      expect(first.values).toEqual(['a', 'b']);
      expect(second.values).toEqual(['a', 'b']);
    });

    it('should drop a value whose seq is older than or equal to the one shown', () => {
      const channel = showing('a', 5);
      const subscriber = collect(channel);
      channel.push('older', 4);
      channel.push('same', 5);
      expect(subscriber.values).toEqual(['a']);
      expect(collect(channel).values).toEqual(['a']);
    });

    it('should emit a value without seq (from a hub of the original protocol)', () => {
      const channel = new RemoteChannel();
      channel.subscribed(undefined);
      const subscriber = collect(channel);
      channel.push('a', undefined);
      channel.push('a', undefined);
      expect(subscriber.values).toEqual(['a', 'a']);
    });
  });

  describe('.resubscribing()', () => {
    describe('to a new hub', () => {
      it('should not emit again to the subscribers a first push equal in content to the value shown', () => {
        const channel = showing({ n: 1, tags: ['x'] }, 7);
        const old = collect(channel);
        channel.resubscribing(false);
        channel.subscribed(1);
        channel.push({ n: 1, tags: ['x'] }, 1);
        expect(old.values).toEqual([{ n: 1, tags: ['x'] }]);
      });

      it('should give that repeat to a subscriber that came while the channel was being subscribed again', () => {
        const channel = showing({ n: 1 }, 7);
        const old = collect(channel);
        channel.resubscribing(false);
        const late = collect(channel);
        expect(late.values).toEqual([]);
        channel.subscribed(1);
        channel.push({ n: 1 }, 1);
        expect(late.values).toEqual([{ n: 1 }]);
        expect(old.values).toEqual([{ n: 1 }]);
      });

      it('should emit a first push of new content to everyone once, though its seq is below the old hub’s', () => {
        const channel = showing({ n: 1 }, 7);
        const old = collect(channel);
        channel.resubscribing(false);
        const late = collect(channel);
        channel.subscribed(1);
        channel.push({ n: 2 }, 1);
        expect(old.values).toEqual([{ n: 1 }, { n: 2 }]);
        expect(late.values).toEqual([{ n: 2 }]);
      });

      it('should number values by the new hub after the repeat', () => {
        const channel = showing('a', 7);
        const old = collect(channel);
        channel.resubscribing(false);
        const late = collect(channel);
        channel.subscribed(1);
        channel.push('a', 1);
        channel.push('b', 2);
        channel.push('stale', 2);
        expect(old.values).toEqual(['a', 'b']);
        expect(late.values).toEqual(['a', 'b']);
        expect(channel.offer()).toEqual({ json: '"b"', seq: 2, epoch: 0 });
      });

      it('should compare only the first push with the value shown: a later equal value is news', () => {
        const channel = showing('a', 7);
        const old = collect(channel);
        channel.resubscribing(false);
        channel.subscribed(1);
        channel.push('b', 1);
        channel.push('a', 2);
        expect(old.values).toEqual(['a', 'b', 'a']);
      });
    });

    describe('to the same hub', () => {
      it('should give a push with a seq it already has only to the subscribers that came meanwhile', () => {
        const channel = showing('a', 3);
        const old = collect(channel);
        channel.resubscribing(true);
        const late = collect(channel);
        channel.subscribed(3);
        channel.push('a', 3);
        expect(old.values).toEqual(['a']);
        expect(late.values).toEqual(['a']);
        expect(collect(channel).values).toEqual(['a']);
      });

      it('should tell a repeat by its seq, not by its content', () => {
        const channel = showing('a', 3);
        const old = collect(channel);
        channel.resubscribing(true);
        channel.subscribed(4);
        channel.push('a', 4);
        expect(old.values).toEqual(['a', 'a']);
      });

      it('should emit a push of a newer value to everyone once, a late subscriber included', () => {
        const channel = showing('a', 3);
        const old = collect(channel);
        channel.resubscribing(true);
        const late = collect(channel);
        channel.subscribed(4);
        channel.push('b', 4);
        expect(old.values).toEqual(['a', 'b']);
        expect(late.values).toEqual(['b']);
      });

      it('should treat late subscribers as any other once the first push came', () => {
        const channel = showing('a', 3);
        channel.resubscribing(true);
        const late = collect(channel);
        channel.subscribed(3);
        channel.push('a', 3);
        channel.push('a', 3);
        channel.push('b', 4);
        expect(late.values).toEqual(['a', 'b']);
      });
    });

    it('should still offer the value it shows while the channel is being subscribed again (two restarts in a row)', () => {
      const channel = showing('a', 3);
      channel.resubscribing(false);
      expect(channel.offer()).toEqual({ json: '"a"', seq: 3, epoch: 0 });
    });
  });

  describe('.subscribed()', () => {
    it('should empty the channel when the hub has no value (no seq)', () => {
      const channel = showing('a', 3);
      const old = collect(channel);
      channel.resubscribing(true);
      const late = collect(channel);
      channel.subscribed(undefined);
      expect(collect(channel).values).toEqual([]);
      expect(channel.offer()).toBeUndefined();
      expect(old.values).toEqual(['a']);
      expect(late.values).toEqual([]);
    });

    it('should not repeat to its subscribers the value they saw when a tab offers it back after the hub had none', () => {
      const channel = showing('a', 3);
      const old = collect(channel);
      channel.resubscribing(false);
      const late = collect(channel);
      channel.subscribed(undefined);
      const later = collect(channel);
      channel.push('a', 1);
      expect(old.values).toEqual(['a']);
      expect(late.values).toEqual(['a']);
      expect(later.values).toEqual(['a']);
      expect(channel.offer()).toEqual({ json: '"a"', seq: 1, epoch: 0 });
    });

    it('should emit a different value after emptying to everyone, as news', () => {
      const channel = showing('a', 3);
      const old = collect(channel);
      channel.resubscribing(false);
      channel.subscribed(undefined);
      channel.push('b', 1);
      expect(old.values).toEqual(['a', 'b']);
    });

    it('should keep the value when the hub confirms with a seq', () => {
      const channel = showing('a', 3);
      channel.resubscribing(true);
      channel.subscribed(3);
      expect(collect(channel).values).toEqual(['a']);
      expect(channel.offer()).toEqual({ json: '"a"', seq: 3, epoch: 0 });
    });
  });

  describe('.cleared()', () => {
    it('should empty the channel: a new subscriber gets nothing and nothing is offered', () => {
      const channel = showing('a', 1);
      const old = collect(channel);
      channel.cleared(2);
      expect(collect(channel).values).toEqual([]);
      expect(channel.offer()).toBeUndefined();
      expect(old.values).toEqual(['a']);
    });

    it('should drop a later push numbered before the clear, and emit one numbered after it', () => {
      const channel = showing('a', 1);
      const subscriber = collect(channel);
      channel.cleared(3);
      channel.push('before the clear', 2);
      expect(subscriber.values).toEqual(['a']);
      expect(collect(channel).values).toEqual([]);
      channel.push('after the clear', 4);
      expect(subscriber.values).toEqual(['a', 'after the clear']);
      expect(channel.offer()).toEqual({ json: '"after the clear"', seq: 4, epoch: 0 });
    });

    it('should be ignored before the hub confirmed the subscription', () => {
      const channel = showing('a', 1);
      channel.resubscribing(true);
      channel.cleared(5);
      channel.subscribed(1);
      expect(collect(channel).values).toEqual(['a']);
      channel.push('b', 2);
      expect(channel.offer()).toEqual({ json: '"b"', seq: 2, epoch: 0 });
    });
  });

  describe('.offer()', () => {
    it('should offer the value as JSON with its seq when live and valued', () => {
      const channel = showing({ n: 1, s: 'x' }, 3);
      expect(channel.offer()).toEqual({ json: '{"n":1,"s":"x"}', seq: 3, epoch: 0 });
    });

    it('should offer nothing before the hub confirmed the subscription', () => {
      const channel = new RemoteChannel();
      channel.push('a', 1);
      expect(channel.offer()).toBeUndefined();
    });

    it('should offer nothing when the channel has no value', () => {
      const channel = new RemoteChannel();
      channel.subscribed(2);
      expect(channel.offer()).toBeUndefined();
    });

    it('should offer nothing for a value the hub did not number', () => {
      const channel = new RemoteChannel();
      channel.subscribed(undefined);
      channel.push('a', undefined);
      expect(channel.offer()).toBeUndefined();
    });
  });
});
