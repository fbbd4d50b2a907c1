/**
 * `--version`'s provider lines: the configured chain, what this onnxruntime-node build carries, and which of the
 * configured providers start on this host with the reason for each that does not (started on a one-node model).
 */
import { parseConfig } from '../../src/config/load';
import { providerUnavailable, resetProviderFailures } from '../../src/ai/runtime';
import { formatVersionReport, versionReport } from '../../src/cli/version';

beforeEach(() => resetProviderFailures());

it('lists the configured chain and the providers that started, with why the others did not', async () => {
  const r = await versionReport(parseConfig({ models: { dir: 'test/fixtures/models' } }));
  expect(r.configuredProviders).toEqual(['cuda', 'webgpu', 'cpu']);
  expect(r.startedProviders.map((p) => p.name)).toEqual(['cuda', 'webgpu', 'cpu']);
  expect(r.startedProviders.find((p) => p.name === 'cpu')).toEqual({ name: 'cpu', started: true });
  const text = formatVersionReport(r);
  expect(text).toMatch(/^execution providers: configured cuda -> webgpu -> cpu; this runtime: .*webgpu.*$/m);
  expect(text).toMatch(/^started on this host: (cuda, )?(webgpu, )?cpu$/m);
  for (const p of r.startedProviders.filter((x) => !x.started)) expect(text).toContain(`  ${p.name} did not start: ${p.reason}`);
  // On a host without them (as here, unless CUDA or Vulkan is installed) the reasons are the specific ones.
  if (providerUnavailable('cuda')) expect(text).toMatch(/^ {2}cuda did not start: libonnxruntime_providers_cuda\.so is not installed with onnxruntime-node$/m);
  if (providerUnavailable('webgpu')) expect(text).toMatch(/^ {2}webgpu did not start: libvulkan\.so\.1 \(the Vulkan loader\) is not installed$/m);
});

it('a chain without a GPU provider starts only what it lists', async () => {
  const r = await versionReport(parseConfig({ models: { dir: 'test/fixtures/models', executionProviders: ['cpu'] } }));
  expect(formatVersionReport(r)).toMatch(/^started on this host: cpu$/m);
  expect(formatVersionReport(r)).not.toMatch(/did not start/);
});
