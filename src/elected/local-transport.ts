import type { OpenedEndpoint, Transport } from '../transport.js';
import { Hub } from '../worker/hub.js';
import { InPagePorts } from './in-page-ports.js';

/**
 * The last resort, for a browser with neither SharedWorker nor the means to elect a hub among tabs (Web
 * Locks and BroadcastChannel): a hub in this page serves this tab alone. The API and its semantics stay
 * the same; only other tabs are out of reach.
 */
export class LocalTransport implements Transport {
  readonly mode = 'local';
  readonly canReopen = true;
  // No Web Locks to watch, and no other tab to forget: this page's ports are ended by closeAll().
  private readonly ports = new InPagePorts(new Hub());

  open(): OpenedEndpoint {
    return { endpoint: this.ports.connect() };
  }

  close(): void {
    this.ports.closeAll();
  }
}
