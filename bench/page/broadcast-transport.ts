import type { BenchTransport } from './transport.js';

/**
 * Baseline (c): native BroadcastChannel, one per channel name. It keeps no value, so `get` has nothing to
 * ask and subscribing delivers nothing until the next publish. A BroadcastChannel never hears its own
 * messages, so the publishing tab listens on a second object like every other tab.
 */
class BroadcastTransport implements BenchTransport {
  readonly errors: string[] = [];
  private readonly senders = new Map<string, BroadcastChannel>();

  subscribe(channel: string, onValue: (value: unknown) => void): () => void {
    const receiver = new BroadcastChannel(`bench:${channel}`);
    receiver.onmessage = (event: MessageEvent) => onValue(event.data);
    return () => receiver.close();
  }

  publish(channel: string, value: unknown): void {
    let sender = this.senders.get(channel);
    if (sender === undefined) {
      sender = new BroadcastChannel(`bench:${channel}`);
      this.senders.set(channel, sender);
    }
    sender.postMessage(value);
  }

  get(): Promise<unknown> {
    return Promise.reject(new Error('BroadcastChannel has no get'));
  }

  settled(): Promise<void> {
    return Promise.resolve();
  }

  close(): void {
    for (const sender of this.senders.values()) sender.close();
    this.senders.clear();
  }
}

export function createBroadcastTransport(): BenchTransport {
  return new BroadcastTransport();
}
