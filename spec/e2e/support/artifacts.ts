import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ConsoleEntry, Tab } from '../driver/driver.js';

/** Where failing cases leave their evidence (gitignored). */
export const ARTIFACTS_DIR = resolve(__dirname, '../artifacts');

const STEP_TIMEOUT_MS = 5_000;

/** What a failing case leaves behind. */
export interface FailureReport {
  readonly caseName: string;
  readonly engine: string;
  readonly error: unknown;
  /** Every tab the case opened, closed ones included (they have a console log but no screenshot). */
  readonly tabs: readonly Tab[];
  /** Request paths the fixture server answered during the case, with their status. */
  readonly requests: ReadonlyArray<{ readonly path: string; readonly status: number }>;
  /** Lines saying what was under test, e.g. which worker bundle was served. */
  readonly setup: readonly string[];
}

/**
 * Runs a case's `body`, failing it after `timeoutMs`. When it fails, the evidence (what `evidence()` says
 * at that moment: the tabs, the server's requests, the setup) is saved with {@link saveFailureArtifacts},
 * its folder is logged, and the case's error is thrown on.
 */
export async function runWithEvidence(
  body: () => Promise<void>,
  timeoutMs: number,
  evidence: () => Omit<FailureReport, 'error' | 'caseName'>,
): Promise<void> {
  const caseName = expect.getState().currentTestName ?? 'unnamed case';
  let deadline: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      body(),
      new Promise<never>((_, reject) => {
        deadline = setTimeout(
          () => reject(new Error(`the case did not finish within ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]);
  } catch (error) {
    const folder = await saveFailureArtifacts({ ...evidence(), caseName, error }).catch(
      (saveError: unknown) => `none (saving failed: ${String(saveError)})`,
    );
    console.error(`${caseName}\n  screenshots and console logs: ${folder}`);
    throw error;
  } finally {
    clearTimeout(deadline);
  }
}

/**
 * Saves a screenshot and the console log of every tab, the error and the server's request log into
 * `artifacts/<engine>/<case>/`, and resolves with that folder.
 *
 * Each step is bounded and may fail on its own: a hung or crashed tab must not hide the other tabs' evidence.
 */
export async function saveFailureArtifacts(report: FailureReport): Promise<string> {
  const folder = join(ARTIFACTS_DIR, report.engine, slug(report.caseName));
  await mkdir(folder, { recursive: true });
  const notes: string[] = [];
  for (const tab of report.tabs) {
    await writeFile(join(folder, `${tab.id}.console.log`), formatLog(tab.consoleLog()));
    if (tab.closed) {
      notes.push(`${tab.id}: closed by the case, no screenshot`);
      continue;
    }
    // Lay the harness's recordings out in the page so the screenshot shows them (a non-fixture page has none).
    await bounded(tab.evaluate(() => window.harness.showState())).catch(() => undefined);
    await bounded(tab.screenshot(join(folder, `${tab.id}.png`))).catch((error: unknown) => {
      notes.push(`${tab.id}: no screenshot: ${String(error)}`);
    });
  }
  const summary = [
    `case: ${report.caseName}`,
    `engine: ${report.engine}`,
    ...report.setup,
    '',
    report.error instanceof Error
      ? (report.error.stack ?? report.error.message)
      : String(report.error),
    '',
    'tabs:',
    ...report.tabs.map((tab) => `  ${tab.id} ${tab.closed ? '(closed)' : tab.url()}`),
    ...notes.map((note) => `  ${note}`),
    '',
    'server requests:',
    ...report.requests.map((request) => `  ${request.status} ${request.path}`),
    '',
  ];
  await writeFile(join(folder, 'failure.txt'), summary.join('\n'));
  return folder;
}

function formatLog(entries: readonly ConsoleEntry[]): string {
  return entries
    .map((entry) => `${new Date(entry.time).toISOString()} [${entry.type}] ${entry.text}\n`)
    .join('');
}

function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 120) || 'unnamed-case'
  );
}

function bounded<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`gave up after ${STEP_TIMEOUT_MS} ms`)),
      STEP_TIMEOUT_MS,
    );
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
