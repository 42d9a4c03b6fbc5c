/**
 * Type test, compiled with `exactOptionalPropertyTypes` by `tsc -p spec/types/tsconfig.json` (in
 * `npm run typecheck`), never run: every public options type takes an explicit `undefined` wherever it
 * takes nothing, as code that forwards its own optional settings passes them.
 */
import {
  SharedWorkerClient,
  type ChannelOptions,
  type ClientOptions,
  type DedicatedWorkerLike,
  type RequestOptions,
  type TransportMode,
} from '../../src/index.js';
import {
  Hub,
  IndexedDbPersistence,
  startSharedWorker,
  type HubOptions,
  type IndexedDbPersistenceOptions,
  type Persistence,
  type PersistOption,
} from '../../src/worker/index.js';

declare const timeout: number | undefined;
declare const name: string | undefined;
declare const flag: boolean | undefined;
declare const transport: TransportMode | undefined;
declare const fallbackWorker: (() => DedicatedWorkerLike) | undefined;
declare const persist: PersistOption | undefined;
declare const persistence: Persistence | undefined;
declare const limit: number | undefined;
declare const factory: IDBFactory | undefined;
declare const durability: 'strict' | 'relaxed' | undefined;

export const clientOptions: ClientOptions = {
  timeout,
  name,
  maxPayload: undefined,
  heartbeat: undefined,
  transport,
  fallbackWorker,
};
export const channelOptions: ChannelOptions = { conflate: flag };
export const requestOptions: RequestOptions = { timeout };

export function client(): void {
  const channels = new SharedWorkerClient<{ note: string }>('/shared-worker.js', { timeout, name });
  channels.channel('note', { conflate: flag });
  void channels.get('note', { timeout });
  void channels.publish('note', 'hi', { timeout: undefined });
  void channels.clear('note', { timeout });
  void channels.stats({ timeout });
}

export const limits: HubOptions['limits'] = {
  maxPayload: limit,
  maxChannelName: limit,
  maxChannels: undefined,
  maxSubscriptionsPerClient: limit,
  maxRequestsPerSecond: limit,
};

export const hubOptions: HubOptions = {
  limits: undefined,
  locks: undefined,
  persist,
  persistence,
  name,
};

export const persistenceOptions: IndexedDbPersistenceOptions = {
  name,
  indexedDB: factory,
  durability,
};

export function worker(): void {
  new Hub({ limits: { maxPayload: limit }, persist, persistence, name });
  startSharedWorker({ persist, name, locks: undefined });
  new IndexedDbPersistence({ name, indexedDB: factory, durability });
}
