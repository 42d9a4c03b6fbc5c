/**
 * The hostile-message part of the Node benchmark: what ONE message as large as the hub reads costs it,
 * at the default limits, for the messages a broken or hostile tab can send. Targets: at most 50 ms of
 * hub time and 10 MB of extra heap per message.
 *
 * For each message, per repetition, a fresh hub and a fresh tab (hello with the batch feature and a
 * session, as the shipped client says it), then:
 * - time: from handing the message to the port's listener until `receive()` returned and the reply
 *   left (the outbox flushes in a microtask, which runs before the awaiting code resumes); wall clock,
 *   and CPU time of the process beside it;
 * - peak heap: the most the V8 heap held meanwhile, over what it held before (after a full GC). The heap
 *   only grows between two collections, so the peak is the larger of the heap at the end and the heap
 *   before each collection that ran meanwhile (`v8.GCProfiler` reports both);
 * - retained heap: after the replies are dropped and a full GC, what the hub still holds (values,
 *   session outcomes).
 *
 * Bundled by bench/lib/build.mjs and run by bench/run.mjs as `node --expose-gc`; prints one JSON line.
 * Each message runs in a child process of its own, so one that runs the hub out of memory is reported
 * as such and the others are still measured.
 *
 *   node --expose-gc bench/.build/hostile-bench.cjs [--quick] [--reps=N] [--message-chars=N]
 *   node --expose-gc bench/.build/hostile-bench.cjs --scenario=over-rate     one message only
 *
 * Repetitions: 5 (3 with `--quick`), after one that is not counted. `--message-chars` sets the size of
 * the batches instead of the hub's message limit (to compare hubs at one size).
 */
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { GCProfiler, getHeapStatistics } from 'node:v8';
import { Hub } from '../../src/worker/hub.js';
import { DEFAULT_LIMITS, type HubLimits } from '../../src/worker/limits.js';
import { FakeClient, FakeEndpoint, median, nextTask } from './fake-client.js';

/** What the scenario builds its message from: the limits the hub announced in its welcome. */
interface Bounds {
  /** The largest message the hub reads, in characters. */
  maxMessage: number;
  maxPayload: number;
  /** How large the batches are made: the announced `maxBatch` (else `maxMessage`), unless `--message-chars` says otherwise. */
  batchChars: number;
}

interface Built {
  text: string;
  /** The requests in it. */
  requests: number;
}

interface Scenario {
  name: string;
  title: string;
  limits?: Partial<HubLimits>;
  /** A second tab subscribes to {@link CHANNEL} first, so each accepted publish is fanned out. */
  subscribed?: boolean;
  build(bounds: Bounds): Built;
}

const ATTACKER = 'attacker';
const CHANNEL = 'prices';
/** Request ids of the message start here, well after the hello's and the subscribe's. */
const FIRST_ID = 1000;

function publish(requestId: number, data: string): string {
  return `{"type":"publish","clientId":"${ATTACKER}","channel":"${CHANNEL}","requestId":${requestId},"data":${data}}`;
}

/** One batch envelope holding as many `item`s as fit in `chars` characters. */
function fillBatch(chars: number, item: (index: number) => string): Built {
  const open = '{"type":"batch","messages":[';
  const close = ']}';
  const items: string[] = [];
  let length = open.length + close.length;
  for (let index = 0; ; index++) {
    const next = item(index);
    const added = next.length + (items.length > 0 ? 1 : 0);
    if (length + added > chars) break;
    items.push(next);
    length += added;
  }
  return { text: `${open}${items.join(',')}${close}`, requests: items.length };
}

/** A JSON array of small numbers, exactly `chars` characters long: the costliest value to parse. */
function numberArray(chars: number): string {
  // `[0,...,0]` is 2k + 1 characters for k items; one `10` among them makes the length even.
  const count = chars % 2 === 1 ? (chars - 1) / 2 : (chars - 2) / 2;
  const items = Array.from({ length: count }, () => '0');
  if (chars % 2 === 0) items[0] = '10';
  return `[${items.join(',')}]`;
}

