import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Tab } from './driver/driver.js';
import { ARTIFACTS_DIR } from './support/artifacts.js';
import { CASE_TIMEOUT_MS, useBrowserSuite } from './support/browser-suite.js';
import { buildDemo, DEMO_BUILD_DIR } from './support/build-demo.js';
import { eventually } from './support/eventually.js';
import { WAIT_MS } from './support/fixture-tab.js';

jest.setTimeout(CASE_TIMEOUT_MS + 30_000);

/** Saved on every run, for a person to look at: the demo as a new user first sees it. */
const SCREENSHOT = join(ARTIFACTS_DIR, 'demo.png');
const DEMO_BUILD_TIMEOUT_MS = 120_000;

let demoBuild: Promise<string> | undefined;
// Started before the suite's own setup and awaited after it, so the demo builds while the browser starts.
beforeAll(() => {
  demoBuild = buildDemo();
  demoBuild.catch(() => undefined);
});
const suite = useBrowserSuite({ directories: { '/demo/': DEMO_BUILD_DIR } });
beforeAll(() => demoBuild, DEMO_BUILD_TIMEOUT_MS);

/** Resolves once the demo's `[data-testid=<testId>]` shows `text` (its textContent, or a field's value). */
function waitForText(tab: Tab, testId: string, text: string): Promise<void> {
  // No async/await or optional chaining here: the function is serialised as compiled, without helpers.
  return tab.evaluate(
    ([id, expected, timeoutMs]) =>
      new Promise<void>((resolve, reject) => {
        const deadline = Date.now() + timeoutMs;
        const check = (): void => {
          const element = document.querySelector(`[data-testid="${id}"]`);
          const shown =
            element === null
              ? null
              : element instanceof HTMLTextAreaElement
                ? element.value
                : element.textContent;
          if (shown === expected) resolve();
          else if (Date.now() > deadline) {
            reject(
              new Error(
                `[data-testid="${id}"] shows ${JSON.stringify(shown)}, expected ${JSON.stringify(expected)}`,
              ),
            );
          } else setTimeout(check, 20);
        };
        check();
      }),
    [testId, text, WAIT_MS] as const,
  );
}

/** What the demo's `[data-testid=<testId>]` shows now. */
function textOf(tab: Tab, testId: string): Promise<string | null> {
  return tab.evaluate((id) => document.querySelector(`[data-testid="${id}"]`)!.textContent, testId);
}

function click(tab: Tab, testId: string): Promise<void> {
  return tab.evaluate(
    (id) => document.querySelector<HTMLElement>(`[data-testid="${id}"]`)!.click(),
    testId,
  );
}

/** Sets a text field's value and fires `input`, as typing the whole text at once would. */
function type(tab: Tab, testId: string, text: string): Promise<void> {
  return tab.evaluate(
    ([id, value]) => {
      const field = document.querySelector<HTMLTextAreaElement>(`[data-testid="${id}"]`)!;
      field.focus();
      field.value = value;
      field.dispatchEvent(new Event('input', { bubbles: true }));
    },
    [testId, text] as const,
  );
}

/** The hub view's channel table: name, subscribers and publishes of each row, in display order. */
function channelRows(tab: Tab): Promise<string[][]> {
  return tab.evaluate(() =>
    Array.from(document.querySelectorAll('[data-testid="hub-channel-row"]'), (row) =>
      Array.from(row.querySelectorAll('td'), (cell) => cell.textContent ?? '').slice(0, 3),
    ),
  );
}

/** Width and height of a PNG, read from its IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe('The demo in real browser tabs', () => {
  it(
    "should load without console errors and show each tab the other's publishes",
    suite.inFreshContext(async ({ openTab }) => {
      const left = await openTab('/demo/');
      const right = await openTab('/demo/');
      for (const tab of [left, right]) {
        await waitForText(tab, 'connection-status', 'Connected');
        await waitForText(tab, 'counter-value', '0');
        // The hub view polls stats() every second.
        await waitForText(tab, 'hub-clients', '2');
      }

      await click(left, 'counter-inc');
      await waitForText(right, 'counter-value', '1');
      await waitForText(left, 'counter-value', '1');
      await click(right, 'counter-inc');
      await click(right, 'counter-inc');
      await waitForText(left, 'counter-value', '3');
      await waitForText(right, 'counter-value', '3');

      const note = 'Hello from the left tab';
      await type(left, 'note-input', note);
      await waitForText(right, 'note-value', note);
      // The right tab's field is not focused, so it follows the other tab.
      await waitForText(right, 'note-input', note);
      const leftId = await textOf(left, 'client-id');
      expect(leftId).toMatch(/^[a-z0-9]{6}$/i);
      expect(await textOf(right, 'note-author')).toBe(leftId);
      expect(await textOf(left, 'note-author')).toBe(`${leftId} (this tab)`);
      for (const tab of [left, right]) {
        await waitForText(tab, 'note-value', note);
        await waitForText(tab, 'hub-clients', '2');
        await waitForText(tab, 'hub-channel-count', '3');
        await eventually(async () => {
          expect(await channelRows(tab)).toEqual([
            ['counter', '2', '3'],
            ['prices', '2', '0'],
            ['note', '2', '1'],
          ]);
        });
      }

      await right.screenshot(SCREENSHOT);
      expect(pngSize(await readFile(SCREENSHOT))).toEqual({ width: 1280, height: 800 });
      for (const tab of [left, right]) {
        const errors = tab
          .consoleLog()
          .filter((entry) => entry.type === 'error' || entry.type === 'pageerror');
        expect(errors).toEqual([]);
      }
    }),
  );
});
