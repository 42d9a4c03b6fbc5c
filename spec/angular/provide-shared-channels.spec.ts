import { PLATFORM_ID, runInInjectionContext } from '@angular/core';
import { firstValueFrom } from 'rxjs';
import { injectSharedChannels, provideSharedChannels } from '../../src/angular/index.js';
import { SharedWorkerClient, type ConnectionState } from '../../src/index.js';
import { createAngularWorld, type AngularWorld } from '../helpers/angular-world.js';
import { thrownBy } from '../helpers/thrown-by.js';
import { until } from '../helpers/until.js';

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

describe('provideSharedChannels', () => {
  it('should make no client, and start no worker, before the first injection', () => {
    const injector = world.injector([provideSharedChannels(world.worker)]);
    expect(world.made()).toBe(0);
    runInInjectionContext(injector, () => injectSharedChannels());
    expect(world.made()).toBe(1);
  });

  it('should give every injection in its injector and in its children one client', () => {
    const root = world.injector([provideSharedChannels(world.worker)]);
    const child = world.injector([], root);
    const first = runInInjectionContext(root, () => injectSharedChannels());
    expect(runInInjectionContext(root, () => injectSharedChannels())).toBe(first);
    expect(runInInjectionContext(child, () => injectSharedChannels())).toBe(first);
    expect(first).toBeInstanceOf(SharedWorkerClient);
    expect(world.made()).toBe(1);
  });

  it('should give each injector it is provided in a client of its own', () => {
    const root = world.injector([provideSharedChannels(world.worker)]);
    const lazyRoute = world.injector([provideSharedChannels(world.worker)], root);
    const ofRoot = runInInjectionContext(root, () => injectSharedChannels());
    const ofRoute = runInInjectionContext(lazyRoute, () => injectSharedChannels());
    expect(ofRoute).not.toBe(ofRoot);
    expect(world.made()).toBe(2);
  });

  it('should disconnect the client when its injector is destroyed, and not before', async () => {
    const injector = world.injector([provideSharedChannels(world.worker)]);
    const client = runInInjectionContext(injector, () => injectSharedChannels());
    await client.stats(); // the handshake is done: the hub counts this tab
    expect(world.testHub.hub.stats().clients).toBe(1);

    injector.destroy();
    const states: ConnectionState[] = [];
    client.connectionState$.subscribe((state) => states.push(state));
    expect(states).toEqual(['closed']);
    await until(() => world.testHub.hub.stats().clients === 0, 'the hub dropping the tab');
  });

  it('should not disconnect the client when a child injector is destroyed', async () => {
    const root = world.injector([provideSharedChannels(world.worker)]);
    const child = world.injector([], root);
    const client = runInInjectionContext(child, () => injectSharedChannels());
    child.destroy();
    await expect(client.stats()).resolves.toMatchObject({ clients: 1 });
  });

  it('should pass the options to the client, whose own errors reach the first injection', () => {
    const injector = world.injector([provideSharedChannels(world.worker, { timeout: -1 })]);
    expect(
      thrownBy(() => runInInjectionContext(injector, () => injectSharedChannels())),
    ).toStrictEqual(
      new TypeError(
        'SharedWorkerClient(): timeout must be a positive number of ms, got -1 (number)',
      ),
    );
  });

  describe('on the server platform', () => {
    const onServer = { provide: PLATFORM_ID, useValue: 'server' };

    it('should never make the worker, from a factory or a URL', () => {
      const constructed: unknown[] = [];
      // A SharedWorker that records being made: jsdom has none, and a server has none either.
      const globals = globalThis as { SharedWorker?: unknown };
      globals.SharedWorker = class {
        constructor(...args: unknown[]) {
          constructed.push(args);
        }
      };
      try {
        const fromFactory = world.injector([onServer, provideSharedChannels(world.worker)]);
        const fromUrl = world.injector([onServer, provideSharedChannels('/shared-worker.js')]);
        runInInjectionContext(fromFactory, () => injectSharedChannels());
        runInInjectionContext(fromUrl, () => injectSharedChannels());
      } finally {
        delete globals.SharedWorker;
      }
      expect(world.made()).toBe(0);
      expect(constructed).toEqual([]);
    });

    it('should give an inert client, one per injector, that a destroyed injector leaves alone', async () => {
      const injector = world.injector([onServer, provideSharedChannels(world.worker)]);
      const client = runInInjectionContext(injector, () => injectSharedChannels<Channels>());
      expect(runInInjectionContext(injector, () => injectSharedChannels())).toBe(client);
      expect(client.transport).toBe('server');
      expect(await firstValueFrom(client.connectionState$)).toBe('connecting');
      injector.destroy();
      expect(await client.get('counter')).toBeUndefined();
    });
  });
});

describe('injectSharedChannels', () => {
  it('should throw a TypeError naming the call outside an injection context', () => {
    expect(thrownBy(() => injectSharedChannels())).toStrictEqual(
      new TypeError(
        'injectSharedChannels(): must be called in an injection context (a constructor, a field ' +
          "initializer, a provider's factory or runInInjectionContext), got a call outside one; see " +
          'https://angular.dev/errors/NG0203',
      ),
    );
  });

  it('should throw a TypeError naming the call where no provideSharedChannels was given', () => {
    const injector = world.injector([]);
    expect(
      thrownBy(() => runInInjectionContext(injector, () => injectSharedChannels())),
    ).toStrictEqual(
      new TypeError(
        'injectSharedChannels(): no shared channels client in this injector: add ' +
          "provideSharedChannels(worker) to the application's providers (app.config.ts)",
      ),
    );
  });

  it('should type the client by the channel map', async () => {
    const injector = world.injector([provideSharedChannels(world.worker)]);
    const client = runInInjectionContext(injector, () => injectSharedChannels<Channels>());
    await client.publish('counter', 1);
    const counter: number | undefined = await client.get('counter');
    expect(counter).toBe(1);
    // @ts-expect-error: counter carries numbers
    await client.publish('counter', 'one');
    // @ts-expect-error: no such channel in the map
    await client.get('missing');
  });
});
