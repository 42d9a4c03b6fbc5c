import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { SharedWorkerClient, type ChannelMap, type ClientOptions } from '../../src/index.js';
import type { Endpoint } from '../../src/protocol.js';
import { Hub, type HubOptions } from '../../src/worker/hub.js';

/** A hub and the ports it serves, closed together in `afterEach`. */
export interface TestHub {
  hub: Hub;
  /** A client of this hub, over a real asynchronous MessageChannel. */
  client<C extends ChannelMap = ChannelMap>(options?: ClientOptions): SharedWorkerClient<C>;
  /** A raw port to this hub, for speaking the wire protocol by hand. */
  rawPort(): RawPort;
  close(): void;
}

/** A port that records every message the hub sends to it, parsed. */
export interface RawPort {
  send(message: unknown): void;
  /** Sends a request object as JSON. */
  request(message: Record<string, unknown>): void;
  readonly received: Array<Record<string, unknown>>;
  /** Waits until `count` messages have arrived (batches are unpacked). */
  waitFor(count: number): Promise<Array<Record<string, unknown>>>;
}

function asEndpoint(port: MessagePort): Endpoint {
  return port as unknown as Endpoint;
}

export function createTestHub(options?: HubOptions): TestHub {
  const hub = new Hub(options);
  const ports: MessagePort[] = [];
  const clients: SharedWorkerClient[] = [];
  const pair = (): MessagePort => {
    const { port1, port2 } = new MessageChannel();
    ports.push(port1, port2);
    hub.connect(asEndpoint(port2));
    return port1;
  };
  return {
    hub,
    client<C extends ChannelMap = ChannelMap>(clientOptions?: ClientOptions) {
      const port = pair();
      const client = new SharedWorkerClient<C>(() => asEndpoint(port), clientOptions);
      clients.push(client);
      return client;
    },
    rawPort() {
      const port = pair();
      const received: Array<Record<string, unknown>> = [];
      const waiters: Array<() => void> = [];
      port.on('message', (data: unknown) => {
        const message = JSON.parse(data as string) as Record<string, unknown>;
        if (message.type === 'batch') received.push(...(message.messages as never[]));
        else received.push(message);
        for (const wake of waiters.splice(0)) wake();
      });
      return {
        received,
        send: (message) => port.postMessage(message),
        request: (message) => port.postMessage(JSON.stringify(message)),
        waitFor(count) {
          return new Promise((resolve) => {
            const check = (): void => {
              if (received.length >= count) resolve(received.slice(0, count));
              else waiters.push(check);
            };
            check();
          });
        },
      };
    },
    close() {
      for (const client of clients) client.disconnect();
      for (const port of ports) port.close();
    },
  };
}

/** Resolves after every message already posted has been delivered (ports deliver in macrotasks). */
export function settle(rounds = 5): Promise<void> {
  return new Promise((resolve) => {
    let left = rounds;
    const next = (): void => {
      if (--left <= 0) resolve();
      else setImmediate(next);
    };
    setImmediate(next);
  });
}
