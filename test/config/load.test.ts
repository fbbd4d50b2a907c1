import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, envOverrides, loadConfig, parseConfig } from '../../src/config/load';

describe('configuration', () => {
  it('an empty config gets documented defaults', () => {
    const cfg = parseConfig({});
    expect(cfg.http.port).toBe(8080);
    expect(cfg.study.quietPeriodSeconds).toBe(30);
    expect(cfg.dimse.aeTitle).toBe('NEUROONC');
    expect(cfg.models.executionProviders).toEqual(['cuda', 'webgpu', 'cpu']);
  });

  it('execution providers: webgpu accepted with its layout option; unknown names and an empty chain rejected by path', () => {
    const cfg = parseConfig({ models: { executionProviders: ['webgpu', 'cpu'], webgpu: { preferredLayout: 'NHWC' } } });
    expect(cfg.models.executionProviders).toEqual(['webgpu', 'cpu']);
    expect(cfg.models.webgpu).toEqual({ preferredLayout: 'NHWC' });
    expect(parseConfig({}).models.webgpu).toEqual({ preferredLayout: 'NCHW' });
    expect(() => parseConfig({ models: { executionProviders: ['rocm'] } })).toThrow(/models\.executionProviders\.0/);
    expect(() => parseConfig({ models: { executionProviders: [] } })).toThrow(/models\.executionProviders/);
    expect(() => parseConfig({ models: { webgpu: { deviceId: 1 } } })).toThrow(/Unrecognized key/i);
  });

  it('reads YAML and applies environment overrides on top', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'node.yaml');
    writeFileSync(file, 'http:\n  port: 9000\nstudy:\n  quietPeriodSeconds: 5\n');
    const cfg = loadConfig({ file, env: { NEURO_ONC__HTTP__PORT: '9100', NEURO_ONC__DIMSE__ALLOWED_CALLING_AE_TITLES: '["MRI1"]' } });
    expect(cfg.http.port).toBe(9100);
    expect(cfg.study.quietPeriodSeconds).toBe(5);
    expect(cfg.dimse.allowedCallingAeTitles).toEqual(['MRI1']);
  });

  it('names every bad field by its path', () => {
    expect(() => parseConfig({ http: { port: 70000 }, dimse: { aeTitle: 'WAY_TOO_LONG_AE_TITLE' } })).toThrow(ConfigError);
    try {
      parseConfig({ http: { port: 70000 }, dimse: { aeTitle: 'WAY_TOO_LONG_AE_TITLE' } });
    } catch (e) {
      expect((e as Error).message).toMatch(/http\.port/);
      expect((e as Error).message).toMatch(/dimse\.aeTitle/);
    }
  });

  it('rejects unknown keys and delivery targets that are not destinations', () => {
    expect(() => parseConfig({ htp: {} })).toThrow(/Unrecognized key/i);
    expect(() => parseConfig({ delivery: { to: ['pacs'] } })).toThrow(/unknown destination "pacs"/);
  });

  it('reports a malformed file clearly', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{ "http": ');
    expect(() => loadConfig({ file, env: {} })).toThrow(/not valid JSON/);
  });

  it('maps NEURO_ONC__SECTION__FIELD to camelCase paths', () => {
    expect(envOverrides({ NEURO_ONC__STUDY__QUIET_PERIOD_SECONDS: '2.5', OTHER: 'x' })).toEqual({ study: { quietPeriodSeconds: 2.5 } });
  });
});
