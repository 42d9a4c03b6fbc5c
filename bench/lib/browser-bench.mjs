/**
 * The browser half: headless Chromium, N tabs of one context, every tab subscribed and tab 0 publishing.
 * Each scenario runs for every implementation the page offers; the in-page side is bench/page/harness.ts.
 */
import { chromium } from 'playwright-core';
import { median, percentile } from './stats.mjs';
import { WorkerSession } from './worker-session.mjs';

const LAUNCH = {
  executablePath: '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};

/** Each implementation's SharedWorker script, served from bench/.build (BroadcastChannel has none). */
const WORKER_SCRIPTS = {
  'shared-channels': 'sc-worker.js',
  'raw-clone': 'raw-clone-worker.js',
  'raw-json': 'raw-json-worker.js',
};

const RECEIVE_TIMEOUT_MS = 30_000;

let nextId = 0;
function uniqueId(prefix) {
  nextId++;
  return `${prefix}-${nextId}`;
}

/** Calls a method of the page's harness (`window.bench`) and returns its result. */
function call(page, method, ...args) {
  return page.evaluate(([name, values]) => globalThis.bench[name](...values), [method, args]);
}

/**
 * A script URL of its own per context, so every context gets fresh workers and the CDP target of one
 * can be told from the others.
 */
function workerUrl(implementation, contextId) {
  const script = WORKER_SCRIPTS[implementation];
  return script === undefined ? '' : `/${script}?context=${contextId}`;
}

async function openTabs(browser, url, count) {
  const contextId = uniqueId('context');
  const context = await browser.newContext();
  // Four at a time: faster than one by one, and sixteen at once starve each other on two cores.
  const pages = [];
  while (pages.length < count) {
    const batch = Array.from({ length: Math.min(4, count - pages.length) }, async () => {
      const page = await context.newPage();
      await page.goto(url);
      return page;
    });
    pages.push(...(await Promise.all(batch)));
  }
  return { context, contextId, pages };
}

function deliveryProblems(results, published) {
  const problems = [];
  for (const result of results) {
    if (result.timedOut || result.received !== published.sent || result.outOfOrder > 0) {
      problems.push(
        `tab ${result.tab}: ${result.received}/${published.sent} received, ${result.outOfOrder} out of order` +
          (result.timedOut ? ', timed out' : ''),
      );
    }
    for (const error of result.errors) problems.push(`tab ${result.tab}: ${error}`);
  }
  return problems;
}

/** Subscribes every tab, has tab 0 publish (`method`: burst or paced), and collects what each tab saw. */
async function publishRun(pages, implementation, method, options, latency) {
  const runId = uniqueId(method);
  const channel = `${method}-${runId}`;
  // A report every quarter window: the slowest tab always has one more to make, so no deadlock, and
  // the reports (BroadcastChannel posts, not free) stay few next to the values.
  const progressEvery = method === 'burst' ? Math.max(1, options.window / 4) : 1e9;
  await Promise.all(
    pages.map((page, tab) =>
      call(page, 'startReceive', {
        runId,
        transport: implementation,
        channel,
        tab,
        progressEvery,
        latency,
      }),
    ),
  );
  const published = await call(pages[0], method, {
    runId,
    transport: implementation,
    channel,
    tabs: pages.length,
    ...options,
  });
  const results = await Promise.all(
    pages.map((page) => call(page, 'finishReceive', runId, RECEIVE_TIMEOUT_MS)),
  );
  return { published, results, problems: deliveryProblems(results, published) };
}

async function fanOut(pages, implementation, payload, plan) {
  const { window, slice } = plan.burst[payload];
  await publishRun(
    pages,
    implementation,
    'burst',
    { durationMs: plan.warmupMs, window, slice, payload },
    false,
  );
  const { published, results, problems } = await publishRun(
    pages,
    implementation,
    'burst',
    { durationMs: plan.burstMs, window, slice, payload },
    false,
  );
  const seconds = (at) => (at - published.startedAt) / 1000;
  const perTab = results.map((result) => result.received / seconds(result.lastAt));
  const received = results.reduce((sum, result) => sum + result.received, 0);
  return {
    sent: published.sent,
    perTabPerSecond: median(perTab),
    slowestTabPerSecond: Math.min(...perTab),
    totalPerSecond: received / seconds(Math.max(...results.map((result) => result.lastAt))),
    problems,
  };
}

async function pacedLatency(pages, implementation, payload, plan) {
  const { rate, count } = plan.paced[payload];
  const { results, problems } = await publishRun(
    pages,
    implementation,
    'paced',
    { rate, count, payload },
    true,
  );
  const latencies = results.flatMap((result) => result.latencies);
  return {
    rate,
    count,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: Math.max(...latencies),
    problems,
  };
}

async function getRoundTrips(page, implementation, plan) {
  const { rtts, pipelinedPerSecond } = await call(page, 'getRoundTrips', {
    transport: implementation,
    channel: uniqueId('get'),
    ...plan.get,
  });
  return { p50: percentile(rtts, 50), p99: percentile(rtts, 99), pipelinedPerSecond };
}

/** The worker's heap per channel and per subscription, in a context of its own with one tab. */
async function workerHeap(browser, url, implementation, count) {
  const { context, contextId, pages } = await openTabs(browser, url, 1);
  const [page] = pages;
  try {
    await call(page, 'connect', implementation, workerUrl(implementation, contextId));
    // Run every code path once first, so feedback vectors and caches are not counted as per-channel.
    await call(page, 'createChannels', implementation, 'warm-', 200);
    await call(page, 'subscribeChannels', implementation, 'warm-', 200);
    const session = await WorkerSession.attach(browser, `context=${contextId}`);
    try {
      const empty = await session.heapUsed();
      await call(page, 'createChannels', implementation, 'heap-', count);
      const withChannels = await session.heapUsed();
      await call(page, 'subscribeChannels', implementation, 'heap-', count);
      const withSubscriptions = await session.heapUsed();
      return {
        channels: count,
        bytesPerChannel: (withChannels - empty) / count,
        bytesPerSubscription: (withSubscriptions - withChannels) / count,
      };
    } finally {
      await session.detach();
    }
  } finally {
    await context.close();
  }
}

function rotate(list, by) {
  const shift = by % list.length;
  return [...list.slice(shift), ...list.slice(0, shift)];
}

/**
 * Runs the plan; returns the page's environment and one flat record per measurement:
 * `{ scenario, rep, implementation, tabs, payload, ...metrics }`.
 */
export async function runBrowser(url, plan, log) {
  const browser = await chromium.launch(LAUNCH);
  const records = [];
  let environment;
  try {
    for (let rep = 0; rep < plan.reps; rep++) {
      for (const tabs of plan.tabs) {
        const { context, contextId, pages } = await openTabs(browser, url, tabs);
        environment ??= await call(pages[0], 'environment');
        const implementations = rotate(await call(pages[0], 'implementations'), rep);
        for (const implementation of implementations) {
          const script = workerUrl(implementation, contextId);
          await Promise.all(pages.map((page) => call(page, 'connect', implementation, script)));
        }
        for (const implementation of implementations) {
          const base = { rep, implementation, tabs };
          for (const payload of plan.payloads) {
            const burst = await fanOut(pages, implementation, payload, plan);
            records.push({ scenario: 'burst', ...base, payload, ...burst });
            const paced = await pacedLatency(pages, implementation, payload, plan);
            records.push({ scenario: 'latency', ...base, payload, ...paced });
            log(
              `rep ${rep + 1} ${String(tabs).padStart(2)} tabs ${implementation.padEnd(15)} ${payload.padEnd(5)} ` +
                `burst ${Math.round(burst.totalPerSecond)}/s, latency p50 ${paced.p50.toFixed(2)} ms` +
                [...burst.problems, ...paced.problems]
                  .map((problem) => `\n  ! ${problem}`)
                  .join(''),
            );
          }
          if (WORKER_SCRIPTS[implementation] !== undefined) {
            const get = await getRoundTrips(pages[0], implementation, plan);
            records.push({ scenario: 'get', ...base, payload: 'small', ...get });
          }
        }
        await context.close();
      }
      for (const implementation of Object.keys(WORKER_SCRIPTS)) {
        if (!records.some((record) => record.implementation === implementation)) continue;
        const heap = await workerHeap(browser, url, implementation, plan.heapChannels);
        records.push({ scenario: 'heap', rep, implementation, tabs: 1, payload: 'small', ...heap });
        log(
          `rep ${rep + 1} heap ${implementation}: ${heap.bytesPerChannel.toFixed(0)} B/channel, ` +
            `${heap.bytesPerSubscription.toFixed(0)} B/subscription`,
        );
      }
    }
  } finally {
    await browser.close();
  }
  return { environment, records };
}

/** Starts the V8 sampling profiler on a CDP session (page or worker); resolves a stop function. */
async function startProfiler(session) {
  await session.send('Profiler.enable');
  await session.send('Profiler.setSamplingInterval', { interval: 100 });
  await session.send('Profiler.start');
  return async () => (await session.send('Profiler.stop')).profile;
}

/**
 * One burst of `implementation` at the plan's largest tab count, with the CPU profiler on in the
 * worker, the publishing tab and one receiving tab. Profiling slows everything down: the figures
 * of this run are for finding where the time goes, not for comparing.
 */
export async function profileBrowser(url, plan, implementation, payload) {
  const browser = await chromium.launch(LAUNCH);
  try {
    const tabs = Math.max(...plan.tabs);
    const { contextId, pages } = await openTabs(browser, url, tabs);
    const script = workerUrl(implementation, contextId);
    await Promise.all(pages.map((page) => call(page, 'connect', implementation, script)));
    await fanOut(pages, implementation, payload, plan);
    const stops = {};
    let worker;
    if (script !== '') {
      worker = await WorkerSession.attach(browser, `context=${contextId}`);
      stops.worker = await startProfiler(worker);
    }
    const context = pages[0].context();
    stops.publisher = await startProfiler(await context.newCDPSession(pages[0]));
    if (pages.length > 1) {
      stops.receiver = await startProfiler(await context.newCDPSession(pages[pages.length - 1]));
    }
    const burst = await fanOut(pages, implementation, payload, { ...plan, warmupMs: 0 });
    const profiles = {};
    for (const [name, stop] of Object.entries(stops)) profiles[name] = await stop();
    await worker?.detach();
    return { tabs, burst, profiles };
  } finally {
    await browser.close();
  }
}
