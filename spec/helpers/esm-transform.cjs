// Angular ships only ES modules (`fesm2022/*.mjs`), and jest runs CommonJS: this turns them into CommonJS
// with esbuild, the same way ts-jest turns the specs. Jest runs ES modules natively only from Node 24.9
// (https://jestjs.io/docs/ecmascript-modules#require-of-esm); CI runs Node 20.
const { transformSync } = require('esbuild');

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, {
      format: 'cjs',
      loader: 'js',
      target: 'node20',
      sourcefile: filename,
      sourcemap: 'external',
    });
    return { code, map };
  },
};
