#!/usr/bin/env node
/**
 * The client's bundle-size budget: bundles scripts/size/minimal-app.js (`import { SharedWorkerClient } from
 * 'shared-channels'`, resolved through the package's `exports` to the built `dist/`) the way an app's bundler
 * would, and fails when what the app loads first is over the budget.
 *
 *   npm run build && npm run size
 *   node scripts/check-size.mjs --json    # the same figures, machine-readable
 *
 * esbuild: bundle, minify, ESM, code splitting, browser, `rxjs` external. What the app loads first is the
 * entry chunk and every chunk it imports statically: esbuild moves code that the entry shares with an
 * `import()`ed module into a chunk of its own, which the entry imports, so the entry file alone can
 * understate the first load. Every other chunk is lazy. Sizes are bytes (1 kB = 1,000 B), each file
 * compressed on its own as a server sends it: gzip level 9, brotli quality 11.
 *
 * Exit codes: 0 within the budget, 1 over it, 2 when it cannot measure (no `dist/`, a bad argument).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build, version as esbuildVersion } from 'esbuild';

// The most the first load of `import { SharedWorkerClient } from 'shared-channels'` may weigh, in bytes of
// brotli. The goal is 5,000 (issue 13); with the hub, persistence and elected mode out of it, the client
// itself (its session, link, channels, request table and strict JSON check) weighs 7,934: the budget
// holds that with 3 % to spare, so that nothing grows back unseen. Lower it as the client shrinks.
const BUDGET_BROTLI_BYTES = 8_200;
// How many of the first load's largest inputs the table names.
const TOP_INPUTS = 10;

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const APP = 'scripts/size/minimal-app.js';
const PACKAGE_ENTRY = 'dist/index.js';

const args = process.argv.slice(2);
const unknown = args.filter((arg) => arg !== '--json');
if (unknown.length > 0) {
  console.error(`check-size: unknown argument ${unknown.join(' ')}; known: --json`);
  process.exit(2);
}
const asJson = args.includes('--json');

if (!existsSync(join(ROOT, PACKAGE_ENTRY))) {
  console.error(`check-size: ${PACKAGE_ENTRY} is missing; run \`npm run build\` first`);
  process.exit(2);
}

const outdir = mkdtempSync(join(tmpdir(), 'check-size-'));
let report;
try {
  const { metafile } = await build({
    absWorkingDir: ROOT,
    entryPoints: [APP],
    bundle: true,
    minify: true,
    format: 'esm',
    splitting: true,
    platform: 'browser',
    external: ['rxjs', 'rxjs/*'],
    outdir,
    metafile: true,
    logLevel: 'warning',
  });
  report = measure(metafile);
} catch (error) {
  // esbuild has already printed its own errors; a failed check of ours says what it found.
  if (!(error instanceof Error && 'errors' in error)) console.error(error.message);
  process.exit(2);
} finally {
  rmSync(outdir, { recursive: true, force: true });
}

console.log(asJson ? JSON.stringify(report, null, 2) : formatTable(report));
if (report.ok && !asJson) {
  console.log(
    `\ncheck-size: the client's first load is ${formatBytes(report.initial.brotli)} B brotli, ` +
      `within the ${formatBytes(BUDGET_BROTLI_BYTES)} B budget`,
  );
}
if (!report.ok) {
  const largest = report.inputs
    .slice(0, 5)
    .map(({ path, bytes }) => `${path} ${formatBytes(bytes)} B`)
    .join(', ');
  console.error(
    `check-size: the client's first load is ${formatBytes(report.initial.brotli)} B brotli, over the ` +
      `${formatBytes(BUDGET_BROTLI_BYTES)} B budget by ${formatBytes(report.initial.brotli - BUDGET_BROTLI_BYTES)} B. ` +
      `Largest inputs (minified bytes): ${largest}. Move what the first load does not need behind import().`,
  );
  process.exit(1);
}

/** Sizes every output chunk, splits them into first load and lazy, and ranks the first load's inputs. */
function measure(metafile) {
  const resolved = metafile.inputs[APP]?.imports.find(
    (entry) => entry.original === 'shared-channels',
  );
  if (resolved?.path !== PACKAGE_ENTRY) {
    // A stale copy in node_modules, or a change to `exports`, would measure something else than users get.
    throw new Error(
      `check-size: 'shared-channels' resolved to ${resolved?.path ?? 'nothing'}, expected ${PACKAGE_ENTRY}`,
    );
  }
  const outputs = Object.entries(metafile.outputs).filter(([file]) => file.endsWith('.js'));
  const entry = outputs.find(([, output]) => output.entryPoint === APP);
  if (entry === undefined) throw new Error(`check-size: esbuild made no output for ${APP}`);

  const initial = new Set();
  const pending = [entry[0]];
  while (pending.length > 0) {
    const file = pending.pop();
    if (initial.has(file)) continue;
    initial.add(file);
    for (const imported of metafile.outputs[file].imports) {
      if (imported.kind === 'import-statement' && !imported.external) pending.push(imported.path);
    }
  }

  const chunks = outputs.map(([file, output]) => ({
    file: relative(outdir, resolve(ROOT, file)),
    load: initial.has(file) ? 'initial' : 'lazy',
    entry: file === entry[0],
    // For a lazy chunk: the module an import() names; none for a chunk shared by several.
    module: output.entryPoint === undefined ? undefined : toSource(output.entryPoint),
    ...compressedSizes(readFileSync(resolve(ROOT, file))),
  }));
  chunks.sort((a, b) => Number(b.entry) - Number(a.entry) || a.load.localeCompare(b.load));

  const inputBytes = new Map();
  for (const file of initial) {
    for (const [input, { bytesInOutput }] of Object.entries(metafile.outputs[file].inputs)) {
      const path = toSource(input);
      inputBytes.set(path, (inputBytes.get(path) ?? 0) + bytesInOutput);
    }
  }
  const inputs = [...inputBytes]
    .map(([path, bytes]) => ({ path, bytes }))
    .filter(({ bytes }) => bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);

  const first = chunks.filter((chunk) => chunk.load === 'initial');
  const sum = (key) => first.reduce((total, chunk) => total + chunk[key], 0);
  return {
    esbuild: esbuildVersion,
    budget: { brotli: BUDGET_BROTLI_BYTES },
    initial: { raw: sum('raw'), gzip: sum('gzip'), brotli: sum('brotli') },
    ok: sum('brotli') <= BUDGET_BROTLI_BYTES,
    chunks,
    inputs,
  };
}

