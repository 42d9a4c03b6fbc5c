import { ErrorHandler, PLATFORM_ID, runInInjectionContext, type Signal } from '@angular/core';
import {
  injectChannel,
  injectSharedChannels,
  provideSharedChannels,
} from '../../src/angular/index.js';
import { LimitError, type SharedWorkerClient } from '../../src/index.js';
import { createAngularWorld, type AngularWorld } from '../helpers/angular-world.js';
import { thrownBy } from '../helpers/thrown-by.js';
import { until } from '../helpers/until.js';
import { settle } from '../helpers/wire.js';

interface Channels {
  counter: number;
  note: string;
}

let world: AngularWorld;

beforeEach(() => {
  world = createAngularWorld();
});

afterEach(() => {
  world.close();
});

/** The hub's subscriber count of `channel`: 0 once every tab left it. */
function subscribersOf(channel: string): number {
  return world.testHub.hub.stats().channels.find((c) => c.channel === channel)?.subscribers ?? 0;
}

describe('injectChannel', () => {
  it('should hold the initial value until the first value arrives, then each published value', async () => {
    const injector = world.injector([provideSharedChannels(world.worker)]);
    const counter = runInInjectionContext(injector, () =>
      injectChannel<Channels, 'counter'>('counter', { initialValue: 0 }),
    );
    expect(counter()).toBe(0);

    await world.testHub.hub.publish('counter', 1);
    await until(() => counter() === 1, 'the first value');
    await world.testHub.hub.publish('counter', 2);
    await until(() => counter() === 2, 'the second value');
  });

  it('should hold undefined until the first value without an initial value, then the current one', async () => {
    await world.testHub.hub.publish('note', 'already there');
    const injector = world.injector([provideSharedChannels(world.worker)]);
    const note = runInInjectionContext(injector, () => injectChannel<Channels, 'note'>('note'));
    expect(note()).toBeUndefined();
    await until(() => note() === 'already there', 'the current value');
  });

  it('should end its subscription when its injector is destroyed', async () => {
    const injector = world.injector([provideSharedChannels(world.worker)]);
    const view = world.injector([], injector);
    const counter = runInInjectionContext(view, () =>
      injectChannel<Channels, 'counter'>('counter'),
    );
    await world.testHub.hub.publish('counter', 1);
    await until(() => counter() === 1, 'the first value');
    expect(subscribersOf('counter')).toBe(1);

    view.destroy();
    await until(() => subscribersOf('counter') === 0, 'the hub seeing the unsubscribe');
    await world.testHub.hub.publish('counter', 2);
    await settle();
    expect(counter()).toBe(1);
  });

  it('should end with the nearest injector, and leave the client and its other signals live', async () => {
    const root = world.injector([provideSharedChannels(world.worker)]);
    const view = world.injector([], root);
    const inView = runInInjectionContext(view, () => injectChannel<Channels, 'note'>('note'));
    const inRoot = runInInjectionContext(root, () =>
      injectChannel<Channels, 'counter'>('counter', { initialValue: 0 }),
    );
    await until(() => subscribersOf('note') === 1, 'the subscription of the view');

    view.destroy();
    await until(() => subscribersOf('note') === 0, 'the hub seeing the unsubscribe');
    expect(inView()).toBeUndefined();
    await world.testHub.hub.publish('counter', 5);
    await until(() => inRoot() === 5, 'a value for the root injector');
  });

  it('should keep its last value when the channel ends', async () => {
    const injector = world.injector([provideSharedChannels(world.worker)]);
    const [client, counter] = runInInjectionContext(injector, () => [
      injectSharedChannels<Channels>(),
      injectChannel<Channels, 'counter'>('counter'),
    ]) as [SharedWorkerClient<Channels>, Signal<number | undefined>];
    await client.publish('counter', 3);
    await until(() => counter() === 3, 'the published value');
    client.disconnect(); // completes every channel Observable
    expect(counter()).toBe(3);
  });

  it('should send a refused subscription to the ErrorHandler and keep its initial value', async () => {
    world.close();
    world = createAngularWorld({ limits: { maxSubscriptionsPerClient: 1 } });
    const errors: unknown[] = [];
    const injector = world.injector([
      { provide: ErrorHandler, useValue: { handleError: (error: unknown) => errors.push(error) } },
      provideSharedChannels(world.worker),
    ]);
    const [counter, note] = runInInjectionContext(injector, () => [
      injectChannel<Channels, 'counter'>('counter', { initialValue: 0 }),
      injectChannel<Channels, 'note'>('note', { initialValue: 'none yet' }),
    ]);
    await until(() => errors.length === 1, 'the refusal');
    expect(errors[0]).toBeInstanceOf(LimitError);
    expect(note()).toBe('none yet');
    await world.testHub.hub.publish('counter', 1);
    await until(() => counter() === 1, 'a value on the channel the hub accepted');
  });

  it('should log the error where the injector has no ErrorHandler', async () => {
    world.close();
    world = createAngularWorld({ limits: { maxSubscriptionsPerClient: 1 } });
    const logged: unknown[] = [];
    const log = jest.spyOn(console, 'error').mockImplementation((error: unknown) => {
      logged.push(error);
    });
    try {
      const injector = world.injector([provideSharedChannels(world.worker)]);
      runInInjectionContext(injector, () => {
        injectChannel<Channels, 'counter'>('counter');
        injectChannel<Channels, 'note'>('note');
      });
      await until(() => logged.length === 1, 'the logged refusal');
    } finally {
      log.mockRestore();
    }
    expect(logged[0]).toBeInstanceOf(LimitError);
  });

  it('should keep its initial value on the server platform, and open no port', async () => {
    const injector = world.injector([
      { provide: PLATFORM_ID, useValue: 'server' },
      provideSharedChannels(world.worker),
    ]);
    const counter = runInInjectionContext(injector, () =>
      injectChannel<Channels, 'counter'>('counter', { initialValue: 0 }),
    );
    await world.testHub.hub.publish('counter', 1);
    await settle();
    expect(counter()).toBe(0);
    expect(world.made()).toBe(0);
  });

  it('should throw a TypeError naming the call outside an injection context', () => {
    expect(thrownBy(() => injectChannel('counter'))).toStrictEqual(
      new TypeError(
        'injectChannel(): must be called in an injection context (a constructor, a field ' +
          "initializer, a provider's factory or runInInjectionContext), got a call outside one; see " +
          'https://angular.dev/errors/NG0203',
      ),
    );
  });

  it('should throw a TypeError naming the call for a bad channel name', () => {
    const injector = world.injector([provideSharedChannels(world.worker)]);
    expect(thrownBy(() => runInInjectionContext(injector, () => injectChannel('')))).toStrictEqual(
      new TypeError('injectChannel(): channel must be a non-empty string, got "" (string)'),
    );
  });

  it('should type the signal by the channel map', () => {
    const injector = world.injector([provideSharedChannels(world.worker)]);
    runInInjectionContext(injector, () => {
      const counter: Signal<number> = injectChannel<Channels, 'counter'>('counter', {
        initialValue: 0,
      });
      const note: Signal<string | undefined> = injectChannel<Channels, 'note'>('note');
      // @ts-expect-error: without an initial value, the signal may hold undefined
      const strict: Signal<string> = injectChannel<Channels, 'note'>('note');
      // @ts-expect-error: counter carries numbers
      injectChannel<Channels, 'counter'>('counter', { initialValue: 'zero' });
      // @ts-expect-error: no such channel in the map
      injectChannel<Channels, 'missing'>('missing');
      // @ts-expect-error: one type argument is not enough (TypeScript would infer no channel name)
      injectChannel<Channels>('counter');
      expect([counter(), note(), strict()]).toEqual([0, undefined, undefined]);
    });
  });
});
