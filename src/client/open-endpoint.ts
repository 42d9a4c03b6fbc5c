import { describe, type Endpoint } from '../protocol.js';

/** The part of a `SharedWorker` the client uses. */
export interface SharedWorkerLike {
  readonly port: Endpoint;
  addEventListener?(type: 'error', listener: (event: unknown) => void): void;
}

/** A port to the hub, and the worker behind it when there is one (for its `error` event). */
export interface OpenedEndpoint {
  endpoint: Endpoint;
  worker?: SharedWorkerLike;
}

/**
 * Where the hub lives: a factory that makes the worker (the form bundlers understand:
 * `() => new SharedWorker(new URL('./channels.worker.ts', import.meta.url))`), a `SharedWorker` the app
 * made, or the worker script's URL. A factory may also return any {@link Endpoint}, e.g. a
 * `MessagePort` wired to a hub in the same page.
 */
export type WorkerSource = string | URL | SharedWorkerLike | (() => SharedWorkerLike | Endpoint);

function isEndpoint(value: unknown): value is Endpoint {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Endpoint).postMessage === 'function' &&
    typeof (value as Endpoint).addEventListener === 'function'
  );
}

function isSharedWorkerLike(value: unknown): value is SharedWorkerLike {
  return (
    typeof value === 'object' && value !== null && isEndpoint((value as SharedWorkerLike).port)
  );
}

/** True when {@link openEndpoint} can make a fresh worker from `source` (after the old one died). */
export function canReopen(source: WorkerSource): boolean {
  return typeof source === 'string' || source instanceof URL || typeof source === 'function';
}

/** Opens the port to the hub that `source` names. */
export function openEndpoint(source: WorkerSource, name: string | undefined): OpenedEndpoint {
  if (typeof source === 'string' || source instanceof URL) {
    if (typeof SharedWorker === 'undefined') {
      throw new TypeError('SharedWorkerClient: SharedWorker is not available in this environment');
    }
    const worker = new SharedWorker(source, name === undefined ? undefined : { name });
    return { endpoint: worker.port, worker };
  }
  const made: unknown = typeof source === 'function' ? source() : source;
  if (isSharedWorkerLike(made)) return { endpoint: made.port, worker: made };
  if (isEndpoint(made)) return { endpoint: made };
  throw new TypeError(
    `SharedWorkerClient: worker must be a script URL, a SharedWorker or a factory returning one, got ${describe(made)}`,
  );
}
