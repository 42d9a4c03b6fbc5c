import type { Endpoint } from '../../src/protocol.js';
import { within } from './deadline.js';

/**
 * Sends one hub-protocol request on `endpoint`, by hand, and resolves with the hub's first reply that
 * carries its `requestId` (batches unpacked); rejects when none comes within `timeoutMs`.
 */
export function ask(
  endpoint: Endpoint,
  request: Record<string, unknown> & { requestId: number },
  timeoutMs = 4_000,
): Promise<Record<string, unknown>> {
  const reply = new Promise<Record<string, unknown>>((resolve) => {
    const listener = ({ data }: { data: unknown }): void => {
      const message = JSON.parse(data as string) as Record<string, unknown>;
      const messages =
        message.type === 'batch' ? (message.messages as Array<Record<string, unknown>>) : [message];
      const answer = messages.find(({ requestId }) => requestId === request.requestId);
      if (!answer) return;
      endpoint.removeEventListener('message', listener);
      resolve(answer);
    };
    endpoint.addEventListener('message', listener);
  });
  endpoint.start?.();
  endpoint.postMessage(JSON.stringify(request));
  return within(reply, `the reply to ${JSON.stringify(request)}`, timeoutMs);
}
