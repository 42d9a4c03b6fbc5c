/** What the harness needs from each implementation under test, in one tab. */
export interface BenchTransport {
  /** Calls `onValue` with the channel's current value (when it has one), then with every update. */
  subscribe(channel: string, onValue: (value: unknown) => void): () => void;
  /** Fire and forget; a failure is recorded in {@link BenchTransport.errors}. */
  publish(channel: string, value: unknown): void;
  /** The channel's current value, by a request/reply round trip. */
  get(channel: string): Promise<unknown>;
  /** Resolves once everything this tab sent before it has been handled at the other end. */
  settled(): Promise<void>;
  close(): void;
  /** Failures of fire-and-forget calls, as messages. */
  readonly errors: string[];
}

/** Makes a transport; `workerUrl` is the script of its SharedWorker (unused by BroadcastChannel). */
export type TransportFactory = (workerUrl: string) => BenchTransport;

/** The channel `settled()` reads to know the hub has caught up with this tab. */
export const BARRIER_CHANNEL = 'bench-barrier';
