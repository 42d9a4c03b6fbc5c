/**
 * Builds the ready-to-serve worker bundle, `dist/shared-worker.js` (rxjs included, no imports left), and
 * its types, `dist/shared-worker.d.ts`.
 */
import path from 'node:path';
import webpack from 'webpack';

/**
 * The bundle's types: a module with no exports. That is what this config makes of any entry (it sets no
 * `output.library`), whatever the entry's source exports, so the types are written here, next to that
 * choice, rather than derived from the source. With them, `import 'shared-channels/shared-worker.js'`
 * type-checks and every export of the package has types (`npm run check:package`).
 */
class EmitBundleTypes {
  apply(compiler) {
    compiler.hooks.thisCompilation.tap(EmitBundleTypes.name, (compilation) => {
      compilation.hooks.processAssets.tap(
        { name: EmitBundleTypes.name, stage: webpack.Compilation.PROCESS_ASSETS_STAGE_ADDITIONAL },
        () => {
          compilation.emitAsset(
            'shared-worker.d.ts',
            new webpack.sources.RawSource(
              '// The ready-to-serve worker bundle: it starts a hub on load and exports nothing.\nexport {};\n',
            ),
          );
        },
      );
    });
  }
}

export default {
  mode: 'production',
  target: 'webworker',
  entry: './src/worker/shared-worker.ts',
  output: {
    path: path.resolve(import.meta.dirname, 'dist'),
    filename: 'shared-worker.js',
  },
  resolve: {
    extensions: ['.ts', '.js'],
    extensionAlias: { '.js': ['.ts', '.js'] },
  },
  module: {
    rules: [
      {
        test: /\.ts$/,
        loader: 'ts-loader',
        options: { transpileOnly: true, compilerOptions: { declaration: false, sourceMap: false } },
      },
    ],
  },
  plugins: [new EmitBundleTypes()],
  devtool: false,
  performance: { hints: false },
};
