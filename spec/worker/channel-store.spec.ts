import { LimitError } from '../../src/errors.js';
import { Channel, ChannelStore } from '../../src/worker/channel-store.js';

describe('Channel', () => {
  it('should start with no value, no subscribers and zero counters', () => {
    const channel = new Channel<string>('prices');
    expect(channel.name).toBe('prices');
    expect(channel.value$.value).toBeUndefined();
    expect(channel.subscribers).toBeUndefined();
    expect(channel.subscriberCount).toBe(0);
    expect(channel.published).toBe(0);
    expect(channel.lastPublished).toBeNull();
    expect(channel.isInUse).toBe(false);
  });

  describe('.subscriberCount', () => {
    it('should count the subscribers', () => {
      const channel = new Channel<string>('prices');
      for (const s of ['tab-1', 'tab-2']) channel.addSubscriber(s);
      expect(channel.subscriberCount).toBe(2);
    });
  });

  describe('.isInUse', () => {
    it('should be true while the channel has a value', () => {
      const channel = new Channel<string>('prices');
      channel.value$.next({ json: 'null', seq: 1 });
      expect(channel.isInUse).toBe(true);
    });

    it('should be true while a tab subscribes, and false once none does', () => {
      const channel = new Channel<string>('prices');
      for (const s of ['tab-1']) channel.addSubscriber(s);
      expect(channel.isInUse).toBe(true);
      channel.removeSubscriber('tab-1');
      expect(channel.isInUse).toBe(false);
    });

    it('should be true while worker-side code observes the channel', () => {
      const channel = new Channel<string>('prices');
      const subscription = channel.value$.subscribe();
      expect(channel.isInUse).toBe(true);
      subscription.unsubscribe();
      expect(channel.isInUse).toBe(false);
    });
  });
});

describe('ChannelStore', () => {
  describe('.ensure()', () => {
    it('should make a channel on first use and return the same one after', () => {
      const store = new ChannelStore<string>(10);
      const channel = store.ensure('prices');
      expect(channel).toBeInstanceOf(Channel);
      expect(channel.name).toBe('prices');
      expect(store.ensure('prices')).toBe(channel);
      expect(store.size).toBe(1);
    });

    it('should treat __proto__, constructor and hasOwnProperty as ordinary channels', () => {
      const store = new ChannelStore<string>(10);
      expect(store.get('__proto__')).toBeUndefined();
      expect(store.get('constructor')).toBeUndefined();
      expect(store.get('hasOwnProperty')).toBeUndefined();
      const proto = store.ensure('__proto__');
      const ctor = store.ensure('constructor');
      const own = store.ensure('hasOwnProperty');
      expect(new Set([proto, ctor, own]).size).toBe(3);
      expect([proto.name, ctor.name, own.name]).toEqual([
        '__proto__',
        'constructor',
        'hasOwnProperty',
      ]);
      expect(store.get('__proto__')).toBe(proto);
      expect(store.size).toBe(3);
      expect(Object.prototype).not.toHaveProperty('name');
    });

    it('should refuse a new channel beyond the limit with a LimitError', () => {
      const store = new ChannelStore<string>(2);
      store.ensure('a');
      store.ensure('b');
      expect(() => store.ensure('c')).toThrow(LimitError);
      expect(() => store.ensure('c')).toThrow(
        'channel limit reached: the hub holds 2 channels (limits.maxChannels)',
      );
      expect(store.size).toBe(2);
      expect(store.get('c')).toBeUndefined();
    });

    it('should still return an existing channel when the store is full', () => {
      const store = new ChannelStore<string>(1);
      const channel = store.ensure('a');
      expect(store.ensure('a')).toBe(channel);
    });
  });

  describe('.get()', () => {
    it('should return undefined for a channel never made, without making it', () => {
      const store = new ChannelStore<string>(10);
      expect(store.get('nothing')).toBeUndefined();
      expect(store.size).toBe(0);
    });
  });

  describe('.release()', () => {
    it('should forget a channel nothing needs', () => {
      const store = new ChannelStore<string>(10);
      store.release(store.ensure('a'));
      expect(store.get('a')).toBeUndefined();
      expect(store.size).toBe(0);
    });

    it('should keep a channel that has a value', () => {
      const store = new ChannelStore<string>(10);
      const channel = store.ensure('a');
      channel.value$.next({ json: '1', seq: 1 });
      store.release(channel);
      expect(store.get('a')).toBe(channel);
    });

    it('should keep a channel that has a subscriber', () => {
      const store = new ChannelStore<string>(10);
      const channel = store.ensure('a');
      for (const s of ['tab-1']) channel.addSubscriber(s);
      store.release(channel);
      expect(store.get('a')).toBe(channel);
    });

    it('should keep a channel that worker-side code observes', () => {
      const store = new ChannelStore<string>(10);
      const channel = store.ensure('a');
      const subscription = channel.value$.subscribe();
      store.release(channel);
      expect(store.get('a')).toBe(channel);
      subscription.unsubscribe();
    });

    it('should not forget a newer channel of the same name', () => {
      const store = new ChannelStore<string>(10);
      const stale = store.ensure('a');
      store.release(stale);
      const fresh = store.ensure('a');
      fresh.value$.next({ json: '1', seq: 1 });
      stale.value$.next(undefined);
      store.release(stale);
      expect(store.get('a')).toBe(fresh);
    });

    it('should free room for a new channel under the limit', () => {
      const store = new ChannelStore<string>(1);
      store.release(store.ensure('a'));
      expect(store.ensure('b').name).toBe('b');
    });
  });

  describe('.values()', () => {
    it('should list the channels in the order they were made', () => {
      const store = new ChannelStore<string>(10);
      store.ensure('b');
      store.ensure('a');
      store.ensure('__proto__');
      expect([...store.values()].map((channel) => channel.name)).toEqual(['b', 'a', '__proto__']);
    });
  });
});
