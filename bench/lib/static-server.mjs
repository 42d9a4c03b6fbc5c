/** A static file server on 127.0.0.1 and a free port, for the page and worker bundles. */
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';

const TYPES = { '.js': 'text/javascript', '.html': 'text/html', '.json': 'application/json' };

const PAGE = `<!doctype html>
<html>
  <head><meta charset="utf-8" /><title>shared-channels bench</title></head>
  <body><script src="/page.js"></script></body>
</html>
`;

/** Serves `/` as the bench page and every other path from `dir`; resolves `{ url, close }`. */
export async function startServer(dir) {
  const server = http.createServer(async (request, response) => {
    const pathname = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    // Cross-origin isolation gives performance.now() 5 us resolution instead of 100 us: the paced
    // latencies are fractions of a millisecond. Every implementation runs under the same headers.
    const headers = {
      'cache-control': 'no-store',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
    };
    if (pathname === '/') {
      response.writeHead(200, { ...headers, 'content-type': TYPES['.html'] });
      response.end(PAGE);
      return;
    }
    // A normalised absolute path cannot climb above /, so the file stays inside dir.
    const file = path.join(dir, path.normalize(pathname));
    try {
      const body = await fs.readFile(file);
      const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
      response.writeHead(200, { ...headers, 'content-type': type });
      response.end(body);
    } catch {
      response.writeHead(404, headers);
      response.end('not found');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
