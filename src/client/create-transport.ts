import { describeValue } from '../protocol.js';
import type {
  DedicatedWorkerLike,
  LockManagerLike,
  Transport,
  TransportMode,
} from '../transport.js';
import { DeferredTransport } from './deferred-transport.js';
import {
  SharedWorkerTransport,
  canReopen,
  tryOpenEndpoint,
  type WorkerSource,
} from './shared-worker-transport.js';

/** What {@link createTransport} reads of the client's options. */
export interface TransportOptions {
  /** The worker's name for a URL source; in elected mode, separates hubs of one origin. */
  name?: string | undefined;
  /** Forces a mode; by default SharedWorker, falling back to elected, then local. */
  transport?: TransportMode | undefined;
  /** Makes a dedicated Worker from the app's worker file, for the hub of an elected tab. */
  fallbackWorker?: (() => DedicatedWorkerLike) | undefined;
}

/** Web Locks and BroadcastChannel, when this page has both. */
function hasElectedEnvironment(): boolean {
  const locks = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
  return locks !== undefined && typeof BroadcastChannel !== 'undefined';
}

/**
 * The dedicated Worker an elected leader runs the hub in: the `fallbackWorker` given, or else, for a
 * worker given as a URL, the same script as a dedicated Worker (it starts its hub the same way).
 */
function fallbackWorkerOf(
  source: WorkerSource,
  { name, fallbackWorker }: TransportOptions,
): (() => DedicatedWorkerLike) | undefined {
  if (fallbackWorker !== undefined) return fallbackWorker;
  if ((typeof source !== 'string' && !(source instanceof URL)) || typeof Worker === 'undefined') {
    return undefined;
  }
  return () => new Worker(source, name === undefined ? undefined : { name });
}

/** Elected mode, its code loaded only now: tabs with SharedWorker never download it. */
function electedTransport(source: WorkerSource, options: TransportOptions): Transport {
  const startWorker = fallbackWorkerOf(source, options);
  return new DeferredTransport('elected', async () => {
    const { ElectedTransport, hubOptionsFromUrl } = await import('../elected/elected-transport.js');
    return new ElectedTransport(
      {
        locks: (globalThis as unknown as { navigator: { locks: LockManagerLike } }).navigator.locks,
        createChannel: (name) => new BroadcastChannel(name),
        startWorker,
      },
      options.name,
      typeof source === 'string' || source instanceof URL ? hubOptionsFromUrl(source) : {},
    );
  });
}

function localTransport(): Transport {
  return new DeferredTransport('local', async () => {
    const { LocalTransport } = await import('../elected/local-transport.js');
    return new LocalTransport();
  });
}

/**
 * Chooses how a client reaches its hub: the mode `options.transport` forces, or else a SharedWorker
 * where one can be made, an elected hub where Web Locks and BroadcastChannel exist, and a hub in this tab
 * alone as the last resort (said once, with a warning: tabs then share nothing). The only module of the
 * client that reaches `elected/`, and only through `import()`.
 */
export function createTransport(source: WorkerSource, options: TransportOptions = {}): Transport {
  const { name, transport, fallbackWorker } = options;
  if (fallbackWorker !== undefined && typeof fallbackWorker !== 'function') {
    throw new TypeError(
      `SharedWorkerClient(): fallbackWorker must be a function that returns a Worker, got ${describeValue(fallbackWorker)}`,
    );
  }
  switch (transport) {
    case undefined: {
      if (!canReopen(source)) return new SharedWorkerTransport(source, name);
      const first = tryOpenEndpoint(source, name);
      if (first) return new SharedWorkerTransport(source, name, first);
      if (hasElectedEnvironment()) return electedTransport(source, options);
      console.warn(
        '[shared-channels] SharedWorker is unavailable, and so are Web Locks or BroadcastChannel: ' +
          "the hub runs in this tab alone, and other tabs do not see this tab's channels",
      );
      return localTransport();
    }
    case 'shared-worker':
      return new SharedWorkerTransport(source, name);
    case 'elected':
      if (!hasElectedEnvironment()) {
        throw new TypeError(
          "SharedWorkerClient(): transport 'elected' needs Web Locks (navigator.locks) and BroadcastChannel, and this environment lacks them",
        );
      }
      return electedTransport(source, options);
    case 'local':
      return localTransport();
    default: {
      const unknown: never = transport;
      throw new TypeError(
        `SharedWorkerClient(): transport must be 'shared-worker', 'elected' or 'local', got ${describeValue(unknown)}`,
      );
    }
  }
}
