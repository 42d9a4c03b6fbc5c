import type { Endpoint } from '../protocol.js';
import { Hub, type HubOptions } from './hub.js';

/** The little of `SharedWorkerGlobalScope` the entry needs (the WebWorker lib would clash with DOM). */
interface ConnectEvent {
  ports: readonly Endpoint[];
}
interface SharedWorkerScope {
  addEventListener(type: 'connect', listener: (event: ConnectEvent) => void): void;
  /** The name the tabs gave the worker (`new SharedWorker(url, { name })`). */
  readonly name?: string;
}

/**
 * Starts the hub in this SharedWorker: every tab that connects is served. Call it once, from the app's
 * own worker file; the returned hub lets worker-side code publish and observe (one WebSocket for all
 * tabs, for example).
 *
 * ```ts
 * // channels.worker.ts
 * import { startSharedWorker } from 'shared-channels/worker';
 * const hub = startSharedWorker({ persist: ['settings', /^cart:/] }); // these outlive the last tab
 * ```
 */
export function startSharedWorker(options: HubOptions = {}): Hub {
  const scope = globalThis as unknown as SharedWorkerScope;
  if (!('onconnect' in globalThis)) {
    throw new TypeError('startSharedWorker(): must be called inside a SharedWorker');
  }
  // Hubs of one origin with different worker names keep their persisted channels apart.
  const hub = new Hub(scope.name ? { name: scope.name, ...options } : options);
  scope.addEventListener('connect', (event) => {
    for (const port of event.ports) hub.connect(port);
  });
  return hub;
}