/** A JSON string exactly `chars` characters long, quotes included. */
function stringValue(chars: number): string {
  return `"${'x'.repeat(chars - 2)}"`;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'over-rate',
    title: '(a) tiny publishes over the rate allowance (10/s)',
    limits: { maxRequestsPerSecond: 10 },
    build: ({ batchChars }) => fillBatch(batchChars, (i) => publish(FIRST_ID + i, '0')),
  },
  {
    name: 'invalid',
    title: '(b) tiny invalid requests ({"type":0,"requestId":n})',
    build: ({ batchChars }) =>
      fillBatch(batchChars, (i) => `{"type":0,"requestId":${FIRST_ID + i}}`),
  },
  {
    name: 'invalid-bare',
    title: '(b2) bare invalid items (0,0,0,...)',
    build: ({ batchChars }) => fillBatch(batchChars, () => '0'),
  },
  {
    name: 'max-string',
    title: '(c) one publish, a string value of maxPayload chars',
    subscribed: true,
    build: ({ maxPayload }) => ({ text: publish(FIRST_ID, stringValue(maxPayload)), requests: 1 }),
  },
  {
    name: 'max-array',
    title: '(c2) one publish, [0,0,...] of maxPayload chars',
    subscribed: true,
    build: ({ maxPayload }) => ({ text: publish(FIRST_ID, numberArray(maxPayload)), requests: 1 }),
  },
  {
    name: 'over-limit',
    title: '(d) one message over the limit, refused unread',
    build: ({ maxMessage }) => {
      const chars = Math.max(16 * 1024 * 1024, maxMessage + 1);
      const text = publish(FIRST_ID, stringValue(chars - publish(FIRST_ID, '').length));
      return { text, requests: 1 };
    },
  },
  {
    name: 'non-finite',
    title: '(e) small publishes of 1e400',
    build: ({ batchChars }) => fillBatch(batchChars, (i) => publish(FIRST_ID + i, '1e400')),
  },
  {
    name: 'legit',
    title: '(f) small publishes to a subscribed channel (legit)',
    subscribed: true,
    build: ({ batchChars }) =>
      fillBatch(batchChars, (i) =>
        publish(FIRST_ID + i, `{"price":${i},"ts":${1_700_000_000_000 + i}}`),
      ),
  },
];

/** A port that keeps every post, to sum up the replies outside the timed part. */
class RecordingEndpoint extends FakeEndpoint {
  private kept: unknown[] = [];

  override postMessage(message: unknown): void {
    this.kept.push(message);
  }

  take(): unknown[] {
    const kept = this.kept;
    this.kept = [];
    return kept;
  }
}

function collect(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  gc();
  gc();
  return getHeapStatistics().used_heap_size;
}

function countOf(text: string, needle: string): number {
  let count = 0;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + 1)) count++;
  return count;
}

/** What came back, summed over posts. */
interface Replies {
  posts: number;
  chars: number;
  errors: number;
  acks: number;
  /** requestIds named in the replies' `requestIds` lists (one refusal for many requests). */
  listed: number;
}

function summariseReplies(posts: readonly unknown[]): Replies {
  const replies: Replies = { posts: posts.length, chars: 0, errors: 0, acks: 0, listed: 0 };
  for (const post of posts) {
    if (typeof post !== 'string') continue;
    replies.chars += post.length;
    replies.errors += countOf(post, '"type":"error"');
    replies.acks += countOf(post, '"type":"published"');
    for (const match of post.matchAll(/"requestIds":\[([^\]]*)\]/g)) {
      replies.listed += (match[1] ?? '').split(',').filter(Boolean).length;
    }
  }
  return replies;
}

