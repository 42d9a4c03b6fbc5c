/** `promise`, or a rejection naming `what` when it has not settled within `timeoutMs` (real timers). */
export function within<T>(promise: Promise<T>, what: string, timeoutMs = 4_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${what}: nothing within ${timeoutMs} ms`)),
      timeoutMs,
    );
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** Resolves after every task already queued (a fake BroadcastChannel delivers each message as one). */
export function nextTask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
