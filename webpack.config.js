import path from 'node:path';
import HtmlWebpackPlugin from 'html-webpack-plugin';

const root = import.meta.dirname;

/**
 * The demo app: `npm start` serves it on http://localhost:8080 (`PORT` overrides), `npm run build:demo`
 * writes it to build/demo. It imports the library from src/, so no prior build step is needed.
 *
 * @type {(env: unknown, argv: { mode?: string }) => import('webpack').Configuration}
 */
export default (_env, argv) => {
  const production = argv.mode === 'production';
  return {
    mode: production ? 'production' : 'development',
    context: root,
    entry: './demo/main.ts',
    output: {
      path: path.join(root, 'build/demo'),
      filename: production ? '[name].[contenthash:8].js' : '[name].js',
      clean: true,
    },
    devtool: production ? 'source-map' : 'eval-cheap-module-source-map',
    resolve: {
      extensions: ['.ts', '.js'],
      // Sources import each other with the `.js` extension that Node's ESM resolution needs.
      extensionAlias: { '.js': ['.ts', '.js'] },
    },
    module: {
      rules: [
        {
          test: /\.ts$/,
          exclude: /node_modules/,
          loader: 'ts-loader',
          // tsconfig.json is the type-check config (`noEmit`); type errors are `npm run typecheck`'s job.
          options: { transpileOnly: true, compilerOptions: { noEmit: false } },
        },
        {
          test: /\.css$/,
          // package.json's `sideEffects` speaks for the published package; without this, production
          // builds drop the demo's stylesheet, which is imported only for its side effect.
          sideEffects: true,
        },
      ],
    },
    // Native CSS: `import './styles.css'` becomes a stylesheet that html-webpack-plugin links.
    experiments: { css: true },
    plugins: [new HtmlWebpackPlugin({ template: './demo/index.html' })],
    devServer: {
      // Loopback only, and the IPv4 address rather than `localhost`, which resolves to `::1` first on
      // many systems: so both http://127.0.0.1:8080 and http://localhost:8080 (browsers try both of
      // its addresses) reach the server, and nothing else on the network does.
      host: '127.0.0.1',
      port: Number(process.env.PORT || 8080),
      open: false,
      hot: false,
      liveReload: true,
      client: {
        overlay: { errors: true, warnings: false },
        // The live-reload socket goes to the page's own protocol, host and port (`0.0.0.0` and `0` stand
        // for them). By default it goes to `host`, another origin for a page opened at the other address,
        // and the server refuses it ("Invalid Host/Origin header").
        webSocketURL: 'auto://0.0.0.0:0/ws',
      },
    },
    performance: { hints: false },
  };
};
