/**
 * The fake tabs of the Node benchmarks: a port whose other side is this process, and a client that
 * writes requests as the wire protocol has them. Shared by hub-bench.ts and hostile-bench.ts.
 */
import { FEATURE_BATCH, PROTOCOL_VERSION, type Endpoint } from '../../src/protocol.js';
import type { Hub } from '../../src/worker/hub.js';

/** `plain`: the original protocol, one port message per value; `batch`: hello with the batch feature. */
export type Mode = 'plain' | 'batch';

type Listener = (event: { data: unknown }) => void;

/**
 * A port whose other side is this process: `deliver` calls the hub at once. Posts are counted and only
 * the last is kept (to check it outside the timed part): holding every post would make the garbage
 * collector, not the hub, the bottleneck.
 */
export class FakeEndpoint implements Endpoint {
  posts = 0;
  last: unknown = undefined;
  private listener: Listener | undefined = undefined;

  postMessage(message: unknown): void {
    this.posts++;
    this.last = message;
  }

  addEventListener(_type: 'message', listener: Listener): void {
    this.listener = listener;
  }

  removeEventListener(): void {
    this.listener = undefined;
  }

  deliver(data: string): void {
    this.listener?.({ data });
  }

  /** The number of posts and the last one since the previous call. */
  drain(): { posts: number; last: unknown } {
    const drained = { posts: this.posts, last: this.last };
    this.posts = 0;
    this.last = undefined;
    return drained;
  }
}

/** One fake tab: an endpoint, a clientId, request ids. */
export class FakeClient {
  private nextRequestId = 1;

  /**
   * @param session In `batch` mode, the session the hello announces (as the shipped client does), so
   *   the hub keeps the outcome of each change for at-most-once; none by default.
   */
  constructor(
    readonly clientId: string,
    hub: Hub,
    mode: Mode,
    readonly endpoint: FakeEndpoint = new FakeEndpoint(),
    session?: string,
  ) {
    hub.connect(this.endpoint);
    if (mode === 'batch') {
      this.endpoint.deliver(
        JSON.stringify({
          type: 'hello',
          clientId,
          requestId: this.nextRequestId++,
          version: PROTOCOL_VERSION,
          features: [FEATURE_BATCH],
          session,
        }),
      );
    }
  }

  request(type: string, channel: string, extra = ''): string {
    return `{"type":"${type}","clientId":"${this.clientId}","channel":${JSON.stringify(channel)},"requestId":${this.nextRequestId++}${extra}}`;
  }
}

/** The end of the current task: the hub's outboxes flush in a microtask before this resolves. */
export function nextTask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The median of `values` (NaN for none). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? NaN)
    : ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2;
}
