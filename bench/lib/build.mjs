/**
 * Bundles what the benchmark runs into bench/.build/: the page (harness and transports), the
 * SharedWorkers (both baselines and shared-channels' own entry), and the Node hub benchmarks. Webpack's
 * cache lives in node_modules/.cache/bench-webpack, so a rebuild takes seconds.
 */
import fs from 'node:fs';
import path from 'node:path';
import webpack from 'webpack';

const root = path.resolve(import.meta.dirname, '..', '..');
export const BUILD_DIR = path.join(root, 'bench', '.build');

/** True once shared-channels' client and worker entry exist in src/. */
export function hasLibrary() {
  return ['src/index.ts', 'src/worker/shared-worker.ts', 'src/worker/hub.ts'].every((file) =>
    fs.existsSync(path.join(root, file)),
  );
}

function config(name, target, entry, filename = '[name].js') {
  return {
    name,
    mode: 'production',
    target,
    context: root,
    entry,
    output: { path: BUILD_DIR, filename },
    resolve: {
      extensions: ['.ts', '.js'],
      extensionAlias: { '.js': ['.ts', '.js'] },
    },
    module: {
      rules: [
        {
          test: /\.ts$/,
          loader: 'ts-loader',
          options: {
            transpileOnly: true,
            configFile: path.join(root, 'tsconfig.json'),
            compilerOptions: { noEmit: false, declaration: false, sourceMap: false },
          },
        },
      ],
    },
    // Production semantics, readable names: a CPU profile of the worker should say where time goes.
    optimization: { minimize: false },
    devtool: false,
    performance: { hints: false },
    cache: {
      type: 'filesystem',
      cacheDirectory: path.join(root, 'node_modules', '.cache', 'bench-webpack'),
      name,
    },
    infrastructureLogging: { level: 'error' },
  };
}

/** Builds every bundle; `library` says whether shared-channels is built too. */
export async function build({ library }) {
  const configs = [
    config('page', 'web', {
      page: library ? './bench/page/full-page.ts' : './bench/page/baselines-page.ts',
    }),
    config('workers', 'webworker', {
      'raw-clone-worker': './bench/workers/raw-clone-worker.ts',
      'raw-json-worker': './bench/workers/raw-json-worker.ts',
      ...(library ? { 'sc-worker': './src/worker/shared-worker.ts' } : {}),
    }),
  ];
  if (library) {
    configs.push(
      config(
        'node',
        'node',
        {
          'hub-bench': './bench/node/hub-bench.ts',
          'hostile-bench': './bench/node/hostile-bench.ts',
        },
        '[name].cjs',
      ),
    );
  }
  const stats = await new Promise((resolve, reject) => {
    webpack(configs).run((error, result) => (error ? reject(error) : resolve(result)));
  });
  if (stats.hasErrors()) {
    throw new Error(stats.toString({ all: false, errors: true, errorDetails: true }));
  }
}
