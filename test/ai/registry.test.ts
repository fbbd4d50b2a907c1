/** @jest-environment ./test/ai/ort-environment.js */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelPackageError } from '../../src/ai/errors';
import { loadPackage, ModelRegistry, routeStudy, warmUp } from '../../src/ai/registry';
import { DeviceQueue, openSession } from '../../src/ai/runtime';
import { parseConfig } from '../../src/config/load';

const FIX = join(__dirname, '../fixtures/models');
const cpu = { executionProviders: ['cpu'] as ('cpu' | 'cuda')[], intraOpNumThreads: 1 };
let work: string;

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'ai-registry-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

function copyPackage(name: string, as = name): string {
  const dst = join(work, as);
  cpSync(join(FIX, name), dst, { recursive: true });
  return dst;
}
function editManifest(dir: string, edit: (m: Record<string, any>) => void): void { // eslint-disable-line @typescript-eslint/no-explicit-any
  const p = join(dir, 'manifest.json');
  const m = JSON.parse(readFileSync(p, 'utf8'));
  edit(m);
  writeFileSync(p, JSON.stringify(m));
}
async function loadError(dir: string): Promise<ModelPackageError> {
  try {
    const m = await loadPackage(dir, cpu);
    await m.session.release();
  } catch (e) {
    return e as ModelPackageError;
  }
  throw new Error('package loaded but should not have');
}

