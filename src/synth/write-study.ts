/**
 * Writes a synthesised study to disk (the only side effect of the generator):
 *   OUT/dicom/<NNNN_SeriesDescription>/IMnnnn.dcm
 *   OUT/ground-truth/labels.nii.gz   label volume, NIfTI-1 with RAS sform/qform
 *   OUT/ground-truth/labels.u8       the same voxels raw (i fastest; numpy: reshape(nz, ny, nx))
 *   OUT/ground-truth/labels.json     geometry (LPS affine), label names, per-label volumes, lesions
 *   OUT/ground-truth/brain-mask.nii.gz  ground-truth brain mask (brain + tumour), same grid as labels
 *   OUT/ground-truth/truth.json      class labels, features, roles -> SeriesInstanceUIDs, series list
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { brainMaskVolume, LABEL_NAMES, labelStats, labelVolume, truthJson } from './ground-truth';
import { encodeNifti, lpsToRasAffine } from './nifti-writer';
import type { SynthStudy } from './study';

export interface WrittenStudy {
  outDir: string;
  dicomFiles: number;
  truthPath: string;
  labelsPath: string;
}

export function writeStudy(s: SynthStudy, outDir: string): WrittenStudy {
  const dicomDir = join(outDir, 'dicom');
  const gtDir = join(outDir, 'ground-truth');
  mkdirSync(dicomDir, { recursive: true });
  mkdirSync(gtDir, { recursive: true });
  for (const f of s.files) {
    const p = join(dicomDir, f.path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, f.buffer);
  }
  const vol = labelVolume(s);
  const stats = labelStats(vol);
  writeFileSync(join(gtDir, 'labels.nii.gz'), encodeNifti(vol, { gzip: true, description: 'neuro-onc-node synth labels' }));
  writeFileSync(join(gtDir, 'labels.u8'), Buffer.from(vol.data.buffer, vol.data.byteOffset, vol.data.byteLength));
  writeFileSync(join(gtDir, 'brain-mask.nii.gz'), encodeNifti(brainMaskVolume(s), { gzip: true, description: 'neuro-onc-node synth brain mask' }));
  const labelsJson = {
    file: 'labels.u8',
    dtype: 'uint8',
    order: 'i fastest (column), then j (row), then k (slice); numpy: np.fromfile(f, np.uint8).reshape(nz, ny, nx)',
    spacing: vol.spacing,
    affineLps: Array.from(vol.affine),
    affineRas: Array.from(lpsToRasAffine(vol.affine)),
    frameOfReferenceUid: vol.frameOfReferenceUid,
    values: LABEL_NAMES,
    ...stats,
  };
  writeFileSync(join(gtDir, 'labels.json'), JSON.stringify(labelsJson, null, 2) + '\n');
  const truthPath = join(gtDir, 'truth.json');
  writeFileSync(truthPath, JSON.stringify(truthJson(s, stats), null, 2) + '\n');
  return { outDir, dicomFiles: s.files.length, truthPath, labelsPath: join(gtDir, 'labels.nii.gz') };
}