interface Sample {
  /** Wall-clock ms from delivering the message until its replies left. */
  ms: number;
  /** Wall-clock ms until `receive()` returned (the flush not included). */
  receiveMs: number;
  cpuMs: number;
  peakBytes: number;
  retainedBytes: number;
  gcs: number;
  replies: Replies;
  /** Values the subscribed tab got. */
  delivered: number;
}

/** One fake tab and the port it is heard on. */
interface Tab {
  client: FakeClient;
  endpoint: RecordingEndpoint;
}

/** A hub as the scenario wants it, with the attacking tab (and the subscribed one) connected. */
async function setUp(
  limits: Partial<HubLimits> | undefined,
  subscribed = false,
): Promise<{ hub: Hub; attacker: Tab; subscriber: Tab | undefined; welcome: unknown }> {
  const hub = new Hub({ limits });
  const connect = (clientId: string): Tab => {
    const endpoint = new RecordingEndpoint();
    return {
      client: new FakeClient(clientId, hub, 'batch', endpoint, `${clientId}-session`),
      endpoint,
    };
  };
  const attacker = connect(ATTACKER);
  const subscriber = subscribed ? connect('subscriber') : undefined;
  subscriber?.endpoint.deliver(subscriber.client.request('subscribe', CHANNEL));
  await nextTask();
  const [welcome] = attacker.endpoint.take();
  subscriber?.endpoint.take();
  return { hub, attacker, subscriber, welcome };
}

async function measure(scenario: Scenario, text: string): Promise<Sample> {
  const { hub, attacker, subscriber } = await setUp(scenario.limits, scenario.subscribed);
  const before = collect();
  const profiler = new GCProfiler();
  profiler.start();
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  attacker.endpoint.deliver(text);
  const returned = performance.now();
  // The outboxes' flushes were queued during receive(), so they run before this resumes.
  await Promise.resolve();
  const end = performance.now();
  const cpu = process.cpuUsage(cpuStart);
  const used = getHeapStatistics().used_heap_size;
  const { statistics } = profiler.stop();
  const peak = Math.max(used, ...statistics.map((gc) => gc.beforeGC.heapStatistics.usedHeapSize));
  const posts = attacker.endpoint.take();
  // No post at all is a finding, not a failure: a reply too large to build (past V8's longest string)
  // is lost in the outbox's flush, and the tab never hears of its requests.
  const replies = summariseReplies(posts);
  const pushed = subscriber?.endpoint.take() ?? [];
  const delivered = pushed.reduce<number>(
    (sum, post) => sum + (typeof post === 'string' ? countOf(post, '{"type":"data"') : 0),
    0,
  );
  posts.length = 0;
  pushed.length = 0;
  const retained = collect() - before;
  // After the count, so that what the hub holds is counted; and one bad message never ends a connection.
  if (hub.stats().clients === 0) throw new Error(`${scenario.name}: the hub dropped the tab`);
  return {
    ms: end - start,
    receiveMs: returned - start,
    cpuMs: (cpu.user + cpu.system) / 1000,
    peakBytes: peak - before,
    retainedBytes: retained,
    gcs: statistics.length,
    replies,
    delivered,
  };
}

interface Spread {
  median: number;
  max: number;
}

/** One message's figures: median and max over the repetitions, and the last repetition's replies. */
export interface HostileResult {
  name: string;
  title: string;
  messageChars: number;
  requests: number;
  reps: number;
  ms: Spread;
  receiveMs: Spread;
  cpuMs: Spread;
  peakBytes: Spread;
  retainedBytes: Spread;
  gcs: Spread;
  replies: Replies;
  delivered: number;
  /** Set instead of the figures when the child process failed (out of memory, timeout). */
  failed?: string;
}

function spread(samples: readonly Sample[], pick: (sample: Sample) => number): Spread {
  const values = samples.map(pick);
  return { median: median(values), max: Math.max(...values) };
}

