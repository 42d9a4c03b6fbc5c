/**
 * `npm run bench`: shared-channels against hand-written baselines, in headless Chromium and in Node.
 *
 *   node bench/run.mjs            full run: 3 repetitions, 1/4/16 tabs (under 6 minutes on 2 cores)
 *   node bench/run.mjs --quick    1 repetition, 1 and 4 tabs, shorter runs (under 1 minute)
 *   --only=browser | --only=node  one half only
 *   --profile[=implementation]    no table: one small burst at the most tabs with the CPU profiler on
 *                                 (default shared-channels); prints the hottest functions of the worker,
 *                                 the publishing tab and a receiving tab, and writes the profiles
 *
 * Prints a table with the ratios to the baselines and the targets of issue 7, and writes every record
 * and the medians to bench/results/<timestamp>.json.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { BUILD_DIR, build, hasLibrary } from './lib/build.mjs';
import { profileBrowser, runBrowser } from './lib/browser-bench.mjs';
import { formatTop, topFunctions } from './lib/cpu-profile.mjs';
import { LIBRARY, checkTargets, formatReport, summarise } from './lib/report.mjs';
import { startServer } from './lib/static-server.mjs';

const FULL = {
  reps: 3,
  tabs: [1, 4, 16],
  payloads: ['small', '10kb'],
  warmupMs: 300,
  burstMs: 800,
  /**
   * The fan-out burst: at most `window` values in flight (published, not yet received by the slowest
   * tab), at most `slice` published per task of the publisher.
   */
  burst: { small: { window: 512, slice: 128 }, '10kb': { window: 64, slice: 16 } },
  paced: { small: { rate: 100, count: 100 }, '10kb': { rate: 50, count: 50 } },
  get: { warmup: 100, sequential: 300, pipelined: 2000 },
  heapChannels: 5000,
};

const QUICK = {
  ...FULL,
  reps: 1,
  tabs: [1, 4],
  warmupMs: 100,
  burstMs: 300,
  paced: { small: { rate: 100, count: 40 }, '10kb': { rate: 50, count: 20 } },
  get: { warmup: 50, sequential: 100, pipelined: 500 },
  heapChannels: 1000,
};

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
const profile = args
  .find((arg) => arg === '--profile' || arg.startsWith('--profile='))
  ?.replace(/^--profile=?/, '');
const plan = quick ? QUICK : FULL;
const started = performance.now();
const stamp = `${new Date().toISOString().replace(/[:.]/g, '-')}${quick ? '-quick' : ''}`;
const resultsDir = path.join(import.meta.dirname, 'results');

function log(message) {
  const seconds = ((performance.now() - started) / 1000).toFixed(1).padStart(5);
  process.stderr.write(`[${seconds}s] ${message}\n`);
}

/** One Node benchmark in a child process of its own, with `--expose-gc` for the heap figures. */
function runNodeBench(script) {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', path.join(BUILD_DIR, script), ...(quick ? ['--quick'] : [])],
      { maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${script} failed: ${stderr || error.message}`));
        else resolve(JSON.parse(stdout.trim().split('\n').pop()));
      },
    );
  });
}

/** The hub alone: routing, acks and heap, then one hostile message at a time. */
async function runNode() {
  const node = await runNodeBench('hub-bench.cjs');
  log('Node: hostile messages');
  return { ...node, hostile: await runNodeBench('hostile-bench.cjs') };
}

/** `--profile`: where the time goes in one burst per payload; writes the profiles to bench/results. */
async function runProfile(implementation) {
  const server = await startServer(BUILD_DIR);
  const tabs = Math.max(...plan.tabs);
  try {
    await fs.mkdir(resultsDir, { recursive: true });
    for (const payload of plan.payloads) {
      log(`profiling ${implementation}: one ${payload} burst at ${tabs} tabs`);
      const { burst, profiles } = await profileBrowser(server.url, plan, implementation, payload);
      const parts = [
        `${implementation}, ${payload}, ${tabs} tabs, profiler on: ` +
          `${Math.round(burst.totalPerSecond)} messages/s in total`,
      ];
      for (const [name, data] of Object.entries(profiles)) {
        // .json so the results folder's ignore rules cover it; DevTools' Performance panel loads it.
        const file = path.join(
          resultsDir,
          `${stamp}-${implementation}-${payload}-${name}.cpuprofile.json`,
        );
        await fs.writeFile(file, JSON.stringify(data));
        parts.push(
          formatTop(`${name} (${path.relative(process.cwd(), file)}):`, topFunctions(data)),
        );
      }
      process.stdout.write(`\n${parts.join('\n\n')}\n\n`);
    }
  } finally {
    await server.close();
  }
}

const loadAtStart = os.loadavg();

async function main() {
  const [load] = loadAtStart;
  if (load > os.cpus().length * 0.75) {
    log(`the machine is busy (load average ${load.toFixed(1)}): expect noisy figures`);
  }
  const library = hasLibrary();
  if (!library) log('shared-channels is not in src/ yet: running the baselines only');
  log('building bench/.build');
  await build({ library });
  if (profile !== undefined) {
    await runProfile(profile || (library ? LIBRARY : 'raw-clone'));
    return;
  }

  let node;
  if (library && only !== 'browser') {
    log('Node: hub alone');
    node = await runNode();
  }

  let records = [];
  let environment;
  if (only !== 'node') {
    const server = await startServer(BUILD_DIR);
    try {
      log(`browser: ${plan.reps} repetition(s), tabs ${plan.tabs.join('/')}`);
      ({ environment, records } = await runBrowser(server.url, plan, log));
    } finally {
      await server.close();
    }
  }

  const summary = summarise(records);
  const targets = library ? checkTargets(summary, node) : [];
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(`\n${formatReport(summary, node, targets)}\n\n`);
  log(`done in ${seconds.toFixed(1)} s`);

  const file = path.join(resultsDir, `${stamp}.json`);
  await fs.mkdir(resultsDir, { recursive: true });
  const machine = {
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model,
    node: process.version,
    // At the start (other work on the machine) and at the end (this run's own tabs count too).
    loadAverage: { start: loadAtStart, end: os.loadavg() },
    ...environment,
  };
  await fs.writeFile(
    file,
    `${JSON.stringify({ quick, plan, machine, seconds, summary, targets, node, records }, null, 2)}\n`,
  );
  log(`wrote ${path.relative(process.cwd(), file)}`);
}

main().catch((error) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
