import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ARTIFACTS_DIR } from './artifacts.js';
import { ENGINE } from './engine.js';

/** One measured duration of a case. */
export interface Timing {
  readonly case: string;
  /** What was measured, e.g. `tab closed -> hub forgot it`. */
  readonly what: string;
  readonly ms: number;
  /** Other durations of the same run, by name (ms). */
  readonly details?: Readonly<Record<string, number>>;
}

/** Records the durations a spec file measures; see {@link useTimings}. */
export interface Timings {
  /** Prints `timing <what>: <ms> ms` at once, with any `details`, and keeps it for the file's JSON. */
  record(what: string, ms: number, details?: Readonly<Record<string, number>>): void;
}

/**
 * Collects a spec file's measured durations, prints each one as it comes, and writes them all to
 * `artifacts/timings/<file>.<engine>.json` after the file's cases (one file per spec and engine: jest runs
 * spec files in parallel processes).
 *
 * ```ts
 * const timings = useTimings('lifecycle');
 * timings.record('tab closed -> hub forgot it', 120, { 'closing took': 40 });
 * ```
 */
export function useTimings(file: string): Timings {
  const recorded: Timing[] = [];
  afterAll(async () => {
    if (recorded.length === 0) return;
    const folder = join(ARTIFACTS_DIR, 'timings');
    await mkdir(folder, { recursive: true });
    await writeFile(
      join(folder, `${file}.${ENGINE}.json`),
      `${JSON.stringify(recorded, null, 2)}\n`,
    );
  });
  return {
    record(what, ms, details) {
      const caseName = expect.getState().currentTestName ?? 'unnamed case';
      recorded.push({ case: caseName, what, ms, ...(details === undefined ? {} : { details }) });
      const extra = Object.entries(details ?? {}).map(([name, value]) => `, ${name} ${value} ms`);
      console.log(`timing ${what}: ${ms} ms${extra.join('')}`);
    },
  };
}
