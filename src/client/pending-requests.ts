import { TimeoutError } from '../errors.js';
import type { Response } from '../protocol.js';

/** One request waiting for its reply. */
export interface PendingRequest {
  /** The request's type and channel, for error messages: `get("prices")`. */
  readonly label: string;
  /**
   * The request's type and the rest of its fields as JSON (`,"channel":"x","requestId":1`), so it can be
   * sent again, under the new clientId, to the hub that replaces a dead one. Absent for requests that
   * belong to one connection (the handshake, heartbeats).
   */
  readonly resend?: { readonly type: string; readonly body: string };
  /** How long it may wait (ms), and when that ends (ms since the epoch). */
  readonly timeout: number;
  readonly deadline: number;
  /** Called synchronously with the reply, so state changes keep the order of the port's messages. */
  readonly settle: (response: Response) => void;
  readonly fail: (error: Error) => void;
}

/**
 * Requests in flight by requestId, with their timeouts.
 *
 * One timer serves them all, armed for the earliest deadline: a burst of ten thousand publishes costs
 * one timer, not ten thousand.
 */
export class PendingRequests {
  private readonly requests = new Map<number, PendingRequest>();
  private timer: ReturnType<typeof setTimeout> | undefined = undefined;
  private timerDeadline = Infinity;

  get size(): number {
    return this.requests.size;
  }

  /**
   * The requestId of the oldest request still waiting: every request numbered below it is settled. Ids
   * are added in increasing order and never moved, so it is the first in the table.
   */
  get oldest(): number | undefined {
    return this.requests.keys().next().value;
  }

  add(requestId: number, request: PendingRequest): void {
    this.requests.set(requestId, request);
    if (request.deadline < this.timerDeadline) this.arm(request.deadline);
  }

  /** Hands a reply to its request; false when no request waits for it (late or unknown). */
  settle(requestId: number, response: Response): boolean {
    const request = this.requests.get(requestId);
    if (!request) return false;
    this.requests.delete(requestId);
    request.settle(response);
    return true;
  }

  /** Fails one request with the hub's error; false when no request waits for it. */
  fail(requestId: number, error: Error): boolean {
    const request = this.requests.get(requestId);
    if (!request) return false;
    this.requests.delete(requestId);
    request.fail(error);
    return true;
  }

  /** The requests to send again after a reconnect, oldest first. */
  resendable(): Array<{ readonly type: string; readonly body: string }> {
    const found = [];
    for (const request of this.requests.values()) if (request.resend) found.push(request.resend);
    return found;
  }

  /**
   * Fails every request that `select` picks (default: all), each with its own error made from it; the
   * others keep waiting for their reply or their timeout.
   */
  failAll(
    makeError: (request: PendingRequest) => Error,
    select: (request: PendingRequest) => boolean = () => true,
  ): void {
    const failed: PendingRequest[] = [];
    for (const [requestId, request] of this.requests) {
      if (!select(request)) continue;
      this.requests.delete(requestId);
      failed.push(request);
    }
    if (this.requests.size === 0) this.disarm();
    for (const request of failed) request.fail(makeError(request));
  }

  private arm(deadline: number): void {
    this.disarm();
    this.timerDeadline = deadline;
    this.timer = setTimeout(this.expire, Math.max(0, deadline - Date.now()));
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDeadline = Infinity;
  }

  private readonly expire = (): void => {
    this.timer = undefined;
    this.timerDeadline = Infinity;
    const now = Date.now();
    let next = Infinity;
    for (const [requestId, request] of this.requests) {
      if (request.deadline <= now) {
        this.requests.delete(requestId);
        request.fail(
          new TimeoutError(
            `${request.label} timed out after ${request.timeout} ms: no reply from the hub`,
          ),
        );
      } else if (request.deadline < next) {
        next = request.deadline;
      }
    }
    if (next !== Infinity) this.arm(next);
  };
}
