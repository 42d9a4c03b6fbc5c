/** Builds the ready-to-serve worker bundle, `dist/shared-worker.js` (rxjs included, no imports left). */
import path from 'node:path';

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
  devtool: false,
  performance: { hints: false },
};
