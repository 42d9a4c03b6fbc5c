import type { Endpoint } from '../protocol.js';
import { encodeBatch, withFields } from '../wire.js';
import type { Session } from './sessions.js';

/** What a connection needs from its hub: someone to hand each raw message to. */
export interface MessageSink {
  receive(connection: Connection, raw: unknown): void;
}

/**
 * One tab's port, seen from the hub: who it is, what it subscribes to, and its outbox.
 *
 * Everything bound for the port within one task leaves as one message (a `batch` envelope, for clients
 * that announced they understand it): a port hop costs far more than its bytes, so a burst of values
 * reaches a tab in one hop instead of thousands. The flush is a microtask, i.e. the end of the current
 * task, never a timer, so a lone value is not delayed.
 */
export class Connection {
  /** The clientId this port first used; no other port may claim it. */
  clientId: string | undefined = undefined;
  /** Names of the channels this port subscribes to. */
  readonly subscriptions = new Set<string>();
  /** Set by the `hello` handshake: the client understands `batch` envelopes and the `instanceId` stamp. */
  acceptsBatch = false;
  /** True once the port said `hello` (a port says it once). */
  greeted = false;
  /** Set by `hello` for a client that announces its session: its changes are applied at most once. */
  session: Session | undefined = undefined;
  /** Set by `hello`: the client understands the `cleared` push. */
  hearsCleared = false;
  /** Requests this port may still send now (a token bucket, refilled by time). */
  private allowance: number;
  private allowanceAt = Date.now();
  private outbox: string[] = [];
  private flushQueued = false;
  private closed = false;
  private readonly instanceIdField: string;
  private readonly onMessage = (event: { data: unknown }): void => {
    this.sink.receive(this, event.data);
  };

  constructor(
    private readonly endpoint: Endpoint,
    private readonly sink: MessageSink,
    instanceId: string,
    private readonly requestsPerSecond: number,
  ) {
    this.allowance = requestsPerSecond;
    this.instanceIdField = `,"instanceId":${JSON.stringify(instanceId)}`;
    endpoint.addEventListener('message', this.onMessage);
    endpoint.start?.();
  }

  /**
   * Spends up to `count` requests of this port's allowance and returns how many it could: the first ones
   * of a message are served, only those over the allowance are refused.
   */
  take(count: number): number {
    const now = Date.now();
    const refill = ((now - this.allowanceAt) / 1000) * this.requestsPerSecond;
    this.allowance = Math.min(this.requestsPerSecond, this.allowance + refill);
    this.allowanceAt = now;
    const granted = Math.min(count, Math.floor(this.allowance));
    this.allowance -= granted;
    return granted;
  }

  /** Queues one JSON message for the port; it leaves at the end of the current task. */
  send(json: string): void {
    if (this.closed) return;
    this.outbox.push(json);
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flush);
    }
  }

  /** Stops listening and sends nothing more. The port itself belongs to the tab, which closes it. */
  close(): void {
    this.closed = true;
    this.outbox = [];
    this.endpoint.removeEventListener('message', this.onMessage);
  }

  private readonly flush = (): void => {
    this.flushQueued = false;
    const messages = this.outbox;
    if (messages.length === 0) return;
    this.outbox = [];
    try {
      if (!this.acceptsBatch) {
        // A client of the original protocol gets each message as it was, one by one.
        for (const message of messages) this.endpoint.postMessage(message);
      } else if (messages.length === 1) {
        this.endpoint.postMessage(withFields(messages[0]!, this.instanceIdField));
      } else {
        this.endpoint.postMessage(encodeBatch(messages, this.instanceIdField));
      }
    } catch {
      // A port whose tab is gone can throw on postMessage in some engines; that tab is beyond help,
      // and the others must not notice.
    }
  };
}
