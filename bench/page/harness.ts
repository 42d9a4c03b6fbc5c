/**
 * The in-page half of the benchmark, driven by bench/lib/browser-bench.mjs through `window.bench`.
 *
 * Every tab subscribes (a {@link Receiver}); tab 0 also publishes. Tabs talk to the publisher outside the
 * implementation under test, on BroadcastChannels of their own: `ready` once a tab hears the probe,
 * `progress` every few values (the publisher's in-flight window), and `end` from the publisher with the
 * number of values sent.
 */
import { PROBE_PRICE, clock, isBenchValue, makePayload, type PayloadKind } from './payload.js';
import type { BenchTransport, TransportFactory } from './transport.js';

export interface ReceiveOptions {
  runId: string;
  transport: string;
  channel: string;
  tab: number;
  /** Report progress to the publisher every this many values. */
  progressEvery: number;
  latency: boolean;
}

export interface ReceiveResult {
  tab: number;
  received: number;
  total: number;
  outOfOrder: number;
  /** When the last value arrived (cross-tab clock, ms). */
  lastAt: number;
  /** publish → receive, ms, one per value, when asked for. */
  latencies: number[];
  timedOut: boolean;
  errors: string[];
}

export interface BurstOptions {
  runId: string;
  transport: string;
  channel: string;
  tabs: number;
  durationMs: number;
  /** Most values published but not yet received by the slowest tab. */
  window: number;
  /** Most values published in one task before the publisher yields to the event loop. */
  slice: number;
  payload: PayloadKind;
}

export interface PacedOptions {
  runId: string;
  transport: string;
  channel: string;
  tabs: number;
  rate: number;
  count: number;
  payload: PayloadKind;
}

export interface PublishResult {
  sent: number;
  startedAt: number;
  endedAt: number;
}

export interface GetOptions {
  transport: string;
  channel: string;
  warmup: number;
  sequential: number;
  pipelined: number;
}

export interface GetResult {
  /** Round trips of one get at a time, ms. */
  rtts: number[];
  pipelinedPerSecond: number;
}

interface ControlMessage {
  runId: string;
  tab: number;
  kind: 'ready' | 'progress';
  received: number;
}

interface EndMessage {
  runId: string;
  total: number;
}

const END_CHANNEL = 'bench-control-end';

function controlChannelOf(tab: number): string {
  return `bench-control-${tab}`;
}

/** One tab's subscription for one run: counts, checks order, times. */
class Receiver {
  received = 0;
  outOfOrder = 0;
  lastAt = 0;
  total: number | undefined = undefined;
  ready = false;
  readonly latencies: number[] = [];
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private readonly unsubscribe: () => void;

  constructor(
    readonly options: ReceiveOptions,
    transport: BenchTransport,
    private readonly report: (message: ControlMessage) => void,
  ) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.unsubscribe = transport.subscribe(options.channel, (value) => this.onValue(value));
  }

  end(total: number): void {
    this.total = total;
    this.checkDone();
  }

  close(): void {
    this.unsubscribe();
  }

  private onValue(value: unknown): void {
    if (!isBenchValue(value)) return;
    const now = clock();
    if (value.price === PROBE_PRICE) {
      if (!this.ready) {
        this.ready = true;
        this.send('ready');
      }
      return;
    }
    if (value.price !== this.received) this.outOfOrder++;
    this.received++;
    this.lastAt = now;
    if (this.options.latency) this.latencies.push(now - value.ts);
    if (this.received % this.options.progressEvery === 0) this.send('progress');
    this.checkDone();
  }

  private send(kind: ControlMessage['kind']): void {
    const { runId, tab } = this.options;
    this.report({ runId, tab, kind, received: this.received });
  }

  private checkDone(): void {
    if (this.total !== undefined && this.received >= this.total) this.resolveDone();
  }
}

/** What the publisher knows of every tab in one run. */
class Progress {
  readonly received: number[];
  readonly ready: boolean[];
  private wake: (() => void) | undefined = undefined;

  constructor(tabs: number) {
    this.received = new Array<number>(tabs).fill(0);
    this.ready = new Array<boolean>(tabs).fill(false);
  }

