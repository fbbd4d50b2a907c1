/**
 * Entry of a pipeline worker thread (spawned by pool.ts): loads the model packages from config.models (its own
 * onnxruntime sessions, warmed up when models.warmUp is on), then runs stage tasks one at a time with the same
 * functions the event-loop thread would run (src/pipeline/stage-work.ts). Log lines go back to the job's logger.
 */
import { Writable } from 'node:stream';
import { parentPort, threadId, workerData } from 'node:worker_threads';
import winston from 'winston';
import { installNativeGate, NodeStoppingError } from '../ai/native-gate';
import { ModelRegistry } from '../ai/registry';
import type { Logger } from '../log/logger';
import { inThreadWork } from '../pipeline/stage-work';
import { toWire, type FromWorker, type TaskTypes, type TaskName, type ToWorker, type WorkerData } from './protocol';

const port = parentPort!;
const { config, gate } = workerData as WorkerData;
// Before any session opens: the pool stops this thread only between onnxruntime's native calls.
installNativeGate(gate);
const post = (m: FromWorker): void => port.postMessage(m);

/**
 * A winston logger whose lines are posted to the pool; `taskId` (0 = the worker itself) picks the target logger,
 * whose level decides what is written (so everything down to debug is forwarded).
 */
const forwarder = winston.createLogger({
  level: 'debug',
  transports: [
    new winston.transports.Stream({
      stream: new Writable({
        objectMode: true,
        write(info: Record<string, unknown>, _enc, done) {
          const { level, message, taskId, ...meta } = info;
          // JSON round trip: plain data only (drops symbols, functions, class instances).
          post({ type: 'log', id: Number(taskId ?? 0), level: String(level), message: String(message), meta: JSON.parse(JSON.stringify(meta)) as Record<string, unknown> });
          done();
        },
      }),
    }),
  ],
});

async function main(): Promise<void> {
  const registry = await ModelRegistry.load(
    config.models.dir,
    {
      executionProviders: config.models.executionProviders,
      webgpu: config.models.webgpu,
      intraOpNumThreads: config.models.intraOpNumThreads,
      interOpNumThreads: config.models.interOpNumThreads,
      warmUp: config.models.warmUp && config.models.routing.map((r) => r.model),
    },
    forwarder.child({ taskId: 0, component: 'models', workerThread: threadId }),
  );
  const work = inThreadWork(registry, config);
  port.on('message', (m: ToWorker) => {
    const log = forwarder.child({ taskId: m.id });
    // The protocol pairs each task name with its argument type; StageWork has one method per task name.
    const run = work[m.task] as (args: ToWorker['args'], log: Logger) => Promise<TaskTypes[TaskName]['result']>;
    run(m.args, log).then(
      (result) => post({ type: 'done', id: m.id, result }),
      (e: unknown) => post({ type: 'failed', id: m.id, error: toWire(e) }),
    );
  });
  post({ type: 'ready', models: registry.names() });
}

main().catch((e: unknown) => {
  // Stopped while loading its models: the pool is terminating this thread, nothing to report.
  if (e instanceof NodeStoppingError) return;
  throw e;
});
