import { hostElectedHub } from '../elected/worker-host.js';
import type { Endpoint } from '../protocol.js';
import { Hub, type HubOptions } from './hub.js';
import { withEnvironment } from './hub-environment.js';

/** The little of `SharedWorkerGlobalScope` the entry needs (the WebWorker lib would clash with DOM). */
interface ConnectEvent {
  ports: readonly Endpoint[];
}
interface SharedWorkerScope {
  addEventListener(type: 'connect', listener: (event: ConnectEvent) => void): void;
  /** The name the tabs gave the worker (`new SharedWorker(url, { name })`). */
  readonly name?: string;
}

interface WorkerGlobals {
  DedicatedWorkerGlobalScope?: abstract new () => unknown;
  BroadcastChannel?: new (name: string) => {
    postMessage(message: unknown): void;
    addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
    removeEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
    close(): void;
  };
}

/** True in a dedicated Worker: where an elected leader runs the app's worker file (`fallbackWorker`). */
function inDedicatedWorker(): boolean {
  const { DedicatedWorkerGlobalScope } = globalThis as WorkerGlobals;
  return (
    typeof DedicatedWorkerGlobalScope === 'function' &&
    globalThis instanceof DedicatedWorkerGlobalScope
  );
}

/**
 * Starts the hub in this worker: every tab that connects is served. Call it once, from the app's own
 * worker file; the returned hub lets worker-side code publish and observe (one WebSocket for all tabs,
 * for example).
 *
 * The same file runs in both of the client's modes: as the SharedWorker, and, in browsers without
 * SharedWorker, as the dedicated Worker that the elected leader tab starts from it (the client's
 * `fallbackWorker`). Either way, this hub serves every tab of the origin.
 *
 * ```ts
 * // channels.worker.ts
 * import { startSharedWorker } from 'shared-channels/worker';
 * const hub = startSharedWorker({ persist: ['settings', /^cart:/] }); // these outlive the last tab
 * ```
 */
export function startSharedWorker(options: HubOptions = {}): Hub {
  const scope = globalThis as unknown as SharedWorkerScope;
  const dedicated = inDedicatedWorker();
  if (!('onconnect' in globalThis) && !dedicated) {
    throw new TypeError(
      'startSharedWorker(): must be called inside a SharedWorker, or the dedicated Worker of fallbackWorker',
    );
  }
  // Hubs of one origin with different worker names keep their persisted channels apart. A `name` left
  // `undefined` is left out: it must not hide the worker's.
  const named =
    scope.name && options.name === undefined ? { ...options, name: scope.name } : options;
  const hub = asCalled(() => new Hub(withEnvironment(named)));
  if (dedicated) {
    const { BroadcastChannel } = globalThis as WorkerGlobals;
    hostElectedHub(hub, globalThis, (name) => {
      if (!BroadcastChannel)
        throw new TypeError('startSharedWorker(): BroadcastChannel is missing');
      return new BroadcastChannel(name);
    });
    return hub;
  }
  scope.addEventListener('connect', (event) => {
    for (const port of event.ports) hub.connect(port);
  });
  return hub;
}

/** Makes the hub; an option it refuses is reported as this call's, the one the app made. */
function asCalled(make: () => Hub): Hub {
  try {
    return make();
  } catch (error) {
    const prefix = 'new Hub(): ';
    if (error instanceof TypeError && error.message.startsWith(prefix)) {
      throw new TypeError(`startSharedWorker(): ${error.message.slice(prefix.length)}`, {
        cause: error,
      });
    }
    throw error;
  }
}