  update(message: ControlMessage): void {
    if (message.kind === 'ready') this.ready[message.tab] = true;
    else this.received[message.tab] = Math.max(this.received[message.tab] ?? 0, message.received);
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  get allReady(): boolean {
    return this.ready.every(Boolean);
  }

  get slowest(): number {
    return Math.min(...this.received);
  }

  /** Resolves on the next update, or after `ms` at the latest. */
  next(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const yieldChannel = new MessageChannel();
let yielded: (() => void)[] = [];
yieldChannel.port1.onmessage = () => {
  const resolves = yielded;
  yielded = [];
  for (const resolve of resolves) resolve();
};

/**
 * Resolves in a later task, after what is already queued (port messages, the library's flushes). A
 * message to itself, because chained `setTimeout(0)` is clamped to 4 ms after five levels.
 */
function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    yielded.push(resolve);
    yieldChannel.port2.postMessage(null);
  });
}

/** The object the runner drives, one per tab. */
export class Harness {
  private readonly transports = new Map<string, BenchTransport>();
  private readonly receivers = new Map<string, Receiver>();
  private readonly progress = new Map<string, Progress>();
  private readonly controlIn = new Map<number, BroadcastChannel>();
  private readonly controlOut = new Map<number, BroadcastChannel>();
  private readonly endChannel = new BroadcastChannel(END_CHANNEL);
  /** Keeps the heap scenario's subscriptions alive. */
  private readonly held: (() => void)[] = [];

  constructor(private readonly factories: Record<string, TransportFactory>) {
    this.endChannel.onmessage = (event: MessageEvent<EndMessage>) => this.onEnd(event.data);
  }

  /** What the numbers depend on: `performance.now()` has 5 us resolution only when isolated. */
  environment(): { crossOriginIsolated: boolean; userAgent: string } {
    return { crossOriginIsolated, userAgent: navigator.userAgent };
  }

  /** Names of the implementations this page can run. */
  implementations(): string[] {
    return Object.keys(this.factories);
  }

  connect(name: string, workerUrl: string): void {
    const factory = this.factories[name];
    if (factory === undefined) throw new TypeError(`connect(): unknown transport ${name}`);
    this.transports.get(name)?.close();
    this.transports.set(name, factory(workerUrl));
  }

  /** Subscribes this tab for one run; resolves at once, see {@link Harness.finishReceive}. */
  startReceive(options: ReceiveOptions): void {
    const receiver = new Receiver(options, this.transport(options.transport), (message) =>
      this.report(message),
    );
    this.receivers.set(options.runId, receiver);
  }

  /** Resolves when this tab has received every value of the run (or after `timeoutMs`). */
  async finishReceive(runId: string, timeoutMs: number): Promise<ReceiveResult> {
    const receiver = this.receivers.get(runId);
    if (receiver === undefined) throw new Error(`finishReceive(): no run ${runId}`);
    const timedOut = await Promise.race([
      receiver.done.then(() => false),
      sleep(timeoutMs).then(() => true),
    ]);
    receiver.close();
    this.receivers.delete(runId);
    return {
      tab: receiver.options.tab,
      received: receiver.received,
      total: receiver.total ?? -1,
      outOfOrder: receiver.outOfOrder,
      lastAt: receiver.lastAt,
      latencies: receiver.latencies,
      timedOut,
      errors: this.transport(receiver.options.transport).errors.splice(0),
    };
  }

  /**
   * Publishes as fast as the in-flight window allows for `durationMs`, `slice` values per task, then
   * tells every tab the total. Yielding between slices keeps the pipeline full: the library works on
   * one slice while the publisher makes the next.
   */
  async burst(options: BurstOptions): Promise<PublishResult> {
    const { runId, channel, durationMs, window, slice, payload } = options;
    const transport = this.transport(options.transport);
    const progress = await this.waitReady(options);
    const startedAt = clock();
    const deadline = startedAt + durationMs;
    let sent = 0;
    while (clock() < deadline) {
      const room = window - (sent - progress.slowest);
      if (room <= 0) {
        await progress.next(20);
        continue;
      }
      const count = Math.min(room, slice);
      // One timestamp per slice: no latency is read from a burst, and the clock is not free.
      const ts = clock();
      for (let i = 0; i < count; i++) {
        transport.publish(channel, makePayload(payload, sent, ts));
        sent++;
      }
      await nextTask();
    }
    const endedAt = clock();
    this.announceEnd(runId, sent);
    return { sent, startedAt, endedAt };
  }

  /** Publishes `count` values at `rate` per second, on a schedule that does not drift. */
  async paced(options: PacedOptions): Promise<PublishResult> {
    const { runId, channel, rate, count, payload } = options;
    const transport = this.transport(options.transport);
    await this.waitReady(options);
    const interval = 1000 / rate;
    const startedAt = clock();
    for (let sent = 0; sent < count; sent++) {
      const wait = startedAt + sent * interval - clock();
      if (wait > 0) await sleep(wait);
      transport.publish(channel, makePayload(payload, sent, clock()));
    }
    const endedAt = clock();
    this.announceEnd(runId, count);
    return { sent: count, startedAt, endedAt };
  }