/** What a hub with these limits announces in its welcome. */
async function announcedBounds(
  limits: Partial<HubLimits> | undefined,
  batchChars: number | undefined,
): Promise<Bounds> {
  const { welcome } = await setUp(limits);
  const announced =
    (typeof welcome === 'string'
      ? (
          JSON.parse(welcome) as {
            limits?: { maxMessage?: number; maxBatch?: number; maxPayload?: number };
          }
        ).limits
      : undefined) ?? {};
  const maxPayload = announced.maxPayload ?? DEFAULT_LIMITS.maxPayload;
  // A hub whose welcome does not carry its limits (9da2127 and before) read 16 values' worth.
  const maxMessage = announced.maxMessage ?? 16 * maxPayload + 4096;
  return { maxMessage, maxPayload, batchChars: batchChars ?? announced.maxBatch ?? maxMessage };
}

async function runScenario(
  scenario: Scenario,
  reps: number,
  batchChars: number | undefined,
): Promise<HostileResult> {
  const built = scenario.build(await announcedBounds(scenario.limits, batchChars));
  // As a port delivers it: a flat string of its own, not the rope the builder made.
  const text = structuredClone(built.text);
  // One repetition first, not counted: the hub has served other messages before an attack.
  await measure(scenario, text);
  const samples: Sample[] = [];
  for (let rep = 0; rep < reps; rep++) samples.push(await measure(scenario, text));
  const last = samples[samples.length - 1]!;
  return {
    name: scenario.name,
    title: scenario.title,
    messageChars: text.length,
    requests: built.requests,
    reps,
    ms: spread(samples, (sample) => sample.ms),
    receiveMs: spread(samples, (sample) => sample.receiveMs),
    cpuMs: spread(samples, (sample) => sample.cpuMs),
    peakBytes: spread(samples, (sample) => sample.peakBytes),
    retainedBytes: spread(samples, (sample) => sample.retainedBytes),
    gcs: spread(samples, (sample) => sample.gcs),
    replies: last.replies,
    delivered: last.delivered,
  };
}

/** Every scenario in a child process of its own; a failed one is reported with why. */
function runAll(args: readonly string[]): HostileResult[] {
  const results: HostileResult[] = [];
  for (const scenario of SCENARIOS) {
    const child = spawnSync(
      process.execPath,
      [...process.execArgv, process.argv[1] ?? '', ...args, `--scenario=${scenario.name}`],
      { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, timeout: 120_000 },
    );
    const line = child.status === 0 ? child.stdout.trim().split('\n').pop() : undefined;
    if (line) {
      results.push(JSON.parse(line) as HostileResult);
      continue;
    }
    const why = child.signal
      ? `killed by ${child.signal}`
      : child.error
        ? child.error.message
        : `exit code ${child.status}`;
    const detail = /heap out of memory/.test(child.stderr) ? 'out of memory' : undefined;
    const lastLine = child.stderr.trim().split('\n').pop() ?? '';
    results.push({
      name: scenario.name,
      title: scenario.title,
      failed: `${why}${detail ? ` (${detail})` : ''}: ${lastLine.slice(0, 200)}`,
    } as HostileResult);
  }
  return results;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const value = (name: string): string | undefined =>
    args.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
  const reps = Number(value('reps') ?? (args.includes('--quick') ? 3 : 5));
  const chars = value('message-chars');
  const batchChars = chars === undefined ? undefined : Number(chars);
  const only = value('scenario');
  if (only === undefined) {
    const results = runAll(args);
    const bounds = await announcedBounds(undefined, batchChars);
    process.stdout.write(`${JSON.stringify({ ...bounds, reps, results })}\n`);
    return;
  }
  const scenario = SCENARIOS.find((candidate) => candidate.name === only);
  if (!scenario) throw new Error(`unknown scenario ${JSON.stringify(only)}`);
  process.stdout.write(`${JSON.stringify(await runScenario(scenario, reps, batchChars))}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
