import { describeValue, type Endpoint } from '../protocol.js';
import type { OpenedEndpoint, Transport } from '../transport.js';

/** The part of a `SharedWorker` the client uses. */
export interface SharedWorkerLike {
  readonly port: Endpoint;
  addEventListener?(type: 'error', listener: (event: unknown) => void): void;
}

/**
 * Where the hub lives: a factory that makes the worker (the form bundlers understand:
 * `() => new SharedWorker(new URL('./channels.worker.ts', import.meta.url), { name: 'channels', type: 'module' })`),
 * a `SharedWorker` the app made, or the worker script's URL. A factory may also return any
 * {@link Endpoint}, e.g. a `MessagePort` wired to a hub in the same page.
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
    return { endpoint: worker.port, hub: worker };
  }
  return toOpenedEndpoint(typeof source === 'function' ? source() : source);
}

function toOpenedEndpoint(made: unknown): OpenedEndpoint {
  if (isSharedWorkerLike(made)) return { endpoint: made.port, hub: made };
  if (isEndpoint(made)) return { endpoint: made };
  throw new TypeError(
    `SharedWorkerClient: worker must be a script URL, a SharedWorker or a factory returning one, got ${describeValue(made)}`,
  );
}

/**
 * The first endpoint from a URL or a factory, or `undefined` when SharedWorker is missing or refuses to
 * be made (some privacy modes throw on construction). A factory's result that is no worker at all is a
 * programmer error, and throws.
 */
export function tryOpenEndpoint(
  source: WorkerSource,
  name: string | undefined,
): OpenedEndpoint | undefined {
  let made: unknown;
  try {
    if (typeof source === 'function') made = source();
    else if (typeof SharedWorker === 'undefined') return undefined;
    else return openEndpoint(source, name);
  } catch {
    return undefined;
  }
  return toOpenedEndpoint(made);
}

/** A SharedWorker (or whatever endpoint the source makes), made again from its source after a loss. */
export class SharedWorkerTransport implements Transport {
  readonly mode = 'shared-worker';
  readonly canReopen: boolean;

  constructor(
    private readonly source: WorkerSource,
    private readonly name: string | undefined,
    /** The endpoint made while choosing the mode, handed out by the first `open()`. */
    private first?: OpenedEndpoint,
  ) {
    this.canReopen = canReopen(source);
  }

  open(): OpenedEndpoint {
    const first = this.first;
    this.first = undefined;
    return first ?? openEndpoint(this.source, this.name);
  }

  close(): void {
    // The worker belongs to the browser: it lives on for the other tabs.
  }
}
