import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A process the WebKit driver started, with the tail of what it printed, for error messages. */
export interface OwnedProcess {
  readonly child: ChildProcess;
  /** The last few kilobytes of its stdout and stderr. */
  output(): string;
  /** Ends the process and everything it started (its process group): SIGTERM, then SIGKILL. */
  stop(): Promise<void>;
}

/** A running Xvfb; `display` is the value for `DISPLAY`, like `:99`. */
export interface VirtualDisplay extends OwnedProcess {
  readonly display: string;
}

/** A running WebKitWebDriver; `url` is its WebDriver endpoint. */
export interface WebDriverServer extends OwnedProcess {
  readonly url: string;
}

const OUTPUT_LIMIT = 8_192;
const STOP_GRACE_MS = 3_000;
const PORT_ATTEMPTS = 3;

/**
 * Starts Xvfb on the first free display number and resolves once it accepts clients.
 *
 * `-displayfd` makes Xvfb pick the display and write its number when it is ready: no guessed numbers, no
 * race with another Xvfb, no sleep.
 */
export async function startVirtualDisplay(
  screen: string,
  timeoutMs: number,
): Promise<VirtualDisplay> {
  const owned = own(
    spawn('Xvfb', ['-displayfd', '3', '-screen', '0', screen, '-nolisten', 'tcp'], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    }),
  );
  const announced = new Promise<string>((resolve, reject) => {
    let text = '';
    owned.child.stdio[3]?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(`:${text.trim()}`);
    });
    owned.child.once('error', reject);
    owned.child.once('exit', (code, signal) =>
      reject(new Error(`Xvfb exited (${signal ?? code}) before it was ready:\n${owned.output()}`)),
    );
  });
  try {
    const display = await withTimeout(announced, timeoutMs, 'Xvfb did not announce a display');
    return { ...owned, display };
  } catch (error) {
    await owned.stop();
    throw error;
  }
}

/**
 * Starts WebKitWebDriver on a free loopback port and resolves once its `/status` answers.
 *
 * The port is picked by binding port 0 and releasing it, so another process may take it first: a driver that
 * exits at once is retried on another port.
 */
export async function startWebDriverServer(
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<WebDriverServer> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= PORT_ATTEMPTS; attempt++) {
    const port = await freePort();
    const owned = own(
      spawn('WebKitWebDriver', [`--port=${port}`], {
        env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    const url = `http://127.0.0.1:${port}`;
    try {
      await withTimeout(
        untilAnswering(`${url}/status`, owned.child),
        timeoutMs,
        'WebKitWebDriver did not answer /status',
      );
      return { ...owned, url };
    } catch (error) {
      lastError = new Error(`${String(error)}\n${owned.output()}`);
      await owned.stop();
    }
  }
  throw lastError;
}

/** Rejects with `message` (and the time) if `work` has not settled within `timeoutMs`. */
export function withTimeout<T>(work: Promise<T>, timeoutMs: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function own(child: ChildProcess): OwnedProcess {
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-OUTPUT_LIMIT);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // A spawn failure (no such binary) surfaces through the waits above; it must not crash the process.
  child.on('error', (error) => keep(Buffer.from(`${String(error)}\n`)));
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (!signalGroup(child, 'SIGTERM')) return;
      const ended = await Promise.race([
        exited.then(() => true),
        new Promise<false>((resolve) => setTimeout(() => resolve(false), STOP_GRACE_MS).unref()),
      ]);
      // The group may outlive its leader (a browser the driver started): end the rest too.
      signalGroup(child, ended ? 'SIGTERM' : 'SIGKILL');
      if (!ended) await exited;
    })();
    return stopping;
  };
  return { child, output: () => output, stop };
}

/** Signals the process group led by `child` (spawned `detached`); false if there was none to signal. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): boolean {
  if (child.pid === undefined) return false;
  try {
    process.kill(-child.pid, signal);
    return true;
  } catch {
    return false;
  }
}

async function untilAnswering(url: string, child: ChildProcess): Promise<void> {
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`WebKitWebDriver exited (${child.signalCode ?? child.exitCode})`);
    }
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
