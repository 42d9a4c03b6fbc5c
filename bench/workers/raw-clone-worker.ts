// Baseline (a): the SharedWorker a user writes by hand, one structured-clone postMessage per publish per port.
import type { RawCloneMessage, RawCloneRequest } from './raw-protocol.js';
import { onConnect } from './worker-scope.js';

interface RawChannel {
  value: unknown;
  hasValue: boolean;
  readonly ports: Set<MessagePort>;
}

const channels = new Map<string, RawChannel>();

function channelNamed(name: string): RawChannel {
  let channel = channels.get(name);
  if (channel === undefined) {
    channel = { value: undefined, hasValue: false, ports: new Set() };
    channels.set(name, channel);
  }
  return channel;
}

onConnect((port) => {
  port.onmessage = (event: MessageEvent<RawCloneRequest>) => {
    const request = event.data;
    switch (request.t) {
      case 'sub': {
        const channel = channelNamed(request.ch);
        channel.ports.add(port);
        if (channel.hasValue) {
          port.postMessage({ ch: request.ch, data: channel.value } satisfies RawCloneMessage);
        }
        return;
      }
      case 'unsub':
        channels.get(request.ch)?.ports.delete(port);
        return;
      case 'pub': {
        const channel = channelNamed(request.ch);
        channel.value = request.data;
        channel.hasValue = true;
        const message: RawCloneMessage = { ch: request.ch, data: request.data };
        for (const subscriber of channel.ports) subscriber.postMessage(message);
        return;
      }
      case 'get':
        port.postMessage({
          ch: request.ch,
          data: channels.get(request.ch)?.value,
          id: request.id,
        } satisfies RawCloneMessage);
        return;
      default: {
        const unknown: never = request;
        throw new TypeError(`raw-clone-worker: unknown request ${JSON.stringify(unknown)}`);
      }
    }
  };
});
