import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import webpack from 'webpack';
import type { Configuration } from 'webpack';

const ROOT = resolve(__dirname, '../../..');

/** Where the suite writes its bundles (gitignored). */
export const BUILD_DIR = resolve(__dirname, '../.build');
/** The chunks a bundle loads with `import()`, served as `/chunks/`. */
export const CHUNKS_DIR = join(BUILD_DIR, 'chunks');
/** The fixture page every case opens. */
export const FIXTURE_PAGE = resolve(__dirname, '../fixtures/fixture.html');

const CLIENT_ENTRY = resolve(__dirname, '../fixtures/client-entry.ts');
const WORKER_ENTRY = join(ROOT, 'src/worker/shared-worker.ts');
const MORTAL_WORKER_ENTRY = resolve(__dirname, '../fixtures/mortal-worker.ts');
const TICKING_WORKER_ENTRY = resolve(__dirname, '../fixtures/ticking-worker.ts');
const DIST_WORKER = join(ROOT, 'dist/shared-worker.js');
const SOURCE_DIR = join(ROOT, 'src');

/** The files the fixture server serves. */
export interface FixtureBuild {
  /** The fixture client bundle (the library's client plus the harness). */
  readonly clientBundle: string;
  /** The self-starting worker bundle. */
  readonly workerBundle: string;
  /** The worker bundle plus a way for a page to end it: see fixtures/mortal-worker.ts. */
  readonly mortalWorkerBundle: string;
  /** A worker file with worker-side code of its own: see fixtures/ticking-worker.ts. */
  readonly tickingWorkerBundle: string;
  /** `dist` when `npm run build` output is newer than every file in `src/`, else `src` (bundled here). */
  readonly workerOrigin: 'dist' | 'src';
}

let build: Promise<FixtureBuild> | undefined;

/**
 * Bundles the fixture client, and the worker unless a fresh `dist/shared-worker.js` exists; once per process.
 *
 * A `dist/` older than `src/` is ignored so that a run after an edit never tests stale code.
 */
export function buildFixtures(): Promise<FixtureBuild> {
  build ??= buildOnce();
  return build;
}

async function buildOnce(): Promise<FixtureBuild> {
  const distIsFresh = await isNewerThanTree(DIST_WORKER, SOURCE_DIR);
  const [clientBundle, builtWorker, mortalWorkerBundle, tickingWorkerBundle] = await Promise.all([
    bundle(CLIENT_ENTRY, 'client.js', 'web'),
    distIsFresh ? undefined : bundle(WORKER_ENTRY, 'shared-worker.js', 'webworker'),
    bundle(MORTAL_WORKER_ENTRY, 'mortal-worker.js', 'webworker'),
    bundle(TICKING_WORKER_ENTRY, 'ticking-worker.js', 'webworker'),
  ]);
  return {
    clientBundle,
    mortalWorkerBundle,
    tickingWorkerBundle,
    workerBundle: builtWorker ?? DIST_WORKER,
    workerOrigin: builtWorker === undefined ? 'dist' : 'src',
  };
}

/**
 * Bundles `entry` with webpack into `BUILD_DIR/filename` and resolves with the output path.
 *
 * Each process builds into its own temporary folder and renames the result into place: jest may run several
 * spec files in parallel processes, and a rename never exposes a half-written bundle to another one.
 */
export async function bundle(
  entry: string,
  filename: string,
  target: 'web' | 'webworker',
): Promise<string> {
  const scratch = join(BUILD_DIR, `.tmp-${process.pid}-${filename}`);
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch, { recursive: true });
  try {
    await compile({
      mode: 'development',
      // The default development devtool wraps modules in eval(); plain output reads better in a stack trace.
      devtool: false,
      target,
      context: ROOT,
      entry,
      // What the client loads with import() (the elected and local transports, the in-page hub) goes to
      // chunks/, served as /chunks/: a case can tell whether a tab fetched the hub.
      output: { path: scratch, filename, chunkFilename: 'chunks/[name].js', publicPath: '/' },
      resolve: {
        extensions: ['.ts', '.js'],
        // Sources import './x.js' (ESM style) for files that exist as './x.ts'.
        extensionAlias: { '.js': ['.ts', '.js'] },
      },
      module: {
        rules: [
          // The worker entry starts the hub when imported (fixtures/mortal-worker.ts imports it), but
          // package.json's `sideEffects` names only its built copy in dist/: without this, webpack drops it.
          { test: WORKER_ENTRY, sideEffects: true },
          {
            test: /\.ts$/,
            exclude: /node_modules/,
            loader: 'ts-loader',
            options: {
              transpileOnly: true,
              configFile: join(ROOT, 'tsconfig.json'),
              compilerOptions: { noEmit: false, declaration: false, sourceMap: false },
            },
          },
        ],
      },
      cache: false,
      infrastructureLogging: { level: 'error' },
    });
    const output = join(BUILD_DIR, filename);
    await rename(join(scratch, filename), output);
    const chunks = join(scratch, 'chunks');
    for (const chunk of await readdir(chunks).catch(() => [])) {
      await mkdir(CHUNKS_DIR, { recursive: true });
      await rename(join(chunks, chunk), join(CHUNKS_DIR, chunk));
    }
    return output;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function compile(config: Configuration): Promise<void> {
  return new Promise((resolveCompile, rejectCompile) => {
    const compiler = webpack(config);
    compiler.run((runError, stats) => {
      compiler.close((closeError) => {
        const failure =
          runError ??
          (stats?.hasErrors() === true
            ? new Error(`webpack failed:\n${stats.toString({ all: false, errors: true })}`)
            : closeError);
        if (failure) rejectCompile(failure);
        else resolveCompile();
      });
    });
  });
}

async function isNewerThanTree(file: string, directory: string): Promise<boolean> {
  try {
    const built = (await stat(file)).mtimeMs;
    return (await newestMtime(directory)) <= built;
  } catch {
    return false;
  }
}

async function newestMtime(directory: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    const mtime = entry.isDirectory() ? await newestMtime(path) : (await stat(path)).mtimeMs;
    newest = Math.max(newest, mtime);
  }
  return newest;
}
