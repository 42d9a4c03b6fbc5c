/**
 * Type test of the Angular entry point, compiled with `exactOptionalPropertyTypes` by
 * `tsc -p spec/types/tsconfig.json`, never run: its options take an explicit `undefined` wherever they take
 * nothing, as code that forwards its own optional settings passes them.
 */
import type { Signal } from '@angular/core';
import type { ClientOptions, WorkerSource } from '../../src/index.js';
import { injectChannel, provideSharedChannels } from '../../src/angular/index.js';

interface Channels {
  counter: number;
}

declare const worker: WorkerSource;
declare const options: ClientOptions | undefined;
declare const initialValue: number | undefined;

export const providers = provideSharedChannels(worker, options);
export const counter: Signal<number | undefined> = injectChannel<Channels, 'counter'>('counter', {
  initialValue,
});
export const fromNothing: Signal<number | undefined> = injectChannel<Channels, 'counter'>(
  'counter',
  {
    initialValue: undefined,
  },
);
