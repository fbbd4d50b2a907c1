import type { Command } from 'commander';
import { loadConfig } from '../../config/load';
import { AuditLogMissing, verifyLog } from '../../audit/verify';

/**
 * `neuro-onc-node audit verify [--data-dir <dir>] [--json]`: checks the audit log's hash chain and the anchors in the
 * database (docs/audit.md). Exit 0 when intact; 1 when any record was edited, removed, reordered or the log was
 * rewritten or cut off (each break printed with its line and record number); 2 when there is no log to check.
 */
export function registerAuditCommand(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit trail (docs/audit.md)');
  audit
    .command('verify')
    .description('check that no audit record was edited, removed or reordered; exit 1 and say where if one was')
    .option('--data-dir <dir>', 'data folder (overrides node.dataDir)')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { dataDir?: string; json?: boolean }) => {
      const dataDir = opts.dataDir ?? loadConfig({ file: program.opts<{ config?: string }>().config }).node.dataDir;
      let report;
      try {
        report = await verifyLog(dataDir);
      } catch (e) {
        if (!(e instanceof AuditLogMissing)) throw e;
        process.stderr.write(`neuro-onc-node: ${e.message}\n`);
        process.exit(2);
      }
      if (opts.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
      else if (report.ok) {
        process.stdout.write(`audit log intact: ${report.records} record(s), last #${report.head?.seq ?? 0} ${report.head?.hash ?? ''}, ${report.anchorsChecked} anchor(s) match (${report.path})\n`);
      } else {
        process.stdout.write(`audit log NOT intact (${report.path}): ${report.problems.length} problem(s)\n`);
        for (const p of report.problems) process.stdout.write(`  ${p.kind}: ${p.message}\n`);
      }
      if (!report.ok) process.exitCode = 1;
    });
}
