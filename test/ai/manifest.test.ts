import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManifestError, parseManifest } from '../../src/ai/manifest';
import { segmentationWithheld } from '../../src/ai/engine';

const examplesDir = join(__dirname, '../../models/examples');
const load = (f: string): Record<string, unknown> => JSON.parse(readFileSync(join(examplesDir, f), 'utf8')) as Record<string, unknown>;

describe('model manifest schema', () => {
  const files = readdirSync(examplesDir).filter((f) => f.endsWith('.manifest.json'));

  it('has the four documented examples', () => {
    expect(files.sort()).toEqual(['brainmets-egfr.manifest.json', 'glioma-mtl.manifest.json', 'gmmas.manifest.json', 'nnunet-brats.manifest.json']);
  });

  it.each(files)('%s validates', (f) => {
    const m = parseManifest(load(f), f);
    expect(m.schemaVersion).toBe(1);
    expect(m.model.sha256).toBeNull();
  });

  it('describes GMMAS: BraTS space, FLAIR/T1ce/T1/T2, labels 0/1/2/4, 8 crops, 4 heads, prefix subsets', () => {
    const m = parseManifest(load('gmmas.manifest.json'));
    expect(m.inputs.image.channels).toEqual(['flair', 't1ce', 't1', 't2']);
    expect(m.preprocessing.space.grid.size).toEqual([240, 240, 155]);
    expect(m.preprocessing.space.kind).toBe('template');
    expect(m.tiling.mode === 'fixed-crops' && m.tiling.origins.length).toBe(8);
    expect(m.outputs.segmentation?.classes?.map((c) => c.sourceLabel)).toEqual([0, 1, 2, 4]);
    expect(m.outputs.heads.map((h) => h.kind)).toEqual(['idh', 'lgg_hgg', 'mgmt', 'codeletion_1p19q']);
    expect(m.missingModalities.supportedSubsets).toHaveLength(4);
  });

  it('names every problem by its path', () => {
    const bad = load('glioma-mtl.manifest.json');
    const inputs = bad.inputs as { image: { channels: string[]; shape: unknown[] } };
    inputs.image.channels = ['t1', 't1', 't2', 'flair'];
    (bad.outputs as { heads: { classes: { name: string }[] }[] }).heads[0]!.classes[1]!.name = 'mutated';
    (bad.model as { sha256: string }).sha256 = 'abc';
    let err: ManifestError | undefined;
    try {
      parseManifest(bad, 'bad.json');
    } catch (e) {
      err = e as ManifestError;
    }
    expect(err).toBeInstanceOf(ManifestError);
    expect(err!.message).toContain('bad.json is invalid');
    expect(err!.issues).toEqual(
      expect.arrayContaining([
        'model.sha256: 64 lower-case hex digits',
      ]),
    );
    // Structural errors stop zod before cross-field checks; fix sha and look at the rest.
    (bad.model as { sha256: null }).sha256 = null;
    expect(() => parseManifest(bad)).toThrow(/inputs\.image\.channels: role "t1" appears twice[\s\S]*outputs\.heads\.0\.classes: kind idh allows classes wildtype\/mutant, not mutated/);
  });

  it('checks fixed input sizes against the patch and crops against the grid', () => {
    const m = load('gmmas.manifest.json');
    ((m.tiling as { origins: number[][] }).origins[7] = [113, 112, 27]);
    ((m.inputs as { image: { shape: unknown[] } }).image.shape[4] = 96);
    expect(() => parseManifest(m)).toThrow(/tiling\.origins\.7: crop exceeds the grid along axis i[\s\S]*inputs\.image\.shape\.4: fixed size 96 != patch size 128/);
  });

  it('rejects a mask with drop-channels and an unknown role in minimum sets', () => {
    const m = load('gmmas.manifest.json');
    (m.inputs as Record<string, unknown>).modalityMask = { name: 'mask', dtype: 'float32', shape: ['N', 4] };
    (m.missingModalities as { minimumRoleSets: string[][] }).minimumRoleSets = [['flair'], ['t1ce', 'pd']];
    expect(() => parseManifest(m)).toThrow(/missingModalities\.minimumRoleSets\.1\.1/);
    (m.missingModalities as { minimumRoleSets: string[][] }).minimumRoleSets = [['flair']];
    expect(() => parseManifest(m)).toThrow(/inputs\.modalityMask: a modality mask only makes sense with strategy fill/);
  });

  it('segmentationRequires: withheld exactly when no listed set is present, with the reason; roles must be channels', () => {
    const glioma = parseManifest(JSON.parse(readFileSync(join(__dirname, '../../models/glioma-mtl/manifest.json'), 'utf8')));
    expect(glioma.missingModalities.segmentationRequires).toEqual([['t1', 't2', 'flair'], ['t1', 't1ce', 'flair']]);
    expect(segmentationWithheld(glioma, ['t1', 't1ce', 't2', 'flair'], [])).toBeUndefined();
    expect(segmentationWithheld(glioma, ['t1', 't2', 'flair'], ['t1ce'])).toBeUndefined();
    expect(segmentationWithheld(glioma, ['t1', 't1ce', 'flair'], ['t2'])).toBeUndefined();
    const noFlair = segmentationWithheld(glioma, ['t1', 't1ce', 't2'], ['flair']);
    expect(noFlair).toEqual({ missing: ['flair'], requires: [['t1', 't2', 'flair'], ['t1', 't1ce', 'flair']], reason: expect.stringMatching(/^segmentation withheld: FLAIR missing; glioma-mtl segments reliably only with T1\+T2\+FLAIR or T1\+T1ce\+FLAIR \(model card\)/) });
    expect(segmentationWithheld(glioma, ['t1ce', 't2', 'flair'], ['t1'])?.reason).toMatch(/T1 missing/);
    expect(segmentationWithheld(glioma, ['t1', 'flair'], ['t1ce', 't2'])?.reason).toMatch(/T1ce\+T2 missing/);
    const m = load('gmmas.manifest.json');
    (m.missingModalities as Record<string, unknown>).segmentationRequires = [['flair', 'dwi']];
    expect(() => parseManifest(m)).toThrow(/missingModalities\.segmentationRequires\.0\.1/);
  });
});
