/**
 * The GPU check bundle end to end on this machine: `scripts/gpu-check.sh build` makes the bundle (<= 64 MiB) and
 * `run` unpacks it into an empty folder and runs it with the bundled Node binary, as on a GPU host with nothing
 * installed. Here WebGPU finds no adapter (no GPU; the bundled Vulkan loader is used) and CUDA is not installed:
 * the check must say so and still run the full model with TTA on the CPU. Minutes of CPU: integration tier.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { GpuCheckReport } from '../../src/gpu-check/harness';

const ROOT = resolve(__dirname, '../..');
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'gpu-bundle-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

it('builds a bundle under 64 MiB that runs the CPU check with its own Node and reports why WebGPU and CUDA did not start', () => {
  const bundle = join(work, 'bundle');
  const build = spawnSync('bash', ['scripts/gpu-check.sh', 'build', bundle], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, TMPDIR: work }, timeout: 900_000 });
  expect(`${build.stdout}${build.stderr}`).toMatch(/gpu-check: bundle .*: [\d.]+ MiB of the 64 MiB allowed/);
  expect(build.status).toBe(0);
  expect(readdirSync(bundle).sort()).toEqual(['app.tar.xz', 'node.xz']);
  const bytes = readdirSync(bundle).reduce((n, f) => n + statSync(join(bundle, f)).size, 0);
  expect(bytes).toBeLessThanOrEqual(64 * 2 ** 20);

  // The run: a bare environment (PATH /usr/bin:/bin, no NODE_* variables) from an empty folder, no node_modules
  // around it; the script runs the bundle's own Node binary, as on the GPU host.
  const env = { PATH: '/usr/bin:/bin', TMPDIR: work, OUT: bundle, HOME: work };
  const run = spawnSync('bash', [join(ROOT, 'scripts/gpu-check.sh'), 'run', bundle, '--steady', '1', '--threads', '2'], { cwd: work, encoding: 'utf8', env, timeout: 600_000 });
  const text = `${run.stdout}${run.stderr}`;
  process.stdout.write(text.split('\n').filter((l) => l.startsWith('gpu-check:')).join('\n') + '\n');
  expect(run.status).toBe(0);
  // Without a GPU (as on the build machines) Dawn finds no adapter; on a GPU host WebGPU starts.
  const webgpuStarted = /^gpu-check: webgpu: session \d+ ms/m.test(text);
  if (!webgpuStarted) expect(text).toMatch(/^gpu-check: webgpu: NOT STARTED: Failed to get a WebGPU adapter/m);
  expect(text).toMatch(/^gpu-check: cuda: NOT STARTED: libonnxruntime_providers_cuda\.so is not installed/m);
  expect(text).toMatch(/^gpu-check: cpu: session \d+ ms, first run \d+ ms, steady \d+ ms \(median of 1\), 8 forwards$/m);
  if (!webgpuStarted) expect(text).toMatch(/^gpu-check: no GPU provider started; CPU only/m);
  const report = JSON.parse(readFileSync(join(bundle, 'gpu-check.json'), 'utf8')) as GpuCheckReport;
  expect(report.results.map((r) => [r.provider, r.started])).toEqual([['cpu', true], ['webgpu', webgpuStarted], ['cuda', false]]);
  expect(report.dims).toEqual([96, 112, 96]);
}, 1_600_000); // synchronous child processes, each with its own timeout: building compresses Node with xz -9
