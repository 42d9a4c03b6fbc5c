/**
 * The in-page half of the WebDriver-classic driver (WebKit): evaluation slots polled from the test process,
 * and a console and error recorder.
 *
 * WebDriver classic has no console events and no way to hold a page-side promise without holding the whole
 * session, so the driver starts each evaluation here, gets back at once or soon, and polls. Every function
 * in this file except the types is serialised into the page with `toString()`: none may use anything
 * outside its own body but its parameters.
 */
import type { ConsoleEntry } from './driver.js';

/** How an evaluation ended, its value encoded by {@link encodeValue}. */
export type PageOutcome =
  | { readonly ok: true; readonly value: string }
  | { readonly ok: false; readonly name: string; readonly message: string; readonly stack: string };

/** What a call into the page answers: the evaluation's state, and what the page logged since the last call. */
export interface PageReport {
  /** The evaluation this report is about; 0 for a plain drain. */
  readonly id: number;
  /** `lost`: the document that ran the evaluation is gone (reloaded, navigated or closed). */
  readonly state: 'pending' | 'settled' | 'lost' | 'idle';
  readonly outcome?: PageOutcome;
  readonly entries: ConsoleEntry[];
  readonly url: string;
}

/** The runtime {@link installPageRuntime} leaves on `window`. */
export interface PageRuntime {
  /** Starts `fn(decode(arg))` and answers once it settled or after `waitMs`, whichever comes first. */
  start(fn: (arg: unknown) => unknown, arg: string, waitMs: number): Promise<PageReport>;
  /** Answers once evaluation `id` settled or after `waitMs`. */
  poll(id: number, waitMs: number): Promise<PageReport>;
  /** Answers with what the page logged since the last call. */
  drain(): PageReport;
}

/**
 * JSON text for `value` that keeps what WebDriver's JSON would turn into `null` or drop: `undefined` (at the
 * top, in arrays and as a property) and non-finite numbers.
 */
export function encodeValue(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (item === undefined) return { $e2e: 'undefined' };
    if (typeof item === 'number' && !Number.isFinite(item)) return { $e2e: String(item) };
    return item;
  });
}

/** The value {@link encodeValue} encoded. */
export function decodeValue(text: string): unknown {
  const revive = (item: unknown): unknown => {
    if (Array.isArray(item)) return item.map(revive);
    if (item === null || typeof item !== 'object') return item;
    const fields = Object.entries(item);
    const [only] = fields;
    if (fields.length === 1 && only?.[0] === '$e2e' && typeof only[1] === 'string') {
      return only[1] === 'undefined' ? undefined : Number(only[1]);
    }
    // fromEntries defines own properties, so a "__proto__" key stays data.
    return Object.fromEntries(fields.map(([key, field]) => [key, revive(field)]));
  };
  return revive(JSON.parse(text));
}

/**
 * Installs the runtime on the page's `window` (once per document) and returns it.
 *
 * From then on `console.*`, uncaught errors and unhandled rejections are recorded; what came before the
 * install is not (the driver installs it as soon as a page has loaded).
 */
export function installPageRuntime(
  encode: (value: unknown) => string,
  decode: (text: string) => unknown,
): PageRuntime {
  const KEY = '__sharedChannelsE2eRuntime';
  const host = window as unknown as Record<string, PageRuntime | undefined>;
  const existing = host[KEY];
  if (existing !== undefined) return existing;

  interface Slot {
    outcome: PageOutcome | undefined;
    done: Promise<void>;
  }
  const entries: ConsoleEntry[] = [];
  const slots = new Map<number, Slot>();
  let lastId = 0;

  const describe = (value: unknown): string => {
    if (typeof value === 'string') return value;
    if (value instanceof Error) {
      // V8 starts a stack with "Name: message", WebKit's stack is only the frames.
      const head = `${value.name}: ${value.message}`;
      const stack = value.stack ?? '';
      return stack.startsWith(head) ? stack : `${head}\n${stack}`;
    }
    try {
      return JSON.stringify(value) ?? String(value);
    } catch {
      return String(value);
    }
  };
  const record = (type: string, text: string): void => {
    entries.push({ type, text, time: Date.now() });
  };
  const levels = [
    ['log', 'log'],
    ['info', 'info'],
    ['warn', 'warning'],
    ['error', 'error'],
    ['debug', 'debug'],
  ] as const;
  for (const [method, type] of levels) {
    const original = console[method].bind(console);
    console[method] = (...args: unknown[]) => {
      record(type, args.map(describe).join(' '));
      original(...args);
    };
  }
  window.addEventListener('error', (event) => {
    record('pageerror', event.error instanceof Error ? describe(event.error) : event.message);
  });
  window.addEventListener('unhandledrejection', (event) => {
    record('pageerror', `Uncaught (in promise) ${describe(event.reason)}`);
  });

  const report = (id: number, state: PageReport['state'], outcome?: PageOutcome): PageReport => ({
    id,
    state,
    outcome,
    entries: entries.splice(0),
    url: location.href,
  });
  const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

  const runtime: PageRuntime = {
    start(fn, arg, waitMs) {
      lastId += 1;
      const id = lastId;
      const slot: Slot = { outcome: undefined, done: Promise.resolve() };
      slot.done = new Promise((resolve) => resolve(fn(decode(arg)))).then(
        (value) => {
          try {
            slot.outcome = { ok: true, value: encode(value) };
          } catch (error) {
            const { name, message } = error instanceof Error ? error : new Error(String(error));
            slot.outcome = { ok: false, name, message: `the result: ${message}`, stack: '' };
          }
        },
        (error: unknown) => {
          const { name, message, stack } =
            error instanceof Error ? error : new Error(describe(error));
          slot.outcome = { ok: false, name, message, stack: stack ?? '' };
        },
      );
      slots.set(id, slot);
      return runtime.poll(id, waitMs);
    },
    async poll(id, waitMs) {
      const slot = slots.get(id);
      if (slot === undefined) return report(id, 'lost');
      if (slot.outcome === undefined) await Promise.race([slot.done, pause(waitMs)]);
      if (slot.outcome === undefined) return report(id, 'pending');
      slots.delete(id);
      return report(id, 'settled', slot.outcome);
    },
    drain: () => report(0, 'idle'),
  };
  host[KEY] = runtime;
  return runtime;
}
