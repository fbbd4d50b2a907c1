/**
 * The distributed mode's systemd units (deploy/systemd/neuro-onc-receiver.service, neuro-onc-worker@.service), with
 * their placeholders filled as scripts/install.sh fills them, pass `systemd-analyze verify`, and start the right roles.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '..', '..');

function fill(unit: string, dir: string): string {
  const text = readFileSync(join(ROOT, 'deploy/systemd', unit), 'utf8')
    .replace(/@PREFIX@/g, join(dir, 'opt'))
    .replace(/@DATA_DIR@/g, join(dir, 'data'))
    .replace(/@CONFIG_DIR@/g, join(dir, 'etc'))
    .replace(/@USER@/g, 'root')
    .replace(/@NODE@/g, process.execPath);
  const path = join(dir, unit);
  writeFileSync(path, text);
  return path;
}

/** systemd-analyze's complaints about this unit (it exits 0 for a valid unit and prints problems on stderr). */
async function complaints(path: string, name: string): Promise<string[]> {
  const r = await run('systemd-analyze', ['verify', path]).catch((e: { stderr: string }) => ({ stderr: e.stderr }));
  return r.stderr.split('\n').filter((l) => l.includes(name));
}

describe('systemd units for the distributed mode', () => {
  const dir = mkdtempSync(join(tmpdir(), 'noo-units-'));

  test('the receiver unit verifies and runs serve --role receiver', async () => {
    const path = fill('neuro-onc-receiver.service', dir);
    expect(readFileSync(path, 'utf8')).toContain(`ExecStart=${process.execPath} ${dir}/opt/dist/cli/main.js serve --role receiver --data-dir ${dir}/data`);
    expect(await complaints(path, 'neuro-onc-receiver.service')).toEqual([]);
  });

  test('the worker template unit verifies as an instance and runs serve --role worker in its own folder', async () => {
    const template = fill('neuro-onc-worker@.service', dir);
    const text = readFileSync(template, 'utf8');
    expect(text).toContain(`serve --role worker --data-dir ${dir}/data/worker-%i`);
    expect(text).toMatch(/^Environment=NEURO_ONC__CLUSTER__WORKER__NAME=%H-%i$/m);
    const instance = join(dir, 'neuro-onc-worker@2.service');
    copyFileSync(template, instance);
    expect(await complaints(instance, 'neuro-onc-worker@2.service')).toEqual([]);
  });

  test('a broken unit makes systemd-analyze verify complain (the checks above can fail)', async () => {
    const path = fill('neuro-onc-receiver.service', mkdtempSync(join(tmpdir(), 'noo-units-bad-')));
    writeFileSync(path, readFileSync(path, 'utf8').replace('KillSignal=SIGTERM', 'KillSignal=SIGNOTHING'));
    expect((await complaints(path, 'neuro-onc-receiver.service')).join('\n')).toMatch(/KillSignal|SIGNOTHING/);
  });
});
