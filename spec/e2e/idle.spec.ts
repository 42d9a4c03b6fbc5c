import { CASE_TIMEOUT_MS, useBrowserSuite } from './support/browser-suite.js';
import { freshChannel } from './support/fresh-channel.js';

/** Issue 4: a tab alive but idle this long is never dropped. In a file of its own so jest runs it alongside. */
const IDLE_MS = 61_000;

jest.setTimeout(IDLE_MS + CASE_TIMEOUT_MS + 30_000);

const suite = useBrowserSuite();

describe('The hub and an idle browser tab', () => {
  it(
    'should keep serving a tab that has done nothing for a minute',
    suite.inFreshContext(
      async ({ openFixture }) => {
        const channel = freshChannel('quiet');
        const idler = await openFixture({ collect: [channel] });
        const publisher = await openFixture();
        const before = await publisher.stats();
        expect(before.clients).toBe(2);

        // Nothing from the test, nor from the client: it watches the hub's life lock, and sends no pings.
        await new Promise((resolve) => setTimeout(resolve, IDLE_MS));

        const after = await publisher.stats();
        expect(after.instanceId).toBe(before.instanceId);
        expect(after.clients).toBe(2);
        expect(after.channels.find((entry) => entry.channel === channel)?.subscribers).toBe(1);
        await publisher.publish(channel, 'after a quiet minute');
        expect(await idler.waitForValues(channel, 1)).toEqual(['after a quiet minute']);
        expect(await idler.get(channel)).toBe('after a quiet minute');
        expect(await idler.connectionStates()).toEqual(['connecting', 'open']);
      },
      { timeoutMs: IDLE_MS + CASE_TIMEOUT_MS },
    ),
  );
});
