import {
  DestroyRef,
  InjectionToken,
  Injector,
  PLATFORM_ID,
  inject,
  makeEnvironmentProviders,
  type EnvironmentProviders,
} from '@angular/core';
import {
  SharedWorkerClient,
  type ChannelMap,
  type ClientOptions,
  type WorkerSource,
} from '../index.js';
import { ServerClient } from './server-client.js';
import type { SharedChannels } from './shared-channels.js';

/** The client of the environment injector that `provideSharedChannels` was given to. */
const SHARED_CHANNELS = new InjectionToken<SharedChannels>('shared-channels client');

/**
 * The value `@angular/platform-server` gives `PLATFORM_ID`: what `isPlatformServer()` of
 * `@angular/common` compares with, without making `@angular/common` a dependency for one comparison.
 */
const PLATFORM_SERVER_ID = 'server';

/**
 * Provides the tab's shared channels client, for `injectSharedChannels()` and `injectChannel()`. Takes the
 * worker and the options of `new SharedWorkerClient(worker, options)`.
 *
 * The client is made on its first injection (an app that never injects it starts no worker), once per
 * environment injector given these providers, and is disconnected when that injector is destroyed.
 *
 * On the server platform (SSR, prerendering: `PLATFORM_ID` `'server'`), nothing touches `SharedWorker`,
 * `navigator` or `window` and the worker is never made: the client is inert, so that components written for
 * the browser render there unchanged, as the browser's first frame shows them. Its `channel()` completes
 * at once without a value (signals keep their initial value), `get()` resolves `undefined`, `publish()`,
 * `clear()` and `stats()` reject with `DisconnectedError`, `connectionState$` is `'connecting'` and
 * `transport` is `'server'`. It starts no timer, so a render never waits for it.
 *
 * ```ts
 * // app.config.ts
 * export const appConfig: ApplicationConfig = {
 *   providers: [
 *     provideSharedChannels(
 *       () =>
 *         new SharedWorker(new URL('./channels.worker', import.meta.url), {
 *           name: 'channels',
 *           type: 'module',
 *         }),
 *     ),
 *   ],
 * };
 * ```
 */
export function provideSharedChannels(
  worker: WorkerSource,
  options?: ClientOptions,
): EnvironmentProviders {
  return makeEnvironmentProviders([
    { provide: SHARED_CHANNELS, useFactory: () => createClient(worker, options) },
  ]);
}

/** Runs in the injection context of the environment injector that holds the provider. */
function createClient(worker: WorkerSource, options: ClientOptions | undefined): SharedChannels {
  // PLATFORM_ID lives in the platform injector; an injector made without a platform has none.
  if (inject(PLATFORM_ID, { optional: true }) === PLATFORM_SERVER_ID) return new ServerClient();
  const client = new SharedWorkerClient(worker, options);
  inject(DestroyRef).onDestroy(() => client.disconnect());
  return client;
}

/**
 * The shared channels client given by `provideSharedChannels`, typed by your channel map. Call it in an
 * injection context (a constructor, a field initializer, a provider's factory, `runInInjectionContext`).
 *
 * ```ts
 * export class CounterComponent {
 *   private readonly channels = injectSharedChannels<Channels>();
 *
 *   increment(): Promise<void> {
 *     return this.channels.publish('counter', 1);
 *   }
 * }
 * ```
 */
export function injectSharedChannels<
  Channels extends ChannelMap = ChannelMap,
>(): SharedChannels<Channels> {
  return clientFor('injectSharedChannels');
}

/**
 * The client in the current injection context, for `call`; throws, naming `call`, outside one or where
 * no `provideSharedChannels` was given.
 */
export function clientFor(call: string): SharedChannels {
  // inject() fails outside an injection context with Angular's NG0203, whose message names the token
  // (and in production builds only the code). Ask for the Injector first, which every context has, so
  // that errors of the client's own making (bad options) are not taken for a missing context.
  try {
    inject(Injector);
  } catch {
    throw new TypeError(
      `${call}(): must be called in an injection context (a constructor, a field initializer, a ` +
        "provider's factory or runInInjectionContext), got a call outside one; see " +
        'https://angular.dev/errors/NG0203',
    );
  }
  const client = inject(SHARED_CHANNELS, { optional: true });
  if (client === null) {
    throw new TypeError(
      `${call}(): no shared channels client in this injector: add provideSharedChannels(worker) to the ` +
        "application's providers (app.config.ts)",
    );
  }
  return client;
}
