import type { Command } from 'commander';
import { loadConfig } from '../../config/load';
import { echo, DimseScuError } from '../../dimse-bridge/scu';
import { resolveDimsePeer, scuTimeouts, UnknownDestinationError } from '../../dimse-bridge/service';

/**
 * `neuro-onc-node echo <destination>`: C-ECHO to a configured DIMSE destination.
 * Exit 0 with the round-trip time; 1 with the specific reason (connection refused, association rejected and why,
 * timeout); 2 for an unknown or non-DIMSE destination (configuration).
 */
export function registerEchoCommand(program: Command): void {
  program
    .command('echo')
    .argument('<destination>', 'name of a destination of type dimse')
    .description('DICOM C-ECHO (verification) to a configured PACS; prints the round-trip time')
    .option('--timeout <seconds>', 'connect/association timeout in seconds')
    .action(async (destination: string, opts: { timeout?: string }) => {
      const cfg = loadConfig({ file: program.opts<{ config?: string }>().config });
      let peer;
      try {
        peer = resolveDimsePeer(cfg, destination);
      } catch (e) {
        if (!(e instanceof UnknownDestinationError)) throw e;
        process.stderr.write(`neuro-onc-node echo: ${e.message}\n`);
        process.exitCode = 2;
        return;
      }
      const t = scuTimeouts(cfg);
      if (opts.timeout) t.connectMs = t.responseMs = Number(opts.timeout) * 1000;
      try {
        const r = await echo(peer, t);
        process.stdout.write(
          `echo ${destination} (${peer.aeTitle}@${peer.host}:${peer.port}): ok, ${r.totalMs.toFixed(1)} ms round trip (C-ECHO ${r.echoMs.toFixed(1)} ms)\n`,
        );
      } catch (e) {
        const kind = e instanceof DimseScuError ? e.kind : 'error';
        process.stderr.write(`echo ${destination}: FAILED (${kind}): ${(e as Error).message}\n`);
        process.exitCode = 1;
      }
    });
}
