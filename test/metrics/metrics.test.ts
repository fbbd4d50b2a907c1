/**
 * GET /metrics (Prometheus text format) on a real node: instances sent with STOW-RS and with DCMTK storescu, a
 * study marked ready and its job finished; every figure is checked against what was done, and `promtool check
 * metrics` (Prometheus, from Debian) lints the output.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { multipartContentType, multipartRelated, syntheticMrStudy } from '../../src/testing/synthetic-mr';
import { exposition } from '../../src/metrics/metrics';
import { runTool } from '../helpers/dcmtk';
import { writeMrStudy } from '../dimse-bridge/helpers/mr-study';
import { startTestNode, type TestNode } from '../web/node-fixture';

/** name{labels} -> value, from the text format; also checks every sample line's shape. */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (-?[0-9.e+]+|NaN)$/.exec(line);
    if (!m) throw new Error(`not a metric line: ${line}`);
    out.set(m[1]!, Number(m[2]));
  }
  return out;
}

describe('exposition', () => {
  it('writes HELP, TYPE and samples with escaped label values', () => {
    const text = exposition([{ name: 'x_total', help: 'a\nb', type: 'counter', samples: [{ labels: { k: 'q"u\\o\nte' }, value: 3 }, { value: 1.5 }] }]);
    expect(text).toBe('# HELP x_total a\\nb\n# TYPE x_total counter\nx_total{k="q\\"u\\\\o\\nte"} 3\nx_total 1.5\n');
  });
});

describe('GET /metrics on a node', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await startTestNode({ dimse: { enabled: true, host: '127.0.0.1', port: 0 } });
  });
  afterAll(async () => node?.destroy());

  it('counts what was received, stored and processed', async () => {
    const before = parse(await (await fetch(`${node.httpUrl}/metrics`)).text());
    expect(before.get('neuro_onc_store_instances')).toBe(0);
    expect(before.get('neuro_onc_disk_accepting')).toBe(1);

    const insts = syntheticMrStudy({ seed: 'metrics', series: 2, slicesPerSeries: 3 });
    const r = await fetch(`${node.dicomwebUrl}/studies`, { method: 'POST', headers: { 'Content-Type': multipartContentType('m'), Accept: 'application/dicom+json' }, body: multipartRelated(insts.map((i) => i.bytes), 'm') });
    expect(r.status).toBe(200);
    const dir = mkdtempSync(join(tmpdir(), 'metrics-'));
    try {
      const files = writeMrStudy(dir, { series: 1, slices: 2 });
      expect((await runTool('storescu', ['-aec', 'NEUROONC', '127.0.0.1', String(node.dimse!.port), ...files.map((f) => f.path)])).code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await fetch(`${node.httpUrl}/api/studies/${insts[0]!.studyInstanceUid}/ready`, { method: 'POST' });
    const job = node.jobs.list({ studyUid: insts[0]!.studyInstanceUid })[0]!;
    await node.jobs.waitFor(job.id, ['done']);

    const res = await fetch(`${node.httpUrl}/metrics`);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    // Prometheus's own linter (Debian prometheus package) reads it: format, HELP/TYPE, naming conventions.
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${lint.stdout}${lint.stderr}`.trim()).toBe('');
    expect(lint.status).toBe(0);
    const m = parse(text);
    expect(m.get('neuro_onc_store_instances')).toBe(8);
    expect(m.get('neuro_onc_store_bytes')).toBe(node.store.listInstances({}).reduce((a, x) => a + x.sizeBytes, 0));
    expect(m.get('neuro_onc_instances_received_total{source="stow"}')).toBe(6);
    expect(m.get('neuro_onc_instances_received_total{source="dimse"}')).toBe(2);
    expect(m.get('neuro_onc_jobs{state="done"}')).toBe(1);
    expect(m.get('neuro_onc_jobs{state="failed"}')).toBe(0);
    expect(m.get('neuro_onc_studies{state="ready"}')).toBe(1);
    expect(m.get('neuro_onc_studies{state="receiving"}')).toBe(1);
    expect(m.get('neuro_onc_dimse_associations')).toBe(0);
    expect(m.get('neuro_onc_disk_free_bytes')).toBeGreaterThan(0);
  });
});
