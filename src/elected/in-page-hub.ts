import { Hub, type HubOptions } from '../worker/hub.js';
import { withEnvironment } from '../worker/hub-environment.js';
import { HubRelay } from './hub-relay.js';
import type { CreateChannel } from './relay-protocol.js';

/**
 * Starts a leader's hub in its own page. Its own module, loaded with `import()` only by a leader that
 * has no worker file to run it in, so that no other tab downloads the hub.
 */
export function startInPageHub(
  leaderId: string,
  scope: string,
  createChannel: CreateChannel,
  options: HubOptions,
): HubRelay {
  return new HubRelay(leaderId, scope, createChannel, new Hub(withEnvironment(options)));
}
