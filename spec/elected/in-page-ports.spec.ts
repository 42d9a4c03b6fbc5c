import { InPagePorts } from '../../src/elected/in-page-ports.js';
import { Hub } from '../../src/worker/hub.js';
import { settle } from '../helpers/wire.js';

describe('InPagePorts', () => {
  it('should connect a port of this page to the hub, one task per hop', async () => {
    const hub = new Hub({ locks: null });
    const ports = new InPagePorts(hub);
    const endpoint = ports.connect();
    const received: unknown[] = [];
    endpoint.addEventListener('message', ({ data }) => received.push(JSON.parse(data as string)));
    endpoint.start?.();
    endpoint.postMessage(JSON.stringify({ type: 'ping', clientId: 'a', requestId: 1 }));
    await Promise.resolve();
    expect(received).toEqual([]);
    await settle();
    expect(received).toEqual([{ type: 'pong', requestId: 1, instanceId: hub.instanceId }]);
    expect(hub.stats().clients).toBe(1);
    ports.closeAll();
  });

  it('should make the hub forget a port the moment it is closed', () => {
    const hub = new Hub({ locks: null });
    const ports = new InPagePorts(hub);
    const first = ports.connect();
    ports.connect();
    expect(hub.stats().clients).toBe(2);
    first.close?.();
    expect(hub.stats().clients).toBe(1);
    ports.closeAll();
    expect(hub.stats().clients).toBe(0);
  });
});
