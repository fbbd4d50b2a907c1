/**
 * Jest runs TypeScript through SWC (fast, no type-check; `npm run typecheck` does that). Two projects:
 *   unit         no peers, no sockets, no model runs (the files test/tiers.js lists)  `npm run test:unit`
 *   integration  everything else: real Orthanc, DCMTK, Chromium, the built node, onnxruntime  `npm run test:integration`
 * `npm test` runs both.
 */
const { unitPaths } = require('./test/tiers');

const common = {
  rootDir: __dirname,
  // Node environment that shares the host's typed-array constructors with test code: onnxruntime-node returns
  // host-realm Float32Arrays, which jest's per-file realm would otherwise reject (see test/ai/ort-environment.js).
  testEnvironment: '<rootDir>/test/ai/ort-environment.js',
  roots: ['<rootDir>/test'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }] },
};

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: unitPaths },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/**/*.test.ts'], testPathIgnorePatterns: ['/node_modules/', ...unitPaths.map((p) => `^${p.replace(/\./g, '\\.')}$`)] },
  ],
  // Integration tests start real Orthanc/DCMTK peers and run registration + inference on whole studies; give them
  // room on a shared 2-core machine (a hung test still fails, after 5 minutes).
  testTimeout: 300000,
  maxWorkers: 2,
  // Per-file output of accuracy tables etc. stays visible.
  verbose: true,
};