describe('model package checks', () => {
  it('loads a good package with a warm session', async () => {
    const m = await loadPackage(join(FIX, 'tiny-glioma'), cpu);
    expect(m.name).toBe('tiny-glioma');
    expect(m.executionProvider).toBe('cpu');
    expect(m.sha256).toBe(m.manifest.model.sha256);
    expect(m.session.inputNames).toEqual(['image', 'modality_mask']);
    await m.session.release();
  });

  it('rejects a tampered model file (sha256)', async () => {
    const dir = copyPackage('tiny-glioma');
    appendFileSync(join(dir, 'model.onnx'), Buffer.from([0]));
    const e = await loadError(dir);
    expect(e.reason).toBe('sha256-mismatch');
    expect(e.message).toMatch(/model package tiny-glioma .*: sha256 of model\.onnx is [0-9a-f]{64}, manifest says 9ff7e813/);
  });

  it('rejects a tampered manifest hash', async () => {
    const dir = copyPackage('tiny-glioma');
    editManifest(dir, (m) => (m.model.sha256 = '0'.repeat(64)));
    expect((await loadError(dir)).reason).toBe('sha256-mismatch');
  });

  it('names a wrong input name and lists the graph inputs', async () => {
    const dir = copyPackage('tiny-glioma');
    editManifest(dir, (m) => (m.inputs.image.name = 'images'));
    const e = await loadError(dir);
    expect(e.reason).toBe('graph-mismatch');
    expect(e.message).toContain('image input "images" is not an input of the graph (graph inputs: image, modality_mask)');
    expect(e.message).toContain('graph input "image" is not declared in the manifest');
  });

  it('names a wrong rank (manifest vs graph)', async () => {
    const dir = copyPackage('tiny-glioma');
    editManifest(dir, (m) => {
      delete m.outputs.segmentation;
      m.outputs.heads[0].name = 'seg_logits'; // rank 5 in the graph, declared [N,2]
    });
    const e = await loadError(dir);
    expect(e.reason).toBe('graph-mismatch');
    expect(e.message).toContain('head "idh" output "seg_logits": manifest rank 2 [N,2], graph rank 5');
  });

  it('names a wrong fixed dimension', async () => {
    const dir = copyPackage('tiny-glioma');
    editManifest(dir, (m) => {
      m.outputs.heads[2].kind = 'generic';
      m.outputs.heads[2].shape = ['N', 4];
      m.outputs.heads[2].classes = [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd' }];
    });
    const e = await loadError(dir);
    expect(e.reason).toBe('graph-mismatch');
    expect(e.message).toContain('head "grade" output "grade_logits": dimension 1 is 4 in the manifest, 3 in the graph');
  });

  it('a schema error is reported before the graph is opened', async () => {
    const dir = copyPackage('tiny-glioma');
    editManifest(dir, (m) => (m.outputs.heads[0].shape = ['N', 2, 1]));
    const e = await loadError(dir);
    expect(e.reason).toBe('manifest-invalid');
    expect(e.message).toMatch(/outputs\.heads\.0\.shape/);
  });

  it('names fixed sizes that disagree with the graph and the patch', async () => {
    const dir = copyPackage('tiny-regions');
    // The graph's input is [N,4,16,16,16] (ijk axes); claim a patch of 16x16x8.
    editManifest(dir, (m) => {
      m.inputs.image.shape = ['N', 4, 16, 16, 8];
      m.tiling.patchSize = [16, 16, 8];
    });
    const e = await loadError(dir);
    expect(e.message).toContain('image input "input": dimension 4 is 8 in the manifest, 16 in the graph');
    expect(e.message).toContain('graph dimension 4 is fixed at 16 but the patch gives 8');
  });

  it('refuses contract-only manifests (sha256 null)', async () => {
    const dir = join(work, 'gmmas');
    cpSync(join(__dirname, '../../models/examples/gmmas.manifest.json'), join(work, 'x.json'));
    require('node:fs').mkdirSync(dir); // eslint-disable-line @typescript-eslint/no-require-imports
    cpSync(join(work, 'x.json'), join(dir, 'manifest.json'));
    const e = await loadError(dir);
    expect(e.reason).toBe('no-weights');
  });

  it('a broken package is reported and skipped, the others load', async () => {
    copyPackage('tiny-glioma');
    copyPackage('tiny-mets');
    const bad = copyPackage('tiny-regions');
    writeFileSync(join(bad, 'manifest.json'), '{ not json');
    const reg = await ModelRegistry.load(work, cpu);
    expect(reg.names().sort()).toEqual(['tiny-glioma', 'tiny-mets']);
    const r = reg.reports.find((x) => !x.ok)!;
    expect(r.reason).toBe('manifest-unreadable');
    expect(r.dir).toBe(bad);
    await reg.close();
  });

  it('warm-up feeds a window of the declared shape to every model (kji dynamic and ijk fixed shapes)', async () => {
    copyPackage('tiny-glioma');
    copyPackage('tiny-regions');
    const reg = await ModelRegistry.load(work, { ...cpu, warmUp: true });
    expect(reg.names()).toEqual(['tiny-glioma', 'tiny-regions']);
    for (const n of reg.names()) expect(await warmUp(reg.get(n)!)).toBeGreaterThan(0);
    await reg.close();
  });

  it('warm-up can be limited to the models routing can choose (the others load unwarmed)', async () => {
    copyPackage('tiny-glioma');
    copyPackage('tiny-regions');
    const reg = await ModelRegistry.load(work, { ...cpu, warmUp: ['tiny-regions'] });
    expect(reg.names()).toEqual(['tiny-glioma', 'tiny-regions']);
    expect(reg.reports.find((r) => r.name === 'tiny-glioma')!.warmUpMs).toBeUndefined();
    expect(reg.reports.find((r) => r.name === 'tiny-regions')!.warmUpMs).toBeGreaterThanOrEqual(0);
    await reg.close();
  });

  it('a missing models folder gives an empty registry', async () => {
    const reg = await ModelRegistry.load(join(work, 'nope'), cpu);
    expect(reg.names()).toEqual([]);
  });
});

describe('execution providers', () => {
  it('requesting cuda on a host without the CUDA provider falls back to cpu and says why', async () => {
    const s = await openSession(join(FIX, 'tiny-glioma/model.onnx'), { executionProviders: ['cuda', 'cpu'], intraOpNumThreads: 1 });
    expect(s.executionProvider).toBe('cpu');
    expect(s.fallbacks).toHaveLength(1);
    expect(s.fallbacks[0]).toMatch(/^cuda: /);
    await s.session.release();
  });

  it('cuda alone fails with a message naming the provider', async () => {
    await expect(openSession(join(FIX, 'tiny-glioma/model.onnx'), { executionProviders: ['cuda'], intraOpNumThreads: 1 })).rejects.toThrow(
      /no execution provider could load .*model\.onnx: cuda: /,
    );
  });
});

describe('routing', () => {
  const rules = [
    { model: 'glioma-mtl', whenRoles: ['flair' as const] },
    { model: 'glioma-mtl', whenRoles: ['t2' as const] },
    { model: 'brainmets-egfr', whenRoles: ['t1ce' as const], whenStudyMatches: 'metasta|mets\\b|secondar' },
  ];
  const all = new Set(['glioma-mtl', 'brainmets-egfr']);
  it('chooses by roles and by StudyDescription/ReasonForStudy', () => {
    expect(routeStudy(rules, { roles: ['t1', 't2'] }, all).models).toEqual(['glioma-mtl']);
    expect(routeStudy(rules, { roles: ['t1ce', 'flair'], studyDescription: 'MRT Schädel Metastasen' }, all).models).toEqual(['glioma-mtl', 'brainmets-egfr']);
    expect(routeStudy(rules, { roles: ['t1ce'], reasonForStudy: 'lung ca, r/o METS' }, all).models).toEqual(['brainmets-egfr']);
    expect(routeStudy(rules, { roles: ['t1ce'], studyDescription: 'routine brain' }, all).models).toEqual([]);
    expect(routeStudy(rules, { roles: ['t1ce'], requested: ['brainmets-egfr'] }, all).models).toEqual(['brainmets-egfr']);
  });
  it('reports rules whose model is not loaded', () => {
    const d = routeStudy(rules, { roles: ['flair'], requested: ['nope'] }, new Set(['brainmets-egfr']));
    expect(d.models).toEqual([]);
    expect(d.skipped).toEqual([
      'glioma-mtl: routing rule matched (roles flair) but the model is not loaded',
      'nope: requested but the model is not loaded',
    ]);
  });
});

describe('device queue', () => {
  it('runs one job per device at a time, FIFO, devices independent', async () => {
    const q = new DeviceQueue(1);
    const log: string[] = [];
    let concurrent = 0;
    let maxConcurrent = 0;
    const job = (name: string, ms: number) => async () => {
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      log.push(`start ${name}`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`end ${name}`);
      concurrent--;
      return name;
    };
    const results = await Promise.all([q.run('cpu', job('a', 30)), q.run('cpu', job('b', 5)), q.run('cpu', job('c', 5))]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(maxConcurrent).toBe(1);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    // A failing job releases the device.
    await expect(q.run('cpu', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(q.active('cpu')).toBe(0);
    // Two devices run side by side.
    const order: string[] = [];
    await Promise.all([
      q.run('cpu', async () => { order.push('cpu start'); await new Promise((r) => setTimeout(r, 20)); order.push('cpu end'); }),
      q.run('cuda', async () => { order.push('cuda start'); order.push('cuda end'); }),
    ]);
    expect(order.indexOf('cuda end')).toBeLessThan(order.indexOf('cpu end'));
  });
});

describe('routing configuration', () => {
  it('rejects an invalid whenStudyMatches regex at config load, naming the field', () => {
    expect(() => parseConfig({ models: { routing: [{ model: 'x', whenStudyMatches: 'mets(' }] } })).toThrow(/models\.routing\.0\.whenStudyMatches: not a valid regular expression/);
    expect(parseConfig({}).models.routing.map((r) => r.model)).toEqual(['glioma-mtl', 'glioma-mtl', 'brainmets-egfr']);
  });
});
