/**
 * The Node half of the benchmark: the hub alone, over fake endpoints that the test drives synchronously.
 * Bundled by bench/lib/build.mjs and run by bench/run.mjs as `node --expose-gc`; prints one JSON line.
 *
 * Rates are per second of this process's CPU time (see {@link cpuMillis}). Each scenario runs twice:
 * `plain` clients speak the original protocol (one port message per value), and `batch` clients say
 * hello with the batch feature, as the shipped client does.
 */
import { Hub } from '../../src/worker/hub.js';
import { FakeClient, median, nextTask, type FakeEndpoint, type Mode } from './fake-client.js';

/**
 * The hub's rate limit is per wall-clock second, and a synchronous loop outruns any tab: lifted, so the
 * bench measures routing, not refusals (the limiter's bookkeeping still runs).
 */
const UNLIMITED = { maxRequestsPerSecond: 1_000_000_000 };

interface Options {
  /** Timed milliseconds per routing scenario. */
  routeMs: number;
  sequentialAcks: number;
  heapChannels: number;
}

/**
 * CPU time of this process in ms. The hub is single-threaded, and the machine the bench runs on is
 * shared: CPU time counts the hub's work (and its garbage collection) without other processes' turns.
 */
function cpuMillis(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

const TRIALS = 5;

function countOf(message: unknown, needle: string): number {
  let count = 0;
  if (typeof message !== 'string') return count;
  for (let at = message.indexOf(needle); at !== -1; at = message.indexOf(needle, at + 1)) count++;
  return count;
}

const DATA = '{"type":"data"';

/**
 * Values a subscriber received in one task: one per post, or, when the task's values came in one
 * post, the values in that batch.
 */
function deliveredBy(endpoint: FakeEndpoint): { values: number; posts: number } {
  const { posts, last } = endpoint.drain();
  const inLast = countOf(last, DATA);
  return { values: posts === 1 ? inLast : inLast > 0 ? posts : 0, posts };
}

function smallPayload(price: number): string {
  return `,"data":{"price":${price},"ts":${1_700_000_000_000 + price}}`;
}

/** Requests of one task: separate messages, or one batch envelope as the shipped client sends them. */
function envelope(requests: string[], mode: Mode): string[] {
  return mode === 'batch' ? [`{"type":"batch","messages":[${requests.join(',')}]}`] : requests;
}

interface RouteResult {
  mode: Mode;
  subscribers: number;
  deliveriesPerSecond: number;
  publishesPerSecond: number;
  /** Port messages the hub posted per delivery (1 without batching). */
  postsPerDelivery: number;
}

async function route(mode: Mode, subscribers: number, durationMs: number): Promise<RouteResult> {
  const hub = new Hub({ limits: UNLIMITED });
  const channel = 'prices';
  const publisher = new FakeClient('publisher', hub, mode);
  const clients = Array.from(
    { length: subscribers },
    (_, i) => new FakeClient(`subscriber-${i}`, hub, mode),
  );
  for (const client of clients) client.endpoint.deliver(client.request('subscribe', channel));
  await nextTask();
  for (const client of clients) client.endpoint.drain();
  publisher.endpoint.drain();

  const perTask = 256;
  let sent = 0;
  /** Publishes one task's worth and checks every subscriber got every value. */
  const task = async (): Promise<{ elapsed: number; posts: number }> => {
    const requests = envelope(
      Array.from({ length: perTask }, (_, i) =>
        publisher.request('publish', channel, smallPayload(sent + i)),
      ),
      mode,
    );
    sent += perTask;
    const start = cpuMillis();
    for (const request of requests) publisher.endpoint.deliver(request);
    await nextTask();
    const elapsed = cpuMillis() - start;
    let delivered = 0;
    let posts = 0;
    for (const client of clients) {
      const got = deliveredBy(client.endpoint);
      delivered += got.values;
      posts += got.posts;
    }
    const replies = publisher.endpoint.drain();
    if (delivered !== perTask * subscribers || countOf(replies.last, '"type":"error"') > 0) {
      throw new Error(
        `route ${mode}/${subscribers}: ${delivered} of ${perTask * subscribers} delivered`,
      );
    }
    return { elapsed, posts };
  };
  // Warming the JIT first; not counted.
  for (let warm = 0; warm < Math.max(150, durationMs / 4);) warm += (await task()).elapsed;
  // Five trials, the median reported: a shared machine disturbs some of them.
  const trials: number[] = [];
  let posts = 0;
  let published = 0;
  for (let trial = 0; trial < TRIALS; trial++) {
    let timed = 0;
    let count = 0;
    while (timed < durationMs / TRIALS) {
      const result = await task();
      timed += result.elapsed;
      posts += result.posts;
      count += perTask;
    }
    published += count;
    trials.push((count * 1000) / timed);
  }
  const publishesPerSecond = median(trials);
  return {
    mode,
    subscribers,
    deliveriesPerSecond: publishesPerSecond * subscribers,
    publishesPerSecond,
    postsPerDelivery: posts / (published * subscribers),
  };
}

interface AckResult {
  mode: Mode;
  /** One publish at a time, each waiting for its ack: µs per round trip. */
  sequentialMicros: number;
  /** 256 publishes per task: µs per publish, ack included. */
  pipelinedMicros: number;
}

async function acks(mode: Mode, count: number): Promise<AckResult> {
  const hub = new Hub({ limits: UNLIMITED });
  const publisher = new FakeClient('publisher', hub, mode);
  await nextTask();
  publisher.endpoint.drain();
  const run = async (): Promise<number> => {
    const requests = Array.from({ length: count / TRIALS }, (_, i) =>
      publisher.request('publish', 'acked', smallPayload(i)),
    );
    let acked = 0;
    const start = cpuMillis();
    for (const request of requests) {
      publisher.endpoint.deliver(request);
      // The ack leaves in a microtask: awaiting one lets it out.
      await Promise.resolve();
      acked += publisher.endpoint.drain().posts;
    }
    const micros = ((cpuMillis() - start) * 1000) / requests.length;
    if (acked !== requests.length) {
      throw new Error(`acks ${mode}: ${acked} of ${requests.length} acked in their task`);
    }
    return micros;
  };
  await run();
  const runs: number[] = [];
  for (let trial = 0; trial < TRIALS; trial++) runs.push(await run());
  const sequentialMicros = median(runs);

  const perTask = 256;
  let timed = 0;
  let acked = 0;
  for (let round = 0; round < Math.ceil((2 * count) / perTask); round++) {
    const requests = envelope(
      Array.from({ length: perTask }, (_, i) =>
        publisher.request('publish', 'acked', smallPayload(i)),
      ),
      mode,
    );
    const start = cpuMillis();
    for (const request of requests) publisher.endpoint.deliver(request);
    await nextTask();
    const elapsed = cpuMillis() - start;
    const { posts, last } = publisher.endpoint.drain();
    const got = posts === 1 ? countOf(last, '"type":"published"') : posts;
    if (got !== perTask) throw new Error(`acks ${mode}: ${got} of ${perTask} acked`);
    if (round * perTask >= count / 2) {
      timed += elapsed;
      acked += perTask;
    }
  }
  return { mode, sequentialMicros, pipelinedMicros: (timed * 1000) / acked };
}

interface HeapResult {
  channels: number;
  bytesPerChannel: number;
  bytesPerSubscription: number;
}

function collect(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

async function heap(count: number): Promise<HeapResult> {
  const names = Array.from({ length: count }, (_, i) => `channel-${i}`);
  const hub = new Hub({
    limits: { ...UNLIMITED, maxChannels: count + 10, maxSubscriptionsPerClient: count + 10 },
  });
  const publisher = new FakeClient('publisher', hub, 'plain');
  const subscriber = new FakeClient('subscriber', hub, 'plain');
  await nextTask();
  const empty = collect();
  for (let i = 0; i < count; i++) {
    publisher.endpoint.deliver(publisher.request('publish', names[i] ?? '', smallPayload(i)));
    if (i % 1000 === 999) await nextTask();
  }
  await nextTask();
  const withChannels = collect();
  for (let i = 0; i < count; i++) {
    subscriber.endpoint.deliver(subscriber.request('subscribe', names[i] ?? ''));
    if (i % 1000 === 999) await nextTask();
  }
  await nextTask();
  const withSubscriptions = collect();
  if (hub.stats().channels.length !== count) throw new Error('heap: the hub lost channels');
  return {
    channels: count,
    bytesPerChannel: (withChannels - empty) / count,
    bytesPerSubscription: (withSubscriptions - withChannels) / count,
  };
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const options: Options = quick
    ? { routeMs: 150, sequentialAcks: 5_000, heapChannels: 20_000 }
    : { routeMs: 400, sequentialAcks: 20_000, heapChannels: 100_000 };
  const routing: RouteResult[] = [];
  for (const mode of ['plain', 'batch'] as const) {
    for (const subscribers of [1, 16, 256]) {
      routing.push(await route(mode, subscribers, options.routeMs));
    }
  }
  const ackResults = [
    await acks('plain', options.sequentialAcks),
    await acks('batch', options.sequentialAcks),
  ];
  const heapResult = await heap(options.heapChannels);
  process.stdout.write(`${JSON.stringify({ routing, acks: ackResults, heap: heapResult })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
