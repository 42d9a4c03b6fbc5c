import { DestroyRef, ErrorHandler, inject, signal, type Signal } from '@angular/core';
import type { ChannelMap } from '../index.js';
import { checkChannel } from '../protocol.js';
import { clientFor } from './provide-shared-channels.js';

/** Options of {@link injectChannel}. */
export interface InjectChannelOptions<T> {
  /** The signal's value until the channel's first value arrives. Default `undefined`. */
  initialValue?: T | undefined;
}

/**
 * A `Signal` of the channel's value: `initialValue` until the first value arrives (a round trip to the
 * hub), then the channel's current value and each update. Call it in an injection context (a field
 * initializer, a constructor, `runInInjectionContext`); its subscription ends when the nearest
 * `DestroyRef` is destroyed: the component's, or the environment injector's. On the server platform the
 * signal keeps its initial value.
 *
 * When the channel's Observable ends, the signal keeps the last value it had. It completes on
 * `client.unsubscribe(name)` and `disconnect()`. It errors when the hub refuses the subscription
 * (`LimitError`) or the worker cannot start (`WorkerStartError`): that error goes to the application's
 * `ErrorHandler`, where Angular sends every error it cannot throw to a caller. It is not rethrown on each
 * read, as `toSignal` does: a live value that stopped updating is still the best one to show, and a
 * throwing signal would break every template and `computed` that reads it. For `toSignal`'s semantics,
 * use `toSignal(injectSharedChannels<Channels>().channel(name))`.
 *
 * Name both type arguments (TypeScript infers none when one is given), or wrap it once for your map.
 *
 * ```ts
 * interface Channels {
 *   counter: number;
 *   note: string;
 * }
 *
 * export class CounterComponent {
 *   readonly counter = injectChannel<Channels, 'counter'>('counter', { initialValue: 0 }); // Signal<number>
 *   readonly note = injectChannel<Channels, 'note'>('note'); // Signal<string | undefined>
 * }
 * ```
 */
export function injectChannel<Channels extends ChannelMap, K extends keyof Channels & string>(
  name: K,
  options: InjectChannelOptions<Channels[K]> & { initialValue: Channels[K] },
): Signal<Channels[K]>;
export function injectChannel<Channels extends ChannelMap, K extends keyof Channels & string>(
  name: K,
  options?: InjectChannelOptions<Channels[K]>,
): Signal<Channels[K] | undefined>;
export function injectChannel(
  name: string,
  options: InjectChannelOptions<unknown> = {},
): Signal<unknown> {
  const client = clientFor('injectChannel');
  checkChannel(name, 'injectChannel');
  const value = signal(options.initialValue);
  const errorHandler = inject(ErrorHandler, { optional: true });
  // Before subscribing: a DestroyRef already destroyed throws here, and must not leave a subscription.
  const destroyRef = inject(DestroyRef);
  const subscription = client.channel(name).subscribe({
    next: (data) => value.set(data),
    error: (error: unknown) => {
      // Every Angular application has an ErrorHandler; an injector made without one logs.
      if (errorHandler) errorHandler.handleError(error);
      else console.error(error);
    },
  });
  destroyRef.onDestroy(() => subscription.unsubscribe());
  return value.asReadonly();
}
