import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, resolve, sep } from 'node:path';

/** What the server serves. */
export interface StaticServerOptions {
  /** Exact URL paths mapped to files, e.g. `{ '/shared-worker.js': '/abs/dist/shared-worker.js' }`. */
  readonly files?: Readonly<Record<string, string>>;
  /**
   * URL prefixes (ending in `/`) mapped to directories, e.g. `{ '/demo/': '/abs/demo-build' }`; a folder
   * serves its `index.html`.
   */
  readonly directories?: Readonly<Record<string, string>>;
}

/** A running server; `origin` is `http://127.0.0.1:<port>`. */
export interface StaticServer {
  readonly origin: string;
  /** Every request path served so far, in order, with its status; for diagnosing a failing case. */
  readonly requests: ReadonlyArray<{ readonly path: string; readonly status: number }>;
  /** Stops listening and drops open connections; safe to call twice. */
  close(): Promise<void>;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
};

/**
 * Starts a static file server on 127.0.0.1 with a free port chosen by the OS.
 *
 * Files are read on every request and never cached by the browser, so a rebuilt bundle is what the next tab
 * loads.
 *
 * ```ts
 * const server = await startStaticServer({ files: { '/fixture.html': fixturePath } });
 * await tab.goto(`${server.origin}/fixture.html`);
 * await server.close();
 * ```
 */
export async function startStaticServer(options: StaticServerOptions): Promise<StaticServer> {
  const requests: Array<{ path: string; status: number }> = [];
  const server = createServer((request, response) => {
    serve(options, request, response).then(
      (status) => requests.push({ path: request.url ?? '', status }),
      (error: unknown) => {
        requests.push({ path: request.url ?? '', status: 500 });
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
        response.end(String(error));
      },
    );
  });
  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(0, '127.0.0.1', () => resolveListen());
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () => {
      closing ??= new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        // A browser keeps idle keep-alive sockets open; without this, close() waits for their timeout.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

async function serve(
  options: StaticServerOptions,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<number> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return reply(response, 405, 'method not allowed');
  }
  const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
  const file = await locate(options, path);
  if (file === undefined) return reply(response, 404, `not found: ${path}`);
  response.writeHead(200, {
    'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'cache-control': 'no-store',
  });
  if (request.method === 'HEAD') {
    response.end();
    return 200;
  }
  await new Promise<void>((resolveSend, rejectSend) => {
    createReadStream(file).on('error', rejectSend).pipe(response).on('finish', resolveSend);
  });
  return 200;
}

async function locate(options: StaticServerOptions, path: string): Promise<string | undefined> {
  const exact = options.files?.[path];
  if (exact !== undefined) return (await isFile(exact)) ? exact : undefined;
  for (const [prefix, directory] of Object.entries(options.directories ?? {})) {
    if (!path.startsWith(prefix)) continue;
    const root = resolve(directory);
    const candidate = resolve(root, `./${path.slice(prefix.length)}`);
    // Reject `..` escapes: only files inside the mounted directory are served.
    if (candidate !== root && !candidate.startsWith(root + sep)) return undefined;
    if (await isFile(candidate)) return candidate;
    const index = resolve(candidate, 'index.html');
    if (await isFile(index)) return index;
  }
  return undefined;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function reply(response: ServerResponse, status: number, text: string): number {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  response.end(text);
  return status;
}
