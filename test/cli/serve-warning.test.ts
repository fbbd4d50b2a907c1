/** `serve` with nowhere to deliver says so at start (the node still runs: results stay on it). */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');

function serveUntilListening(env: NodeJS.ProcessEnv): Promise<{ stderr: string; code: number | null }> {
  const dir = mkdtempSync(join(tmpdir(), 'serve-warn-'));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', join(ROOT, 'test/helpers/ts-register.js'), join(ROOT, 'src/cli/main.ts'), 'serve', '--port', '0', '--data-dir', dir], {
      cwd: ROOT,
      env: { ...process.env, NEURO_ONC_CONFIG: '', LOG_LEVEL: 'warn', LOG_FORMAT: 'json', NEURO_ONC__DIMSE__ENABLED: 'false', NEURO_ONC__MODELS__DIR: join(dir, 'no-models'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('"event":"listening"')) child.kill('SIGTERM');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      rmSync(dir, { recursive: true, force: true });
      resolve({ stderr, code });
    });
  });
}

describe('serve without delivery destinations', () => {
  it('warns at start that results stay on the node', async () => {
    const r = await serveUntilListening({});
    expect(r.stderr).toMatch(/no delivery destination configured \(delivery\.to is empty\): results stay on this node and jobs show \\"done \(not delivered\)\\"/);
  }, 90_000);

  it('does not warn when a destination receives results', async () => {
    const r = await serveUntilListening({ NEURO_ONC__DESTINATIONS: '[{"name":"pacs","type":"dicomweb","url":"http://127.0.0.1:9/dicom-web"}]', NEURO_ONC__DELIVERY__TO: '["pacs"]' });
    expect(r.stderr).not.toMatch(/no delivery destination/);
    expect(r.code).toBe(0);
  }, 90_000);
});
