import { EMPTY, of, type Observable } from 'rxjs';
import {
  DisconnectedError,
  type ChannelMap,
  type ConnectionState,
  type HubStats,
} from '../index.js';
import { checkChannel, describeValue } from '../protocol.js';
import type { SharedChannels } from './shared-channels.js';

const ignore = (): void => undefined;

/**
 * The client on the server platform (SSR, prerendering): it touches no `SharedWorker`, `navigator` or
 * `window`, starts no timer and holds nothing, so a render neither crashes nor waits for it. It renders what
 * a browser's first frame shows, where the first value is still a round trip away:
 *
 * - `channel()` completes at once without a value (a signal of it keeps its initial value, and nothing that
 *   waits for a value can hold a render up); `subscribe()` never calls back;
 * - `get()` resolves `undefined`, as for a channel without a value;
 * - `publish()`, `clear()` and `stats()` reject with `DisconnectedError`: there is no hub to reach, and a
 *   write that went nowhere must not look accepted (`publish` and `clear` may be ignored, as in the browser);
 * - `connectionState$` is `'connecting'`, `transport` is `'server'`, `clientId` is `''`;
 *   `unsubscribe()` and `disconnect()` do nothing.
 *
 * Its methods leave out the parameters they would ignore (data, options); it still checks channel names,
 * so that a bad one fails in a server render as it would in the browser.
 */
export class ServerClient<
  Channels extends ChannelMap = ChannelMap,
> implements SharedChannels<Channels> {
  readonly transport = 'server';
  readonly clientId = '';
  readonly connectionState$: Observable<ConnectionState> = of('connecting');

  channel<K extends keyof Channels & string>(name: K): Observable<Channels[K]> {
    checkChannel(name, 'channel');
    return EMPTY;
  }

  subscribe<K extends keyof Channels & string>(
    name: K,
    callback: (value: Channels[K]) => void,
  ): () => void {
    checkChannel(name, 'subscribe');
    if (typeof callback !== 'function') {
      throw new TypeError(
        `subscribe(): callback must be a function, got ${describeValue(callback)}`,
      );
    }
    return ignore;
  }

  publish<K extends keyof Channels & string>(name: K): Promise<void> {
    checkChannel(name, 'publish');
    return unreachable(`publish(${JSON.stringify(name)})`, true);
  }

  get<K extends keyof Channels & string>(name: K): Promise<Channels[K] | undefined> {
    checkChannel(name, 'get');
    return Promise.resolve(undefined);
  }

  clear<K extends keyof Channels & string>(name: K): Promise<void> {
    checkChannel(name, 'clear');
    return unreachable(`clear(${JSON.stringify(name)})`, true);
  }

  unsubscribe<K extends keyof Channels & string>(name: K): void {
    checkChannel(name, 'unsubscribe');
  }

  stats(): Promise<HubStats> {
    return unreachable('stats()', false);
  }

  disconnect(): void {}
}

/** The rejection of a request on the server; `handled` for those the browser client lets go unheeded. */
function unreachable(label: string, handled: boolean): Promise<never> {
  const rejected = Promise.reject(
    new DisconnectedError(
      `${label}: no hub on the server platform; shared channels run in the browser`,
    ),
  );
  if (handled) rejected.catch(ignore);
  return rejected;
}
