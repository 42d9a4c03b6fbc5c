import type { Endpoint } from '../../src/protocol.js';

type Listener = (event: { data: unknown }) => void;

/**
 * A synchronous in-memory port: it records what is posted to it and delivers a message to its listeners
 * at once, so a test can drive the hub message by message without waiting for real port hops.
 */
export class FakeEndpoint implements Endpoint {
  readonly posted: unknown[] = [];
  readonly listeners = new Set<Listener>();
  started = 0;
  /** How many of the next postMessage calls throw, as a port to a dead tab may. */
  failNext = 0;

  postMessage(message: unknown): void {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('port is gone');
    }
    this.posted.push(message);
  }

  addEventListener(_type: 'message', listener: Listener): void {
    this.listeners.add(listener);
  }

  removeEventListener(_type: 'message', listener: Listener): void {
    this.listeners.delete(listener);
  }

  start(): void {
    this.started++;
  }

  /** Hands `data` to every listener, as a port's `message` event would. */
  deliver(data: unknown): void {
    for (const listener of this.listeners) listener({ data });
  }

  /** Everything posted so far, parsed, with batch envelopes unpacked; then forgets it. */
  take(): Array<Record<string, unknown>> {
    const messages: Array<Record<string, unknown>> = [];
    for (const raw of this.posted.splice(0)) {
      const message = JSON.parse(raw as string) as Record<string, unknown>;
      if (message.type === 'batch') messages.push(...(message.messages as never[]));
      else messages.push(message);
    }
    return messages;
  }
}

/** Resolves after every microtask already queued, i.e. once the hub's connections have flushed. */
export function endOfTask(): Promise<void> {
  return new Promise((resolve) => queueMicrotask(resolve));
}
