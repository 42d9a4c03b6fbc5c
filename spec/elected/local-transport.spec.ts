import { SharedWorkerClient } from '../../src/index.js';
import { LocalTransport } from '../../src/elected/local-transport.js';

describe('LocalTransport', () => {
  it('should serve a client from a hub in this page', async () => {
    const transport = new LocalTransport();
    const client = new SharedWorkerClient(() => transport.open().endpoint, { heartbeat: 0 });
    const seen: unknown[] = [];
    client.channel('note').subscribe((value) => seen.push(value));
    await client.publish('note', 'kept in this tab');
    expect(await client.get('note')).toBe('kept in this tab');
    expect(seen).toEqual(['kept in this tab']);
    expect((await client.stats()).clients).toBe(1);
    client.disconnect();
    transport.close();
  });

  it('should report no loss (an in-page hub cannot die) and reopen at will', () => {
    const transport = new LocalTransport();
    expect(transport.mode).toBe('local');
    expect(transport.canReopen).toBe(true);
    const opened = transport.open();
    expect(opened.hub).toBeUndefined();
    opened.endpoint.close?.();
    transport.close();
  });
});
