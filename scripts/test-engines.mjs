#!/usr/bin/env node
/**
 * Runs the browser suite once per engine, with E2E_BROWSER set, and times each run.
 *
 *   node scripts/test-engines.mjs                  # chromium, firefox and webkit
 *   node scripts/test-engines.mjs firefox webkit   # only these
 *
 * Every engine runs even when an earlier one failed; the exit code is non-zero if any failed or ran no test.
 * The last line sums the cases of all engines: `e2e: N passed, N failed, N skipped`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ENGINES = ['chromium', 'firefox', 'webkit'];

const asked = process.argv.slice(2);
const unknown = asked.filter((engine) => !ENGINES.includes(engine));
if (unknown.length > 0) {
  console.error(`test-engines: unknown engine ${unknown.join(', ')}; known: ${ENGINES.join(', ')}`);
  process.exit(2);
}
const engines = asked.length > 0 ? asked : ENGINES;
const scratch = mkdtempSync(join(tmpdir(), 'test-engines-'));
const results = [];

for (const engine of engines) {
  console.log(`\n=== browser suite in ${engine} ===`);
  const report = join(scratch, `${engine}.json`);
  const started = Date.now();
  const run = spawnSync(
    'npx',
    ['jest', '--selectProjects', 'e2e', '--json', `--outputFile=${report}`],
    { stdio: 'inherit', env: { ...process.env, E2E_BROWSER: engine } },
  );
  const seconds = (Date.now() - started) / 1000;
  const counts = readCounts(report);
  const ok = run.status === 0 && counts !== undefined && counts.passed > 0;
  results.push({ engine, ok, seconds, counts, status: run.status ?? run.signal });
}
rmSync(scratch, { recursive: true, force: true });

console.log('\n=== browser suite, per engine ===');
const total = { passed: 0, failed: 0, skipped: 0 };
for (const { engine, ok, seconds, counts, status } of results) {
  const detail =
    counts === undefined
      ? `no report (jest exit ${status})`
      : `${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`;
  console.log(
    `${engine.padEnd(8)} ${ok ? 'ok  ' : 'FAIL'} ${seconds.toFixed(1).padStart(6)} s  ${detail}`,
  );
  total.passed += counts?.passed ?? 0;
  total.failed += counts?.failed ?? (ok ? 0 : 1);
  total.skipped += counts?.skipped ?? 0;
}
console.log(`e2e: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(results.every((result) => result.ok) ? 0 : 1);

/** The case counts of a jest `--json` report, or undefined when jest wrote none (it crashed). */
function readCounts(path) {
  try {
    const report = JSON.parse(readFileSync(path, 'utf8'));
    return {
      passed: report.numPassedTests,
      failed: report.numFailedTests + report.numRuntimeErrorTestSuites,
      skipped: report.numPendingTests + report.numTodoTests,
    };
  } catch {
    return undefined;
  }
}
