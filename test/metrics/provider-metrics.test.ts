/** neuro_onc_model_execution_provider: one sample per loaded model, labelled with the provider its session runs on. */
import { executionProviderMetrics, exposition } from '../../src/metrics/metrics';

it('exposes the provider each loaded model runs on', () => {
  const text = exposition(executionProviderMetrics([
    { name: 'glioma-mtl', version: '0.4.0', executionProvider: 'webgpu' },
    { name: 'brainmets-egfr', version: '0.2.0', executionProvider: 'cpu' },
  ]));
  expect(text).toBe(
    '# HELP neuro_onc_model_execution_provider Execution provider each loaded model runs on (cuda, webgpu or cpu), 1 per model.\n' +
      '# TYPE neuro_onc_model_execution_provider gauge\n' +
      'neuro_onc_model_execution_provider{model="glioma-mtl",version="0.4.0",provider="webgpu"} 1\n' +
      'neuro_onc_model_execution_provider{model="brainmets-egfr",version="0.2.0",provider="cpu"} 1\n',
  );
  expect(exposition(executionProviderMetrics([]))).not.toMatch(/^neuro_onc_model_execution_provider\{/m);
});
