/**
 * The runtime-only install (scripts/install.sh) and its systemd unit: installs into a temporary prefix (no system
 * user: that would outlive the test), checks the unit with `systemd-analyze verify`, then runs the installed node
 * as the unit would (`serve` from the prefix with the written node.yaml) and stops it with SIGTERM.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ensureBuilt } from '../helpers/build';
import { freePort } from '../helpers/ports';
import { spawnNode } from '../web/child-node';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '..', '..');

describe('scripts/install.sh (runtime-only install) and the systemd unit', () => {
  let tmp: string;
  let prefix: string;
  let units: string;
  let etc: string;
  let data: string;

  beforeAll(async () => {
    await ensureBuilt();
    tmp = mkdtempSync(join(tmpdir(), 'noo-install-'));
    prefix = join(tmp, 'opt');
    units = join(tmp, 'units');
    etc = join(tmp, 'etc');
    data = join(tmp, 'data');
    await run('bash', [join(ROOT, 'scripts/install.sh'), '--prefix', prefix, '--data-dir', data, '--config-dir', etc, '--unit-dir', units, '--no-user'], {
      cwd: ROOT,
      maxBuffer: 16 << 20,
    });
  }, 300_000);

  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  test('installs the node with production packages only, and this platform only', () => {
    expect(existsSync(join(prefix, 'dist/cli/main.js'))).toBe(true);
    expect(existsSync(join(prefix, 'models/glioma-mtl/model.onnx'))).toBe(true);
    const modules = join(prefix, 'node_modules');
    for (const dev of ['typescript', 'jest', 'playwright-core', 'onnxruntime-web', 'eslint', 'dicom-parser']) {
      expect(existsSync(join(modules, dev))).toBe(false);
    }
    for (const prod of ['onnxruntime-node', 'better-sqlite3', 'dcmjs', 'express']) expect(existsSync(join(modules, prod))).toBe(true);
    const napi = readdirSync(join(modules, 'onnxruntime-node/bin'));
    for (const v of napi) expect(readdirSync(join(modules, 'onnxruntime-node/bin', v))).toEqual([process.platform]);
    expect(existsSync(join(prefix, 'dist/bench'))).toBe(false);
  });

  test('writes a node.yaml with the chosen paths and a unit that systemd-analyze verifies', async () => {
    const yaml = readFileSync(join(etc, 'node.yaml'), 'utf8');
    expect(yaml).toContain(`dataDir: ${data}`);
    expect(yaml).toContain(`dir: ${prefix}/models`);
    expect(yaml).not.toMatch(/@[A-Z_]+@/);
    const unitPath = join(units, 'neuro-onc-node.service');
    const unit = readFileSync(unitPath, 'utf8');
    expect(unit).not.toMatch(/@[A-Z_]+@/);
    expect(unit).toMatch(/^User=neuro-onc$/m);
    expect(unit).toContain(`ExecStart=${process.execPath} ${prefix}/dist/cli/main.js serve --data-dir ${data}`);
    expect(unit).toMatch(/^KillSignal=SIGTERM$/m);
    expect(unit).toMatch(/^StandardOutput=journal$/m);
    const { stderr } = await run('systemd-analyze', ['verify', unitPath]);
    // verify exits 0 for a valid unit and prints its complaints (unknown keys, bad values) on stderr.
    expect(stderr.split('\n').filter((l) => l.includes('neuro-onc-node.service'))).toEqual([]);
  });

  test('a broken unit makes systemd-analyze verify complain (the check above can fail)', async () => {
    const bad = join(tmp, 'bad.service');
    const unit = readFileSync(join(units, 'neuro-onc-node.service'), 'utf8').replace('KillSignal=SIGTERM', 'KillSignal=SIGNOTHING');
    writeFileSync(bad, unit);
    const r = await run('systemd-analyze', ['verify', bad]).catch((e: { stderr: string }) => ({ stderr: e.stderr }));
    expect(r.stderr).toMatch(/KillSignal|SIGNOTHING/);
  });

  test('--version prints the node version and its models with verified weights', async () => {
    const { stdout } = await run(process.execPath, [join(prefix, 'bin/neuro-onc-node.js'), '-c', join(etc, 'node.yaml'), '--version']);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(stdout).toContain(`neuro-onc-node ${pkg.version}`);
    expect(stdout).toMatch(/^ {2}glioma-mtl \S+ {2}ok$/m);
    expect(stdout).toMatch(/^ {2}brainmets-egfr \S+ {2}ok$/m);
    expect(stdout).toMatch(/execution providers: configured cuda -> webgpu -> cpu/);
    expect(stdout).toMatch(/^started on this host: .*cpu$/m);
  });

  test('the installed node serves from the prefix with the written config and stops cleanly on SIGTERM', async () => {
    const httpPort = await freePort();
    const dimsePort = await freePort();
    const node = await spawnNode(() => [join(prefix, 'dist/cli/main.js'), 'serve', '--data-dir', data], {
      NEURO_ONC_CONFIG: join(etc, 'node.yaml'),
      NEURO_ONC__HTTP__PORT: String(httpPort),
      NEURO_ONC__DIMSE__PORT: String(dimsePort),
    });
    const health = await fetch(`${node.httpUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(existsSync(join(data, 'index.sqlite')) || readdirSync(data).length > 0).toBe(true);
    node.proc.kill('SIGTERM');
    const exit = await node.exited;
    expect(exit).toEqual({ code: 0, signal: null });
  });
});
