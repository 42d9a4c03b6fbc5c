import type { Endpoint } from '../protocol.js';
import type { OpenedEndpoint } from './open-endpoint.js';

/** The part of the Web Locks API (`navigator.locks`) a tab uses to prove it is alive. */
export interface TabLockManager {
  request(name: string, callback: () => Promise<void>): Promise<unknown>;
}

/** What a link reports to its client. */
export interface LinkEvents {
  message(raw: unknown): void;
  /**
   * The hub is lost: the worker reported an error (its script failed, or it died), or the elected
   * leader's tab is gone.
   */
  failed(): void;
}

function randomId(): string {
  return typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function'
    ? crypto.randomUUID()
    : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/**
 * One connection to one hub: the port, the clientId used on it, and the Web Lock that tells the hub this
 * tab is alive. A client makes a new link when its hub dies; messages from an old link are ignored.
 */
export class HubLink {
  /** The id this connection uses on the wire (a new one per connection: the hub binds ids to ports). */
  readonly clientId = randomId();
  /** `clientId` as JSON, spliced into every request. */
  readonly clientIdJson = JSON.stringify(this.clientId);
  acceptsBatch = false;
  instanceId: string | undefined = undefined;
  private releaseLock: (() => void) | undefined = undefined;
  private closed = false;
  private readonly endpoint: Endpoint;
  private readonly onMessage = (event: { data: unknown }): void => this.events.message(event.data);
  private readonly onError = (): void => this.events.failed();

  constructor(
    private readonly opened: OpenedEndpoint,
    private readonly events: LinkEvents,
  ) {
    this.endpoint = opened.endpoint;
    this.endpoint.addEventListener('message', this.onMessage);
    opened.hub?.addEventListener?.('error', this.onError);
    this.endpoint.start?.();
  }

  /**
   * Takes this connection's liveness lock, then calls `onHeld` with its name (or with nothing where Web
   * Locks are missing). The lock is held until {@link HubLink.close}, or until the tab's context dies,
   * when the browser hands it to the hub that waits for it.
   */
  holdLock(locks: TabLockManager | undefined, onHeld: (lock?: string) => void): void {
    if (!locks) {
      onHeld();
      return;
    }
    const name = `shared-channels:${this.clientId}`;
    locks
      .request(
        name,
        () =>
          new Promise<void>((release) => {
            if (this.closed) {
              release();
              return;
            }
            this.releaseLock = release;
            onHeld(name);
          }),
      )
      .catch(() => onHeld());
  }

  post(message: string): void {
    try {
      this.endpoint.postMessage(message);
    } catch {
      // A port to a worker that is gone may throw; its requests time out or are sent again on reconnect.
    }
  }

  /** Says goodbye (the hub forgets this connection at once), releases the lock and closes the port. */
  close(): void {
    this.closed = true;
    this.post(`{"type":"bye","clientId":${this.clientIdJson}}`);
    this.endpoint.removeEventListener('message', this.onMessage);
    this.opened.hub?.removeEventListener?.('error', this.onError);
    this.releaseLock?.();
    this.releaseLock = undefined;
    this.endpoint.close?.();
  }
}
