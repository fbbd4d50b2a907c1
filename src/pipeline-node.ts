/**
 * The working node: the composition root (src/node.ts) plus the model registry and the real pipeline stages.
 * `neuro-onc-node serve`, the demo and the end-to-end tests start the node through here.
 */
import type { Config } from './config/schema';
import { ModelRegistry } from './ai/registry';
import { DeviceQueue } from './ai/runtime';
import { createLogger } from './log/logger';
import { startNode, type NodeHandle, type StartNodeOptions } from './node';
import { pooledWork, WorkerPool } from './workers/pool';
import { pipelineStages, type PipelineDeps } from './pipeline/stages';
import { executionProviderMetrics, type Metric } from './metrics/metrics';

export interface PipelineNode extends NodeHandle {
  registry: ModelRegistry;
}

/** The model registry, the worker-thread pool and the real stage handlers (for the node and for a cluster worker). */
export async function loadPipeline(config: Config, senders?: PipelineDeps['senders']): Promise<{ registry: ModelRegistry; stages: ReturnType<typeof pipelineStages>; close(): Promise<void> }> {
  const log = createLogger('pipeline');
  const registry = await ModelRegistry.load(config.models.dir, {
    executionProviders: config.models.executionProviders,
    webgpu: config.models.webgpu,
    intraOpNumThreads: config.models.intraOpNumThreads,
    interOpNumThreads: config.models.interOpNumThreads,
  }, createLogger('models'));
  for (const r of registry.reports.filter((x) => !x.ok)) log.error('model package not loaded', { dir: r.dir, reason: r.reason, error: r.message });
  if (!registry.names().length) log.warn('no model packages loaded: studies will be received and identified, then fail with "no model applies"', { dir: config.models.dir });
  const queue = new DeviceQueue(config.models.concurrencyPerDevice);
  // The workers load their own sessions in the background; tasks wait for a ready worker.
  const pool = config.pipeline.workers > 0 ? new WorkerPool(config.pipeline.workers, { config }, createLogger('workers')) : undefined;
  const stages = pipelineStages({ config, registry, queue, ...(pool ? { work: pooledWork(pool, queue, registry) } : {}), ...(senders ? { senders } : {}) });
  return {
    registry,
    stages,
    close: async () => {
      await pool?.close();
      await registry.close();
    },
  };
}

export async function startPipelineNode(
  config: Config,
  opts: Omit<StartNodeOptions, 'stages'> & { senders?: PipelineDeps['senders'] } = {},
): Promise<PipelineNode> {
  const pipeline = await loadPipeline(config, opts.senders);
  const registry = pipeline.registry;
  const models = (): Metric[] => executionProviderMetrics(registry.names().map((n) => registry.get(n)!).map((m) => ({ name: m.name, version: m.manifest.version, executionProvider: m.executionProvider })));
  let node: NodeHandle;
  try {
    node = await startNode(config, { ...opts, stages: pipeline.stages, metrics: async () => [...models(), ...(opts.metrics ? await opts.metrics() : [])] });
  } catch (e) {
    await pipeline.close();
    throw e;
  }
  const close = node.close;
  return Object.assign(node, {
    registry: pipeline.registry,
    close: async () => {
      // The pool closes even when the receivers fail to: its workers must not be left inside a model run at exit.
      try {
        await close();
      } finally {
        await pipeline.close();
      }
    },
  });
}
