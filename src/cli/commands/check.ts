import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { checkConformance, formatReport } from '../../encoders/conformance/check-objects';

/** Files under the given paths (folders are walked recursively). */
function expand(paths: string[]): string[] {
  return paths.flatMap((p) =>
    statSync(p).isDirectory() ? expand(readdirSync(p).sort().map((f) => join(p, f))) : [p],
  );
}

/**
 * `neuro-onc-node check <files|folders...>`: validates SEG/SR/SC/PDF objects (dciodvfy, dsrdump, dcsrdump,
 * dcentvfy and our structural checks; conformance/README.md). Pass the source images too so references and
 * geometry resolve. Exit 0 when conformant, 1 when any error is found.
 */
export function registerCheckCommand(program: Command): void {
  program
    .command('check')
    .description('validate produced DICOM objects (plus their sources) against the conformance statement')
    .argument('<paths...>', 'DICOM files or folders: outputs and, ideally, their source images')
    .option('--no-validators', 'structural checks only (skip dciodvfy/dsrdump/dcsrdump/dcentvfy)')
    .option('--json', 'print the report as JSON')
    .action(async (paths: string[], opts: { validators: boolean; json?: boolean }) => {
      const report = await checkConformance(expand(paths), { validators: opts.validators });
      process.stdout.write((opts.json ? JSON.stringify(report, null, 2) : formatReport(report)) + '\n');
      if (!report.ok) process.exitCode = 1;
    });
}
