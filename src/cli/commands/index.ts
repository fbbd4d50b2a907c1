import type { Command } from 'commander';
import { registerAuditCommand } from './audit';
import { registerCheckCommand } from './check';
import { registerClassifyCommand } from './classify';
import { registerConfigCommand } from './config';
import { registerDemoCommand } from './demo';
import { registerEchoCommand } from './echo';
import { registerInferCommand } from './infer';
import { registerJobsCommands } from './jobs';
import { registerProcessCommand } from './process';
import { registerSecretCommand } from './secret';
import { registerServeCommand } from './serve';
import { registerSynthCommand } from './synth';

/** Every subcommand's register function. Add new commands here. */
export const commands: Array<(program: Command) => void> = [registerConfigCommand, registerServeCommand, registerJobsCommands, registerCheckCommand, registerEchoCommand, registerClassifyCommand, registerInferCommand, registerProcessCommand, registerSynthCommand, registerDemoCommand, registerSecretCommand, registerAuditCommand];
