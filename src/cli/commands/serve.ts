import { InvalidArgumentError, type Command } from 'commander';
import { loadConfig } from '../../config/load';
import { deliveryConfigured } from '../../config/sections/delivery';
import { stopNativeCalls } from '../../ai/native-gate';
import { createLogger } from '../../log/logger';
import { startPipelineNode } from '../../pipeline-node';
import { startReceiver } from '../../cluster/receiver';
import { startClusterWorker } from '../../cluster/worker';
import type { ClusterRole } from '../../config/sections/cluster';

const ROLES: readonly ClusterRole[] = ['all', 'receiver', 'worker'];

/** --role: all (one process, embedded SQLite queue: the default), receiver or worker (docs/scale-out.md). */
export function roleName(v: string): ClusterRole {
  if (!(ROLES as readonly string[]).includes(v)) throw new InvalidArgumentError(`role must be one of ${ROLES.join(', ')}, not "${v}"`);
  return v as ClusterRole;
}

/**
 * `neuro-onc-node serve`: runs the node (DICOMweb + DIMSE receivers, study completeness, job pipeline, API)
 * until SIGTERM/SIGINT, then shuts down gracefully: receivers stop, running stages are aborted and resume at
 * the next start, the store is closed cleanly. A second signal exits at once.
 * Prints one JSON line on stdout when ready: {"event":"listening","http":...,"dicomweb":...,"dimsePort":...}.
 */
/** A TCP port from the command line: a whole number 0-65535 (0 = any free port), else a usage error (exit 2). */
export function portNumber(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n > 65535) throw new InvalidArgumentError(`port must be a number from 0 to 65535, not "${v}"`);
  return n;
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the node: receive studies (STOW-RS, C-STORE), process them, serve DICOMweb and the job API')
    .option('--port <port>', 'HTTP port (overrides http.port)', portNumber)
    .option('--data-dir <dir>', 'data folder (overrides node.dataDir)')
    .option('--role <role>', 'all (one process, the default), receiver or worker (distributed mode on Redis, docs/scale-out.md)', roleName, 'all' as ClusterRole)
    .action(async (opts: { port?: number; dataDir?: string; role: ClusterRole }) => {
      const config = loadConfig({
        file: program.opts<{ config?: string }>().config,
        overrides: { ...(opts.port !== undefined ? { http: { port: opts.port } } : {}), ...(opts.dataDir ? { node: { dataDir: opts.dataDir } } : {}) },
      });
      const log = createLogger('serve');
      if (opts.role === 'worker') {
        const worker = await startClusterWorker(config);
        onStopSignals(log, () => worker.close());
        process.stdout.write(JSON.stringify({ event: 'worker-ready', worker: worker.name, ...worker.capabilities, queues: worker.queues, pid: process.pid }) + '\n');
        return;
      }
      const node = opts.role === 'receiver' ? await startReceiver(config) : await startPipelineNode(config);
      if (!deliveryConfigured(config)) {
        log.warn('no delivery destination configured (delivery.to is empty): results stay on this node and jobs show "done (not delivered)"');
      }
      onStopSignals(log, () => node.close());
      // Printed last, so a supervisor that signals as soon as it reads this line reaches the handlers above.
      process.stdout.write(JSON.stringify({ event: 'listening', http: node.httpUrl, dicomweb: node.dicomwebUrl, dimsePort: node.dimse?.port ?? null, dimseTlsPort: node.dimse?.tlsPort ?? null, pid: process.pid }) + '\n');
    });
}

/** How long an exit that skips the graceful close waits for a model call in flight (see stopNativeCalls). */
const HARD_EXIT_WAIT_MS = 5000;

/** Exits with `code` once no worker is inside an onnxruntime call (or after HARD_EXIT_WAIT_MS). */
function exitAfterNativeCalls(code: number): void {
  void stopNativeCalls(HARD_EXIT_WAIT_MS).finally(() => process.exit(code));
}

/** SIGTERM/SIGINT: graceful close, then exit; a second signal exits at once (after the model call in flight). */
function onStopSignals(log: ReturnType<typeof createLogger>, close: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn('second signal: exiting now', { signal });
      exitAfterNativeCalls(1);
      return;
    }
    stopping = true;
    log.info('shutting down', { signal });
    close().then(
      () => process.exit(0),
      (e: unknown) => {
        log.error('error during shutdown', { error: (e as Error).message });
        exitAfterNativeCalls(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
