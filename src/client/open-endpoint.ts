import { ElectedTransport, type ElectedEnvironment } from '../elected/elected-transport.js';
import { LocalTransport } from '../elected/local-transport.js';
import { describe, type Endpoint } from '../protocol.js';
import type { HubOptions, LockManagerLike } from '../worker/hub.js';
import { parsePersistQuery } from '../worker/persist-query.js';

/** The part of a `SharedWorker` the client uses. */
export interface SharedWorkerLike {
  readonly port: Endpoint;
  addEventListener?(type: 'error', listener: (event: unknown) => void): void;
}

/** What fires `error` when the hub behind an endpoint is lost: a SharedWorker, or an elected leader. */
export interface HubEvents {
  addEventListener?(type: 'error', listener: (event: unknown) => void): void;
  removeEventListener?(type: 'error', listener: (event: unknown) => void): void;
}

/** A port to the hub, and what reports the hub's loss when anything does (for its `error` event). */
export interface OpenedEndpoint {
  endpoint: Endpoint;
  hub?: HubEvents;
}

/**
 * Where the hub lives: a factory that makes the worker (the form bundlers understand:
 * `() => new SharedWorker(new URL('./channels.worker.ts', import.meta.url))`), a `SharedWorker` the app
 * made, or the worker script's URL. A factory may also return any {@link Endpoint}, e.g. a
 * `MessagePort` wired to a hub in the same page.
 */
export type WorkerSource = string | URL | SharedWorkerLike | (() => SharedWorkerLike | Endpoint);

/**
 * How a client reaches its hub: a SharedWorker; a hub run by one tab the tabs elected, over
 * BroadcastChannel (where SharedWorker is missing); or a hub in this tab alone (where Web Locks or
 * BroadcastChannel are missing too).
 */
export type TransportMode = 'shared-worker' | 'elected' | 'local';

/** Opens a client's endpoints to its hub (a fresh one each time the hub was lost) and ends what it started. */
export interface Transport {
  readonly mode: TransportMode;
  /** False when a lost hub cannot be reached again (a SharedWorker given as an object). */
  readonly canReopen: boolean;
  open(): OpenedEndpoint;
  close(): void;
}

/** What {@link createTransport} reads of the client's options. */
export interface TransportOptions {
  /** The worker's name for a URL source; in elected mode, separates hubs of one origin. */
  name?: string;
  /** Forces a mode; by default SharedWorker, falling back to elected, then local. */
  transport?: TransportMode;
}

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
    `SharedWorkerClient: worker must be a script URL, a SharedWorker or a factory returning one, got ${describe(made)}`,
  );
}

/** A SharedWorker (or whatever endpoint the source makes), made again from its source after a loss. */
class SharedWorkerTransport implements Transport {
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

/** Web Locks and BroadcastChannel, when this page has both. */
function electedEnvironment(): ElectedEnvironment | undefined {
  const locks = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
  if (!locks || typeof BroadcastChannel === 'undefined') return undefined;
  return { locks, createChannel: (name) => new BroadcastChannel(name) };
}

/**
 * What the hub an elected tab runs takes from the worker's URL: the ready-made worker bundle's
 * `?persist=...`, so that persisted channels stay persisted in elected mode.
 */
function electedHubOptions(source: WorkerSource): HubOptions {
  if (typeof source !== 'string' && !(source instanceof URL)) return {};
  // Any base will do: only the query string is read.
  const persist = parsePersistQuery(new URL(source, 'http://localhost/').search);
  return persist === undefined ? {} : { persist };
}

/**
 * The first endpoint from a URL or a factory, or `undefined` when SharedWorker is missing or refuses to
 * be made (some privacy modes throw on construction). A factory's result that is no worker at all is a
 * programmer error, and throws.
 */
function tryOpenEndpoint(
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

/**
 * Chooses how a client reaches its hub: the mode `options.transport` forces, or else a SharedWorker
 * where one can be made, an elected hub where Web Locks and BroadcastChannel exist, and a hub in this tab
 * alone as the last resort (said once, with a warning: tabs then share nothing).
 */
export function createTransport(source: WorkerSource, options: TransportOptions = {}): Transport {
  const { name, transport } = options;
  switch (transport) {
    case undefined: {
      if (!canReopen(source)) return new SharedWorkerTransport(source, name);
      const first = tryOpenEndpoint(source, name);
      if (first) return new SharedWorkerTransport(source, name, first);
      const environment = electedEnvironment();
      if (environment) return new ElectedTransport(environment, name, electedHubOptions(source));
      console.warn(
        '[shared-channels] SharedWorker is unavailable, and so are Web Locks or BroadcastChannel: ' +
          "the hub runs in this tab alone, and other tabs do not see this tab's channels",
      );
      return new LocalTransport();
    }
    case 'shared-worker':
      return new SharedWorkerTransport(source, name);
    case 'elected': {
      const environment = electedEnvironment();
      if (!environment) {
        throw new TypeError(
          "SharedWorkerClient(): transport 'elected' needs Web Locks (navigator.locks) and BroadcastChannel, and this environment lacks them",
        );
      }
      return new ElectedTransport(environment, name, electedHubOptions(source));
    }
    case 'local':
      return new LocalTransport();
    default: {
      const unknown: never = transport;
      throw new TypeError(
        `SharedWorkerClient(): transport must be 'shared-worker', 'elected' or 'local', got ${describe(unknown)}`,
      );
    }
  }
}
