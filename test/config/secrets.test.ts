/**
 * Destination secrets from the environment and from files (destinations[].auth.password / passwordFile,
 * token / tokenFile), never printed. The configuration file holds the destination without its password.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, parseConfig } from '../../src/config/load';
import { runCli } from '../helpers/run-cli';

describe('destination secrets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'secrets-'));
  const file = join(dir, 'node.yaml');
  writeFileSync(
    file,
    ['destinations:', '  - name: pacs', '    type: dicomweb', '    url: http://pacs:8042/dicom-web', '    auth: { type: basic, username: ai-node }', '  - name: other', '    type: dimse', '    host: pacs', '    port: 104', '    aeTitle: PACS', ''].join('\n'),
  );
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes a password from NEURO_ONC__DESTINATIONS__0__AUTH__PASSWORD, keeping the file\'s other fields', () => {
    const cfg = loadConfig({ file, env: { NEURO_ONC__DESTINATIONS__0__AUTH__PASSWORD: 's3cret-from-env' } });
    expect(cfg.destinations).toHaveLength(2);
    expect(cfg.destinations[0]).toMatchObject({ name: 'pacs', url: 'http://pacs:8042/dicom-web', auth: { type: 'basic', username: 'ai-node', password: 's3cret-from-env' } });
    expect(cfg.destinations[1]).toMatchObject({ name: 'other', aeTitle: 'PACS' });
  });

  it('builds a whole destination from indexed variables when the file has none', () => {
    const cfg = loadConfig({
      env: { NEURO_ONC__DESTINATIONS__0__NAME: 'pacs', NEURO_ONC__DESTINATIONS__0__TYPE: 'dicomweb', NEURO_ONC__DESTINATIONS__0__URL: 'http://pacs/dicom-web', NEURO_ONC__DESTINATIONS__0__AUTH__TYPE: 'bearer', NEURO_ONC__DESTINATIONS__0__AUTH__TOKEN: 'tok' },
    });
    expect(cfg.destinations[0]).toMatchObject({ name: 'pacs', auth: { type: 'bearer', token: 'tok' } });
  });

  it('reads passwordFile and tokenFile (without the trailing newline)', () => {
    const pw = join(dir, 'pw');
    const tok = join(dir, 'tok');
    writeFileSync(pw, 'from-a-file\n');
    writeFileSync(tok, 'token-file\n');
    const cfg = parseConfig({
      destinations: [
        { name: 'a', type: 'dicomweb', url: 'http://a/dicom-web', auth: { type: 'basic', username: 'u', passwordFile: pw } },
        { name: 'b', type: 'dicomweb', url: 'http://b/dicom-web', auth: { type: 'bearer', tokenFile: tok } },
      ],
    });
    expect(cfg.destinations[0]).toMatchObject({ auth: { type: 'basic', username: 'u', password: 'from-a-file' } });
    expect(cfg.destinations[1]).toMatchObject({ auth: { type: 'bearer', token: 'token-file' } });
  });

  it('refuses a missing, unreadable or empty secret, or two of them, naming the field', () => {
    const d = (auth: Record<string, unknown>) => ({ destinations: [{ name: 'a', type: 'dicomweb', url: 'http://a/dicom-web', auth }] });
    expect(() => parseConfig(d({ type: 'basic', username: 'u' }))).toThrow(/destinations\.0\.auth\.password: give exactly one of password and passwordFile/);
    expect(() => parseConfig(d({ type: 'basic', username: 'u', password: 'x', passwordFile: '/x' }))).toThrow(/give exactly one of password and passwordFile/);
    expect(() => parseConfig(d({ type: 'basic', username: 'u', passwordFile: join(dir, 'absent') }))).toThrow(/destinations\.0\.auth\.passwordFile: cannot read .*absent: ENOENT/);
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n');
    expect(() => parseConfig(d({ type: 'bearer', tokenFile: empty }))).toThrow(/auth\.tokenFile: .*empty is empty/);
  });

  it('`config` prints the effective configuration without the secret', async () => {
    const r = await runCli(['config', '-c', file], { NEURO_ONC__DESTINATIONS__0__AUTH__PASSWORD: 's3cret-from-env' });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('s3cret-from-env');
    expect(JSON.parse(r.stdout).destinations[0].auth).toEqual({ type: 'basic', username: 'ai-node', password: '***' });
  });
});
