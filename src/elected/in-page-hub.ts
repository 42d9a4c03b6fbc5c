import { Hub, type HubOptions } from '../worker/hub.js';
import { withEnvironment } from '../worker/hub-environment.js';
import { HubRelay } from './hub-relay.js';
import type { LeaderHub } from './leader-hub.js';
import type { CreateChannel } from './relay-protocol.js';

/**
 * Starts a leader's hub in its own page. Its own module, loaded with `import()` only by a leader that
 * has no worker file to run it in, so that no other tab downloads the hub.
 */
export async function startInPageHub(
  leaderId: string,
  scope: string,
  createChannel: CreateChannel,
  options: HubOptions,
): Promise<LeaderHub> {
  const relay = new HubRelay(leaderId, scope, createChannel, new Hub(withEnvironment(options)));
  const lock = await relay.hub.lifeLock();
  return {
    leaderId,
    lock,
    connectInPage: () => relay.connectInPage(),
    close: () => relay.close(),
  };
}
