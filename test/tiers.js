/**
 * The two Jest tiers (jest.config.js projects). A test file listed here is in the unit tier: it starts no peer
 * (no Orthanc, no DCMTK or other child process, no Chromium), opens no socket, runs no model, and takes seconds,
 * not minutes (tests that build volumes from the ch2 anatomy are CPU-heavy and stay in the integration tier). Every
 * other test file is in the integration tier. test/tiers.test.ts checks that the unit files use no peer.
 */
const UNIT = [
  'ai/bidimensional',
  'ai/diagnosis',
  'ai/manifest',
  'ai/math',
  'ai/native-gate',
  'ai/parity',
  'ai/radiomics',
  'ai/survival',
  'audit/config',
  'audit/recorder',
  'config/load',
  'conformance/preflight',
  'conformance/reader-rules',
  'dicom/element-walker',
  'dicom/p10-accessors',
  'dicom/walker-fuzz',
  'dicomweb/multipart',
  'dimse-bridge/encoding',
  'encoders/bitpack',
  'gpu-check/harness-parts',
  'encoders/head-kinds',
  'encoders/not-finite',
  'encoders/source-attributes',
  'encoders/uid-scheme',
  'log/logger',
  'metrics/provider-metrics',
  'pipeline/artifacts',
  'routing/rules',
  'series-id/descriptors',
  'series-id/labels-dev',
  'series-id/rules',
  'series-id/studies',
  'store/instance-json-decoder',
  'store/p10-structure',
  'store/recovery',
  'store/store',
  'synth/units',
  'tiers',
  'web-ui/pages',
];

module.exports = { UNIT, unitPaths: UNIT.map((t) => `<rootDir>/test/${t}.test.ts`) };
