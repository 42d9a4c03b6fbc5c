/** Two projects: unit tests (jsdom, in-process ports) and the browser suite (node, real Chromium). */
const transform = {
  '^.+\\.ts$': [
    'ts-jest',
    { tsconfig: { module: 'commonjs', isolatedModules: true }, diagnostics: false },
  ],
  // The Angular entry point's specs load @angular/core, which is published as ES modules only.
  '^.+\\.mjs$': '<rootDir>/spec/helpers/esm-transform.cjs',
};
const transformIgnorePatterns = ['/node_modules/(?!@angular/)'];
const moduleNameMapper = { '^(\\.{1,2}/.*)\\.js$': '$1' };

export default {
  // Two cores here and in CI, but the browser suite spends much of its time waiting (one case idles a
  // minute on purpose): three files at a time take it from about 3 minutes to under 2.
  maxWorkers: 3,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: '<rootDir>/spec/helpers/port-environment.cjs',
      testMatch: ['<rootDir>/spec/**/*.spec.ts'],
      testPathIgnorePatterns: ['<rootDir>/spec/e2e/'],
      transform,
      transformIgnorePatterns,
      moduleNameMapper,
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      testMatch: ['<rootDir>/spec/e2e/**/*.spec.ts'],
      transform,
      moduleNameMapper,
    },
  ],
  collectCoverageFrom: ['src/**/*.ts', '!src/worker/shared-worker.ts'],
  coverageReporters: ['text-summary', 'text'],
};
