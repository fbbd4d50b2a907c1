/**
 * The unit tier (test/tiers.js) stays peer-free: no listed test file, nor any test helper it imports, reaches for
 * Orthanc, DCMTK or other child processes, Chromium, sockets, the built node or onnxruntime. A test that needs one
 * of those belongs in the integration tier (leave it out of the list).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { UNIT } = require('./tiers') as { UNIT: string[] };

const PEERS: [RegExp, string][] = [
  [/helpers\/orthanc'/, 'Orthanc'],
  [/helpers\/dcmtk'|dcm2niix'/, 'DCMTK / dicom3tools / dcm2niix processes'],
  [/helpers\/(run-cli|build)'|node-fixture'|child-node'/, 'the node as a process or server'],
  [/node:child_process'/, 'child processes'],
  [/node:(http|https|net|tls|dgram)'|helpers\/(ports|stow|auth-proxy)'|raw-association'|\bfetch\(/, 'sockets'],
  [/chromium|puppeteer|playwright/i, 'Chromium'],
  [/onnxruntime-node'|src\/ai\/(registry|runtime)'|src\/pipeline\/(offline|infer-study|stage-work)'/, 'model runs'],
];

/** The file and the test-side files it imports (relative imports that stay under test/), transitively. */
function withLocalImports(file: string, seen = new Set<string>()): string[] {
  if (seen.has(file)) return [];
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  const local = [...text.matchAll(/from '(\.[^']+)'/g)]
    .map((m) => resolve(dirname(file), m[1]!))
    .filter((p) => p.startsWith(__dirname) && !p.includes('/src/'))
    .map((p) => [`${p}.ts`, `${p}.js`, p].find((c) => existsSync(c) && c.match(/\.(ts|js)$/)))
    .filter((p): p is string => p != null);
  return [file, ...local.flatMap((p) => withLocalImports(p, seen))];
}

describe('test tiers', () => {
  it.each(UNIT)('unit test %s exists and uses no peer', (name) => {
    const file = join(__dirname, `${name}.test.ts`);
    expect(existsSync(file)).toBe(true);
    const uses = withLocalImports(file)
      .filter((f) => f !== __filename)
      .flatMap((f) => PEERS.filter(([re]) => re.test(readFileSync(f, 'utf8'))).map(([, what]) => `${f.slice(__dirname.length + 1)}: ${what}`));
    expect(uses).toEqual([]);
  });
});