function compressedSizes(code) {
  return {
    raw: code.length,
    gzip: gzipSync(code, { level: 9 }).length,
    brotli: brotliCompressSync(code, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_SIZE_HINT]: code.length,
      },
    }).length,
  };
}

/** `dist/client/hub-link.js` → `src/client/hub-link.ts`, where that source exists; any other path as is. */
function toSource(input) {
  const match = /^dist\/(.+)\.js$/.exec(input);
  const source = match === null ? undefined : `src/${match[1]}.ts`;
  return source !== undefined && existsSync(join(ROOT, source)) ? source : input;
}

function formatTable({ esbuild, initial, chunks, inputs }) {
  const rows = [
    ['chunk', 'load', 'raw', 'gzip', 'brotli'],
    ...chunks.map((chunk) => [
      `${chunk.file} (${chunk.entry ? 'entry' : (chunk.module ?? 'shared')})`,
      chunk.load,
      ...[chunk.raw, chunk.gzip, chunk.brotli].map(formatBytes),
    ]),
    ['first load', '', ...[initial.raw, initial.gzip, initial.brotli].map(formatBytes)],
    ['budget', '', '', '', formatBytes(BUDGET_BROTLI_BYTES)],
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  const line = (row) =>
    row
      .map((cell, column) =>
        column < 2 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]),
      )
      .join('  ')
      .trimEnd();
  const topWidth = Math.max(
    ...inputs.slice(0, TOP_INPUTS).map(({ bytes }) => formatBytes(bytes).length),
  );
  return [
    `import { SharedWorkerClient } from 'shared-channels': esbuild ${esbuild}, minified, rxjs external (bytes)`,
    '',
    ...rows.map(line),
    '',
    `largest inputs of the first load (minified bytes in the output, top ${TOP_INPUTS} of ${inputs.length}):`,
    ...inputs
      .slice(0, TOP_INPUTS)
      .map(({ path, bytes }) => `  ${formatBytes(bytes).padStart(topWidth)}  ${path}`),
  ].join('\n');
}

function formatBytes(bytes) {
  return bytes.toLocaleString('en-US');
}
