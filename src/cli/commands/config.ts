import type { Command } from 'commander';
import { loadConfig } from '../../config/load';

/** `neuro-onc-node config` prints the effective configuration (defaults + file + env), validated. */
export function registerConfigCommand(program: Command): void {
  program
    .command('config')
    .description('print the effective configuration as JSON (validates it; exit 2 on errors)')
    .action(() => {
      const cfg = loadConfig({ file: program.opts<{ config?: string }>().config });
      process.stdout.write(JSON.stringify(redactSecrets(cfg), null, 2) + '\n');
    });
}

function redactSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(redactSecrets);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [k, /password|token|secret/i.test(k) ? '***' : redactSecrets(x)]),
    );
  }
  return v;
}
