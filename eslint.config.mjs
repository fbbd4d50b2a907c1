import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { readdirSync } from 'node:fs';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

/**
 * The layering of src/ (docs/ARCHITECTURE.md), lowest first. A folder (or a single file, given with .ts) may import
 * its own layer and the layers below it, never a layer above: data flows one way, and the HTTP/CLI composition sits
 * on top. A new folder must be added here, or ESLint fails (see the check below).
 */
export const LAYERS = [
  // Vocabulary and byte-level primitives: no knowledge of studies, jobs or HTTP apps.
  ['log', 'dicom', 'http', 'types', 'version.ts', 'series-id/roles.ts', 'ai/providers.ts'],
  ['config'],
  // Per-instance and per-volume capabilities.
  ['series-id', 'imaging', 'store'],
  // Capabilities built on them: science, objects, transport, study/job bookkeeping.
  ['ai', 'registration', 'synth', 'encoders', 'delivery', 'dimse-bridge', 'dicomweb', 'study', 'jobs', 'retention', 'routing', 'notify', 'audit', 'review'],
  // The pipeline wires the stages; workers run its stage work; metrics read every capability.
  ['pipeline', 'workers', 'metrics'],
  // Composition: the node, its web app, the CLI, the demo, the bench, the GPU check and test fixtures.
  ['node.ts', 'pipeline-node.ts', 'cluster', 'web', 'cli', 'demo', 'bench', 'gpu-check', 'testing'],
];

// Every folder and top-level file of src/ has a layer; a new one fails the lint until it is placed.
const placed = new Set(LAYERS.flat());
const unplaced = readdirSync(new URL('./src', import.meta.url), { withFileTypes: true })
  .filter((e) => e.isDirectory() || e.name.endsWith('.ts'))
  .map((e) => e.name)
  .filter((n) => !placed.has(n));
if (unplaced.length) throw new Error(`eslint.config.mjs: src/${unplaced.join(', src/')} has no layer in LAYERS (docs/ARCHITECTURE.md)`);

const at = (entry) => `./src/${entry}`;
const inside = (path, folder) => path.startsWith(`${folder}/`);
/** One zone per (entry, higher entry); a lower file inside a higher folder (series-id/roles.ts) stays importable. */
const layerZones = LAYERS.flatMap((layer, i) =>
  layer.flatMap((entry) =>
    LAYERS.slice(i + 1)
      .flat()
      .filter((higher) => !inside(entry, higher) && !inside(higher, entry))
      .map((higher) => {
        const lowerInside = LAYERS.slice(0, i + 1).flat().filter((e) => inside(e, higher));
        return {
          target: at(entry),
          from: at(higher),
          ...(lowerInside.length ? { except: lowerInside.map((e) => `./${e.slice(higher.length + 1)}`) } : {}),
          message: `src/${entry} (layer ${i}) must not import src/${higher} (a higher layer; eslint.config.mjs LAYERS).`,
        };
      }),
  ),
);

export default tseslint.config(
  { ignores: ['dist/**', '.cache/**', 'dist-check/**', 'node_modules/**', 'training/**', 'models/**', 'coverage/**', 'var/**', '**/*.js', '!bin/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.jest } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'off',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  { files: ['bin/*.js'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
  // Test fixtures (src/testing) and the bench (src/bench) are not part of the product build (tsconfig.build.json).
  {
    files: ['src/**/*.ts'],
    ignores: ['src/testing/**', 'src/bench/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/testing/*', '**/bench/*'], message: 'src/testing and src/bench are not shipped; product code must not import them.' }] }] },
  },
  // Import cycles and upward imports across the layers above.
  {
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/extensions': ['.ts'],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', { zones: layerZones }],
    },
  },
);
