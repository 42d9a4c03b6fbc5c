import type { ChannelMap, SharedWorkerClient, TransportMode } from '../index.js';

/**
 * What `injectSharedChannels()` returns: the `SharedWorkerClient` in the browser, and on the server
 * platform an inert client with the same members, whose `transport` is `'server'` (see
 * `provideSharedChannels`). Narrow with `client instanceof SharedWorkerClient` where only the
 * browser's will do.
 */
export interface SharedChannels<Channels extends ChannelMap = ChannelMap> extends Pick<
  SharedWorkerClient<Channels>,
  | 'connectionState$'
  | 'clientId'
  | 'channel'
  | 'subscribe'
  | 'publish'
  | 'get'
  | 'clear'
  | 'unsubscribe'
  | 'stats'
  | 'disconnect'
> {
  /** How this client reaches its hub (see `SharedWorkerClient.transport`); `'server'`: it does not. */
  readonly transport: TransportMode | 'server';
}
