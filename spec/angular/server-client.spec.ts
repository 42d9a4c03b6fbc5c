import { firstValueFrom, toArray } from 'rxjs';
import type { SharedChannels } from '../../src/angular/index.js';
import { ServerClient } from '../../src/angular/server-client.js';
import { DisconnectedError, type ConnectionState } from '../../src/index.js';
import { thrownBy } from '../helpers/thrown-by.js';

interface Channels {
  counter: number;
}

describe('ServerClient', () => {
  // Through the type `injectSharedChannels()` returns, as an app sees it.
  let client: SharedChannels<Channels>;

  beforeEach(() => {
    client = new ServerClient<Channels>();
  });

  describe('.channel()', () => {
    it('should complete at once without a value, so that nothing waits on it', async () => {
      expect(await firstValueFrom(client.channel('counter').pipe(toArray()))).toEqual([]);
    });

    it('should refuse a bad channel name as the browser client does', () => {
      expect(thrownBy(() => client.channel('' as never))).toStrictEqual(
        new TypeError('channel(): channel must be a non-empty string, got "" (string)'),
      );
    });
  });

  describe('.subscribe()', () => {
    it('should never call back', () => {
      const values: number[] = [];
      const stop = client.subscribe('counter', (value) => values.push(value));
      stop();
      expect(values).toEqual([]);
    });

    it('should refuse a callback that is no function', () => {
      expect(thrownBy(() => client.subscribe('counter', 42 as never))).toStrictEqual(
        new TypeError('subscribe(): callback must be a function, got 42 (number)'),
      );
    });
  });

  describe('.get()', () => {
    it('should resolve undefined, as for a channel without a value', async () => {
      expect(await client.get('counter')).toBeUndefined();
    });
  });

  describe('.publish(), .clear() and .stats()', () => {
    it('should reject with DisconnectedError naming the call: no hub took the write', async () => {
      await expect(client.publish('counter', 1)).rejects.toStrictEqual(
        new DisconnectedError(
          'publish("counter"): no hub on the server platform; shared channels run in the browser',
        ),
      );
      await expect(client.clear('counter')).rejects.toStrictEqual(
        new DisconnectedError(
          'clear("counter"): no hub on the server platform; shared channels run in the browser',
        ),
      );
      await expect(client.stats()).rejects.toStrictEqual(
        new DisconnectedError(
          'stats(): no hub on the server platform; shared channels run in the browser',
        ),
      );
    });
  });

  describe('state', () => {
    it('should say connecting, as the browser client first does, and name no transport or id', async () => {
      const states: ConnectionState[] = await firstValueFrom(
        client.connectionState$.pipe(toArray()),
      );
      expect(states).toEqual(['connecting']);
      expect(client.transport).toBe('server');
      expect(client.clientId).toBe('');
    });

    it('should do nothing on unsubscribe() and disconnect(), and keep answering', async () => {
      client.unsubscribe('counter');
      client.disconnect();
      expect(await client.get('counter')).toBeUndefined();
      expect(thrownBy(() => client.unsubscribe('' as never))).toBeInstanceOf(TypeError);
    });
  });
});
