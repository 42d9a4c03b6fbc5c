import type { RawJsonMessage, RawJsonRequest } from '../workers/raw-protocol.js';
import { RawTransport } from './raw-clone-transport.js';
import type { BenchTransport } from './transport.js';

/** Baseline (b): the publisher serialises once, the worker forwards the same string to every port. */
class RawJsonTransport extends RawTransport {
  constructor(workerUrl: string) {
    super(workerUrl, (data) => JSON.parse(data as string) as RawJsonMessage);
  }

  override publish(channel: string, value: unknown): void {
    this.port.postMessage({
      t: 'pub',
      ch: channel,
      json: JSON.stringify(value),
    } satisfies RawJsonRequest);
  }
}

export function createRawJsonTransport(workerUrl: string): BenchTransport {
  return new RawJsonTransport(workerUrl);
}
