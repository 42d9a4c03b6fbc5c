import { describeValue, type Endpoint } from '../protocol.js';
import type { DedicatedWorkerLike, LockManagerLike } from '../transport.js';
import type { HubOptions } from '../worker/hub.js';
import { parseHostReady, type CreateChannel, type HostRequest } from './relay-protocol.js';

/** A leader's hub, wherever it runs: what the leader's transport needs of it. */
export interface LeaderHub {
  readonly leaderId: string;
  /** The Web Lock the hub holds for its whole life, where there are Web Locks. */
  readonly lock?: string | undefined;
  /** A port for the leader page's own client, when the hub runs in that page (else it uses the bus). */
  connectInPage?(): Endpoint;
  close(): void;
}

/** Where and how a leader starts its hub. */
export interface LeaderHubOptions {
  readonly scope: string;
  readonly locks: LockManagerLike;
  readonly createChannel: CreateChannel;
  /** Makes a dedicated Worker from the app's worker file; without it, the hub runs in the page. */
  readonly startWorker?: (() => DedicatedWorkerLike) | undefined;
  /** The options of a hub run in the page (a worker's hub takes its own from the worker file). */
  readonly hubOptions: HubOptions;
  /** The worker's hub died (its context is gone) while this leader led. */
  readonly onDied: () => void;
}

/** How long a leader's worker may take to start its hub before the page runs the hub instead. */
export const WORKER_START_TIMEOUT_MS = 10_000;

const ignore = (): void => undefined;

function isDedicatedWorker(value: unknown): value is DedicatedWorkerLike {
  const worker = value as DedicatedWorkerLike | null | undefined;
  return (
    typeof worker?.postMessage === 'function' &&
    typeof worker.addEventListener === 'function' &&
    typeof worker.terminate === 'function'
  );
}

let warnedInPage = false;

/**
 * Starts the hub of the leader `leaderId`: in a dedicated Worker made from the app's worker file, so
 * that the file's own code (a WebSocket, `hub.publish()`) runs in elected mode too; or, without one or
 * when it fails to start, in this page, from a chunk loaded only now (said with a warning, as the worker
 * file's code is then not running).
 */
export async function startLeaderHub(
  leaderId: string,
  options: LeaderHubOptions,
): Promise<LeaderHub> {
  if (options.startWorker) {
    try {
      return await startWorkerHub(leaderId, options.startWorker, options);
    } catch (error) {
      console.warn(
        `[shared-channels] fallbackWorker: ${error instanceof Error ? error.message : String(error)}; the hub runs in this tab instead, and the worker file's own code does not run`,
      );
    }
  } else if (!warnedInPage) {
    warnedInPage = true;
    console.warn(
      "[shared-channels] SharedWorker is unavailable and no fallbackWorker is given: the elected tab runs the hub in its page, and the worker file's own code (startSharedWorker() and what it sets up) does not run",
    );
  }
  const { startInPageHub } = await import('./in-page-hub.js');
  return startInPageHub(leaderId, options.scope, options.createChannel, options.hubOptions);
}

/** Starts the worker, asks it to serve the leader's inbox, and resolves once it does. */
function startWorkerHub(
  leaderId: string,
  startWorker: () => DedicatedWorkerLike,
  { scope, locks, onDied }: LeaderHubOptions,
): Promise<LeaderHub> {
  return new Promise((resolve, reject) => {
    const worker: unknown = startWorker();
    if (!isDedicatedWorker(worker)) {
      throw new TypeError(`fallbackWorker must return a Worker, got ${describeValue(worker)}`);
    }
    let settled = false;
    const fail = (reason: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      worker.terminate();
      reject(new Error(reason));
    };
    const timer = setTimeout(
      () =>
        fail(
          `the worker started no hub within ${WORKER_START_TIMEOUT_MS / 1000} s (does the worker file call startSharedWorker()?)`,
        ),
      WORKER_START_TIMEOUT_MS,
    );
    // Before the hub answers, an error is the script's own: not found, or it threw while loading. After,
    // an uncaught error of the worker's code does not end the worker, so it is the app's to handle.
    worker.addEventListener('error', () =>
      fail(
        "the worker script failed to start (not found, or it threw while loading; a worker file that uses `import` needs { type: 'module' })",
      ),
    );
    worker.addEventListener('message', (event) => {
      const ready = parseHostReady(event.data, leaderId);
      if (!ready || settled) return;
      settled = true;
      clearTimeout(timer);
      let closed = false;
      if (ready.lock !== undefined) {
        // Granted only once the worker's hub is gone: a worker that crashed, or closed itself.
        locks.request(ready.lock, () => (closed ? undefined : onDied())).catch(ignore);
      }
      resolve({
        leaderId,
        lock: ready.lock,
        close: () => {
          closed = true;
          worker.terminate();
        },
      });
    });
    const request: HostRequest = { type: 'shared-channels:host', leader: leaderId, scope };
    worker.postMessage(request);
  });
}
