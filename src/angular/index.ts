/**
 * The Angular entry point: {@link provideSharedChannels} for the application's providers, and
 * {@link injectChannel} and {@link injectSharedChannels} in components and services.
 *
 * @module shared-channels/angular
 */
export { provideSharedChannels, injectSharedChannels } from './provide-shared-channels.js';
export { injectChannel, type InjectChannelOptions } from './inject-channel.js';
export type { SharedChannels } from './shared-channels.js';
