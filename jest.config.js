/** Jest runs TypeScript through SWC (fast, no type-check; `npm run typecheck` does that). */
module.exports = {
  // Node environment that shares the host's typed-array constructors with test code: onnxruntime-node returns
  // host-realm Float32Arrays, which jest's per-file realm would otherwise reject (see test/ai/ort-environment.js).
  testEnvironment: '<rootDir>/test/ai/ort-environment.js',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }] },
  // Integration tests start real Orthanc/DCMTK peers; give them room.
  testTimeout: 120000,
  maxWorkers: 2,
  // Per-file output of accuracy tables etc. stays visible.
  verbose: true,
};
