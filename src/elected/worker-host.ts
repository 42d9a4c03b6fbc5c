import type { Hub } from '../worker/hub.js';
import { HubRelay } from './hub-relay.js';
import { parseHostRequest, type CreateChannel, type HostReady } from './relay-protocol.js';

/** The little of `DedicatedWorkerGlobalScope` a worker hosting an elected hub needs. */
export interface DedicatedWorkerScope {
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

/**
 * Serves `hub` as an elected leader's hub, in the dedicated worker that leader started from the app's
 * worker file (`fallbackWorker`): once the leader names its inbox (a `HostRequest`), the hub serves
 * every tab's port there, and the worker says so (`HostReady`) with the hub's life lock, which
 * the leader waits for to learn if its worker dies. A worker serves one leader, the one that started it.
 */
export function hostElectedHub(
  hub: Hub,
  scope: DedicatedWorkerScope,
  createChannel: CreateChannel,
): void {
  let relay: HubRelay | undefined;
  scope.addEventListener('message', (event) => {
    const request = parseHostRequest(event.data);
    if (!request || relay) return;
    relay = new HubRelay(request.leader, request.scope, createChannel, hub);
    void hub.lifeLock().then((lock) => {
      const ready: HostReady = { type: 'shared-channels:hosting', leader: request.leader };
      scope.postMessage(lock === undefined ? ready : { ...ready, lock });
    });
  });
}
