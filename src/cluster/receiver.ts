/**
 * `serve --role receiver`: the node as in the embedded mode (receivers, store, completeness, job records, DICOMweb,
 * API, pages), except that its stages run on the workers: each stage handler dispatches to the BullMQ queue and
 * waits for the worker's report (src/cluster/dispatcher.ts). No models are loaded here.
 */
import type { Config } from '../config/schema';
import { createLogger } from '../log/logger';
import { startNode, type NodeHandle, type StartNodeOptions } from '../node';
import { Dispatcher } from './dispatcher';
import { clusterRouter } from './report-api';

export interface ReceiverNode extends NodeHandle {
  dispatcher: Dispatcher;
}

export async function startReceiver(config: Config, opts: Omit<StartNodeOptions, 'stages' | 'api' | 'metrics'> = {}): Promise<ReceiverNode> {
  const dispatcher = new Dispatcher(config, createLogger('dispatch'));
  // A dispatched job only waits for reports, so the receiver keeps every ready job in the queue (which orders them).
  const receiverConfig: Config = { ...config, pipeline: { ...config.pipeline, concurrency: config.cluster.maxInFlight } };
  let node: NodeHandle;
  try {
    node = await startNode(receiverConfig, { ...opts, stages: dispatcher.plan(), api: [clusterRouter(dispatcher)], metrics: () => dispatcher.metrics() });
  } catch (e) {
    await dispatcher.close();
    throw e;
  }
  dispatcher.bind(node.jobs, node.httpUrl);
  const close = node.close;
  return Object.assign(node, {
    dispatcher,
    close: async () => {
      await close();
      await dispatcher.close();
    },
  });
}
