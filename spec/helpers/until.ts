import { within } from './deadline.js';

/**
 * Resolves once `holds()` is true, checking after every task (ports deliver in macrotasks); rejects naming
 * `what` when it is still false after `timeoutMs`. For state without an event to wait on, such as a
 * signal read outside any reactive context, or the hub's own counters.
 */
export function until(holds: () => boolean, what: string, timeoutMs?: number): Promise<void> {
  let stopped = false;
  const check = new Promise<void>((resolve) => {
    const next = (): void => {
      if (stopped) return;
      if (holds()) resolve();
      else setImmediate(next);
    };
    next();
  });
  return within(check, what, timeoutMs).finally(() => {
    stopped = true;
  });
}
