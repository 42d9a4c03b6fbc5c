import type { Endpoint } from '../protocol.js';
import type { Hub } from '../worker/hub.js';

/**
 * Ports from this page to a hub running in this page, ended together by {@link InPagePorts.closeAll}.
 *
 * Each port is a `MessageChannel`, not a direct call: every hop is a task, as on a worker's port, so a
 * tab that publishes in a loop of awaits still lets other tabs' messages reach the hub in between, and
 * every tab is served in arrival order.
 */
export class InPagePorts {
  private readonly ends = new Set<() => void>();

  constructor(private readonly hub: Hub) {}

  /** Serves a new port on the hub and returns the page's end. Closing it ends the hub's side at once. */
  connect(): Endpoint {
    const { port1, port2 } = new MessageChannel();
    const connection = this.hub.connect(port2);
    const end = (): void => {
      this.ends.delete(end);
      this.hub.disconnect(connection);
      port1.close();
      port2.close();
    };
    this.ends.add(end);
    return {
      postMessage: (message) => port1.postMessage(message),
      addEventListener: (type, listener) => port1.addEventListener(type, listener),
      removeEventListener: (type, listener) => port1.removeEventListener(type, listener),
      start: () => port1.start(),
      close: end,
    };
  }

  /** Ends every port still open: the hub forgets them, and their pages' ends receive nothing more. */
  closeAll(): void {
    for (const end of [...this.ends]) end();
  }
}