  /** `get` round trips one at a time, then `pipelined` gets in flight at once. */
  async getRoundTrips(options: GetOptions): Promise<GetResult> {
    const { channel, warmup, sequential, pipelined } = options;
    const transport = this.transport(options.transport);
    transport.publish(channel, makePayload('small', 1, clock()));
    await transport.settled();
    const check = (value: unknown): void => {
      if (!isBenchValue(value))
        throw new Error(`get(${channel}) returned ${JSON.stringify(value)}`);
    };
    for (let i = 0; i < warmup; i++) check(await transport.get(channel));
    const rtts: number[] = [];
    for (let i = 0; i < sequential; i++) {
      const start = performance.now();
      check(await transport.get(channel));
      rtts.push(performance.now() - start);
    }
    const start = performance.now();
    const values = await Promise.all(
      Array.from({ length: pipelined }, () => transport.get(channel)),
    );
    const elapsed = performance.now() - start;
    values.forEach(check);
    return { rtts, pipelinedPerSecond: (pipelined * 1000) / elapsed };
  }

  /** Gives each of `count` new channels a small value; resolves once the other end holds them all. */
  async createChannels(name: string, prefix: string, count: number): Promise<void> {
    const transport = this.transport(name);
    for (let i = 0; i < count; i++) transport.publish(`${prefix}${i}`, makePayload('small', i, 0));
    await transport.settled();
  }

  /** Subscribes to `count` channels and resolves once each has delivered its current value. */
  async subscribeChannels(name: string, prefix: string, count: number): Promise<void> {
    const transport = this.transport(name);
    let waiting = count;
    let resolve!: () => void;
    const all = new Promise<void>((done) => (resolve = done));
    for (let i = 0; i < count; i++) {
      let first = true;
      this.held.push(
        transport.subscribe(`${prefix}${i}`, () => {
          if (first) {
            first = false;
            if (--waiting === 0) resolve();
          }
        }),
      );
    }
    await all;
    await transport.settled();
  }

  private transport(name: string): BenchTransport {
    const transport = this.transports.get(name);
    if (transport === undefined) throw new Error(`transport ${name} is not connected in this tab`);
    return transport;
  }

  /** Repeats the probe until every tab has heard it: all subscriptions are then in place. */
  private async waitReady(options: {
    runId: string;
    transport: string;
    channel: string;
    tabs: number;
  }): Promise<Progress> {
    const progress = new Progress(options.tabs);
    this.progress.set(options.runId, progress);
    for (let tab = 1; tab < options.tabs; tab++) this.listenTo(tab);
    const transport = this.transport(options.transport);
    const deadline = clock() + 10_000;
    while (!progress.allReady) {
      if (clock() > deadline)
        throw new Error(`tabs never became ready: ${JSON.stringify(progress.ready)}`);
      transport.publish(options.channel, makePayload('small', PROBE_PRICE, clock()));
      await progress.next(25);
    }
    return progress;
  }

  private listenTo(tab: number): void {
    if (this.controlIn.has(tab)) return;
    const channel = new BroadcastChannel(controlChannelOf(tab));
    channel.onmessage = (event: MessageEvent<ControlMessage>) => this.onControl(event.data);
    this.controlIn.set(tab, channel);
  }

  private report(message: ControlMessage): void {
    // Tab 0 is the publisher: its own receiver reports in-process.
    if (message.tab === 0) {
      this.onControl(message);
      return;
    }
    let channel = this.controlOut.get(message.tab);
    if (channel === undefined) {
      channel = new BroadcastChannel(controlChannelOf(message.tab));
      this.controlOut.set(message.tab, channel);
    }
    channel.postMessage(message);
  }

  private onControl(message: ControlMessage): void {
    this.progress.get(message.runId)?.update(message);
  }

  private announceEnd(runId: string, total: number): void {
    this.progress.delete(runId);
    this.endChannel.postMessage({ runId, total } satisfies EndMessage);
    this.onEnd({ runId, total });
  }

  private onEnd(message: EndMessage): void {
    this.receivers.get(message.runId)?.end(message.total);
  }
}

declare global {
  interface Window {
    bench: Harness;
  }
}

/** Installs the harness as `window.bench` with the given implementations. */
export function startHarness(factories: Record<string, TransportFactory>): void {
  window.bench = new Harness(factories);
}
