import { execFile } from 'node:child_process';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { BUILD_DIR } from './build-fixtures.js';

const ROOT = resolve(__dirname, '../../..');
const WEBPACK_BIN = join(ROOT, 'node_modules/webpack/bin/webpack.js');

/** Where {@link buildDemo} puts the production demo (gitignored), leaving `npm run build:demo`'s folder alone. */
export const DEMO_BUILD_DIR = join(BUILD_DIR, 'demo');

/**
 * Builds the demo as `npm run build:demo` does (`webpack.config.js`, production mode) into
 * {@link DEMO_BUILD_DIR}, and resolves with that folder.
 *
 * Built in a folder of this process's own and renamed into place, as the fixture bundles are: a rename
 * never shows another process a half-written demo.
 */
export async function buildDemo(): Promise<string> {
  const scratch = join(BUILD_DIR, `.tmp-${process.pid}-demo`);
  await rm(scratch, { recursive: true, force: true });
  await mkdir(BUILD_DIR, { recursive: true });
  try {
    await new Promise<void>((resolveBuild, rejectBuild) => {
      execFile(
        process.execPath,
        [
          WEBPACK_BIN,
          '--config',
          join(ROOT, 'webpack.config.js'),
          '--mode',
          'production',
          '--output-path',
          scratch,
        ],
        { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
        (error, stdout, stderr) => {
          if (error) rejectBuild(new Error(`the demo build failed:\n${stdout}\n${stderr}`));
          else resolveBuild();
        },
      );
    });
    await rm(DEMO_BUILD_DIR, { recursive: true, force: true });
    await rename(scratch, DEMO_BUILD_DIR);
    return DEMO_BUILD_DIR;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
