/**
 * `neuro-onc-node` command line. Each subcommand lives in src/cli/commands/<name>.ts and registers itself here.
 * Errors: a ConfigError or other known error prints one clear line and exits 2; anything else exits 1.
 */
import { Command } from 'commander';
import { ConfigError } from '../config/load';
import { commands } from './commands';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('neuro-onc-node')
    .description('AI node for brain-tumour MRI (research use only)')
    .option('-c, --config <file>', 'configuration file (JSON or YAML); also NEURO_ONC_CONFIG')
    .showHelpAfterError();
  for (const register of commands) register(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`neuro-onc-node: ${e.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`neuro-onc-node: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  }
}

if (require.main === module) {
  void main(process.argv);
}
