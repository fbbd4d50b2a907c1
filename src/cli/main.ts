/**
 * `neuro-onc-node` command line. Each subcommand lives in src/cli/commands/<name>.ts and registers itself here.
 * Exit codes (README): 0 success, 1 runtime error, 2 bad input: an unknown command or option, a missing argument
 * (commander prints the problem), a ConfigError (one clear line).
 */
import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig } from '../config/load';
import { commands } from './commands';
import { formatVersionReport, versionReport } from './version';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('neuro-onc-node')
    .description('AI node for brain-tumour MRI (research use only)')
    .option('-c, --config <file>', 'configuration file (JSON or YAML); also NEURO_ONC_CONFIG')
    .showHelpAfterError()
    // Usage errors throw instead of exiting 1, so main() can exit 2; subcommands inherit this when created.
    .exitOverride();
  for (const register of commands) register(program);
  return program;
}

/**
 * `--version` / `-V` before any subcommand (`neuro-onc-node [-c node.yaml] --version`): the config file only
 * matters for models.dir and the provider order. Returns undefined when the arguments ask for something else.
 */
function versionRequest(args: readonly string[]): { config?: string } | undefined {
  let config: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--version' || a === '-V') return config !== undefined ? { config } : {};
    if (a === '-c' || a === '--config') config = args[++i];
    else if (a?.startsWith('--config=')) config = a.slice('--config='.length);
    else return undefined; // a subcommand or another option: not a version request
  }
  return undefined;
}

export async function main(argv: string[]): Promise<void> {
  try {
    const version = versionRequest(argv.slice(2));
    if (version) {
      process.stdout.write(formatVersionReport(await versionReport(loadConfig({ file: version.config }))));
      return;
    }
    await buildProgram().parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2); // help exits 0
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
