import { SharedWorkerClient } from '../../src/index.js';
import { BARRIER_CHANNEL, type BenchTransport } from './transport.js';

/** shared-channels through its public client API only, so the bench measures whatever the library does. */
class SharedChannelsTransport implements BenchTransport {
  readonly errors: string[] = [];
  private readonly client: SharedWorkerClient;
  private readonly record = (error: unknown): void => {
    this.errors.push(String(error));
  };

  constructor(workerUrl: string) {
    this.client = new SharedWorkerClient(workerUrl);
  }

  subscribe(channel: string, onValue: (value: unknown) => void): () => void {
    return this.client.subscribe(channel, onValue);
  }

  publish(channel: string, value: unknown): void {
    this.client.publish(channel, value).catch(this.record);
  }

  get(channel: string): Promise<unknown> {
    return this.client.get(channel);
  }

  async settled(): Promise<void> {
    await this.client.get(BARRIER_CHANNEL);
  }

  close(): void {
    this.client.disconnect();
  }
}

export function createSharedChannelsTransport(workerUrl: string): BenchTransport {
  return new SharedChannelsTransport(workerUrl);
}
