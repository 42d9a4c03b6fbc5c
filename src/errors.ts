/**
 * Named errors. Each class sets `name`, crosses the port as `{ name, message }` and is rebuilt as the same
 * class on the other side, so `error instanceof LimitError` works in the tab for a limit the hub enforced.
 */

/** A request got no answer within its timeout. */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/** The client was disconnected: by `disconnect()`, or because its hub went away for good. */
export class DisconnectedError extends Error {
  override readonly name = 'DisconnectedError';
}

/** The client and the hub speak different protocol versions (a tab of one deploy met a worker of another). */
export class VersionMismatchError extends Error {
  override readonly name = 'VersionMismatchError';
}

/** A request exceeded one of the hub's limits (payload size, channel name length, channel count, ...). */
export class LimitError extends Error {
  override readonly name = 'LimitError';
}

/** The hub refused a request as malformed (a client that does not follow the protocol). */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

/**
 * A persisted channel's value could not be saved (quota exceeded, database blocked or broken) or read. The
 * publish that failed changed nothing: the channel keeps the value it had.
 */
export class PersistenceError extends Error {
  override readonly name = 'PersistenceError';
}

/**
 * The hub's SharedWorker could not start: its script was not found, or threw while loading (a worker file
 * that uses `import`, started without `{ type: 'module' }`, is a syntax error). The client ends for good:
 * its pending requests reject with it, its channel Observables error with it, `connectionState$` says
 * `'failed'`, and later calls throw it at once, as after a version mismatch.
 */
export class WorkerStartError extends Error {
  override readonly name = 'WorkerStartError';
}

const CLASSES: Record<string, new (message: string) => Error> = {
  TimeoutError,
  DisconnectedError,
  VersionMismatchError,
  LimitError,
  ProtocolError,
  PersistenceError,
  WorkerStartError,
};

/** The error as data for the wire. */
export function toWire(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

/** Rebuilds an error sent by {@link toWire}: the same class when it is one of ours, else a plain Error. */
export function fromWire(name: string | undefined, message: string): Error {
  const ErrorClass = name !== undefined && Object.hasOwn(CLASSES, name) ? CLASSES[name] : undefined;
  if (ErrorClass) return new ErrorClass(message);
  const error = new Error(message);
  if (name) error.name = name;
  return error;
}
