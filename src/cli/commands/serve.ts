import { InvalidArgumentError, type Command } from 'commander';
import { loadConfig } from '../../config/load';
import { deliveryConfigured } from '../../config/sections/delivery';
import { createLogger } from '../../log/logger';
import { startPipelineNode } from '../../pipeline-node';

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
    .action(async (opts: { port?: number; dataDir?: string }) => {
      const config = loadConfig({
        file: program.opts<{ config?: string }>().config,
        overrides: { ...(opts.port !== undefined ? { http: { port: opts.port } } : {}), ...(opts.dataDir ? { node: { dataDir: opts.dataDir } } : {}) },
      });
      const log = createLogger('serve');
      const node = await startPipelineNode(config);
      if (!deliveryConfigured(config)) {
        log.warn('no delivery destination configured (delivery.to is empty): results stay on this node and jobs show "done (not delivered)"');
      }
      let stopping = false;
      const stop = (signal: NodeJS.Signals): void => {
        if (stopping) {
          log.warn('second signal: exiting now', { signal });
          process.exit(1);
        }
        stopping = true;
        log.info('shutting down', { signal });
        node.close().then(
          () => process.exit(0),
          (e: unknown) => {
            log.error('error during shutdown', { error: (e as Error).message });
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
      // Printed last, so a supervisor that signals as soon as it reads this line reaches the handlers above.
      process.stdout.write(JSON.stringify({ event: 'listening', http: node.httpUrl, dicomweb: node.dicomwebUrl, dimsePort: node.dimse?.port ?? null, dimseTlsPort: node.dimse?.tlsPort ?? null, pid: process.pid }) + '\n');
    });
}
