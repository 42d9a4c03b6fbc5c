// Baseline (b): a hand-written SharedWorker that forwards one ready-made JSON string per publish per port.
import type { RawJsonRequest } from './raw-protocol.js';
import { onConnect } from './worker-scope.js';

interface RawChannel {
  /** The latest value as JSON text, or undefined before the first publish. */
  json: string | undefined;
  readonly ports: Set<MessagePort>;
}

const channels = new Map<string, RawChannel>();

function channelNamed(name: string): RawChannel {
  let channel = channels.get(name);
  if (channel === undefined) {
    channel = { json: undefined, ports: new Set() };
    channels.set(name, channel);
  }
  return channel;
}

function push(channel: string, json: string): string {
  return `{"ch":${JSON.stringify(channel)},"data":${json}}`;
}

onConnect((port) => {
  port.onmessage = (event: MessageEvent<RawJsonRequest>) => {
    const request = event.data;
    switch (request.t) {
      case 'sub': {
        const channel = channelNamed(request.ch);
        channel.ports.add(port);
        if (channel.json !== undefined) port.postMessage(push(request.ch, channel.json));
        return;
      }
      case 'unsub':
        channels.get(request.ch)?.ports.delete(port);
        return;
      case 'pub': {
        const channel = channelNamed(request.ch);
        channel.json = request.json;
        // Built once per publish; every port gets the same string.
        const message = push(request.ch, request.json);
        for (const subscriber of channel.ports) subscriber.postMessage(message);
        return;
      }
      case 'get': {
        const json = channels.get(request.ch)?.json ?? 'null';
        port.postMessage(`{"ch":${JSON.stringify(request.ch)},"data":${json},"id":${request.id}}`);
        return;
      }
      default: {
        const unknown: never = request;
        throw new TypeError(`raw-json-worker: unknown request ${JSON.stringify(unknown)}`);
      }
    }
  };
});
