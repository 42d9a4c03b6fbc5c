import type { RawCloneMessage, RawCloneRequest } from '../workers/raw-protocol.js';
import { BARRIER_CHANNEL, type BenchTransport } from './transport.js';

/** The page side of a hand-written SharedWorker pub/sub, replies parsed by `parse`. */
export class RawTransport implements BenchTransport {
  readonly errors: string[] = [];
  protected readonly port: MessagePort;
  private readonly listeners = new Map<string, Set<(value: unknown) => void>>();
  private readonly pending = new Map<number, (value: unknown) => void>();
  private nextId = 1;

  constructor(workerUrl: string, parse: (data: unknown) => RawCloneMessage) {
    this.port = new SharedWorker(workerUrl).port;
    this.port.onmessage = (event: MessageEvent) => {
      const message = parse(event.data);
      if (message.id !== undefined) {
        const resolve = this.pending.get(message.id);
        this.pending.delete(message.id);
        resolve?.(message.data);
        return;
      }
      const listeners = this.listeners.get(message.ch);
      if (listeners !== undefined) for (const listener of listeners) listener(message.data);
    };
  }

  subscribe(channel: string, onValue: (value: unknown) => void): () => void {
    let listeners = this.listeners.get(channel);
    if (listeners === undefined) {
      listeners = new Set();
      this.listeners.set(channel, listeners);
      this.send({ t: 'sub', ch: channel });
    }
    listeners.add(onValue);
    return () => {
      if (listeners.delete(onValue) && listeners.size === 0) {
        this.listeners.delete(channel);
        this.send({ t: 'unsub', ch: channel });
      }
    };
  }

  publish(channel: string, value: unknown): void {
    this.port.postMessage({ t: 'pub', ch: channel, data: value } satisfies RawCloneRequest);
  }

  get(channel: string): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.send({ t: 'get', ch: channel, id });
    });
  }

  async settled(): Promise<void> {
    await this.get(BARRIER_CHANNEL);
  }

  close(): void {
    this.port.close();
  }

  private send(request: RawCloneRequest): void {
    this.port.postMessage(request);
  }
}

/** Baseline (a): every value is a structured-clone object, cloned again for every port. */
export function createRawCloneTransport(workerUrl: string): BenchTransport {
  return new RawTransport(workerUrl, (data) => data as RawCloneMessage);
}
