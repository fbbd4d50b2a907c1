/**
 * Runs the `neuro-onc-node` CLI from source as a real child process (TypeScript compiled on the fly by
 * test/helpers/ts-register.js), with a clean configuration environment and quiet logs.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');
const REGISTER = join(__dirname, 'ts-register.js');
const MAIN = join(ROOT, 'src/cli/main.ts');

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', REGISTER, MAIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, NEURO_ONC_CONFIG: '', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
