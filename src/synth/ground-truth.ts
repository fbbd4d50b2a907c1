/**
 * Ground truth of a synthetic study: the label volume in patient space (its own grid = the anatomy grid carried
 * through the head pose, so its affine is the pose times the template affine), label statistics per value and per
 * lesion, and truth.json (class labels, imaging features, which series plays which role, UIDs).
 *
 * Label convention: 0 background, 1 necrotic / non-enhancing tumour core (NCR/NET), 2 peritumoural oedema /
 * infiltrated T2-FLAIR-hyperintense tissue (ED), 3 enhancing tumour (ET). Regions: WT = 1+2+3, TC = 1+3, ET = 3.
 * Metastases: GTV = enhancing + necrotic = labels 1 and 3 (the brain-metastasis GTV convention), oedema excluded.
 */
import type { Vec3, Volume } from '../imaging/volume';
import { multiply } from './geometry';
import type { SynthStudy } from './study';

export const LABEL_NAMES: Record<number, string> = {
  1: 'NCR/NET (necrotic or non-enhancing tumour core)',
  2: 'ED (oedema / infiltrated T2-FLAIR-hyperintense tissue)',
  3: 'ET (enhancing tumour)',
};

export interface LesionStats {
  /** 1-based component index (26-connected components of labels 1+3, i.e. the tumour core / GTV). */
  index: number;
  voxels: number;
  volumeMl: number;
  /** Centroid in patient LPS mm. */
  centroid: Vec3;
}

export interface LabelStats {
  dims: Vec3;
  /** Voxel -> patient LPS mm, row-major 4x4. */
  affine: number[];
  voxelVolumeMl: number;
  counts: Record<'0' | '1' | '2' | '3', number>;
  volumesMl: { ncr: number; ed: number; et: number; wt: number; tc: number; gtv: number };
  lesions: LesionStats[];
}

/** The label map as a patient-space Volume. */
export function labelVolume(s: SynthStudy): Volume<Uint8Array> {
  const anat = s.caseModel.anatomy;
  const affine = multiply(s.pose.matrix, anat.affine);
  const spacing = [0, 1, 2].map((c) => Math.hypot(affine[c]!, affine[4 + c]!, affine[8 + c]!)) as Vec3;
  return { dims: [...anat.dims] as Vec3, spacing, affine, data: s.caseModel.labels, frameOfReferenceUid: s.study.frameOfReferenceUid };
}

/**
 * Ground-truth brain mask in patient space, on the label grid: the (warped) template brain plus every tumour voxel
 * (a brain extraction that cuts a tumour out is wrong, whatever the atlas says).
 */
export function brainMaskVolume(s: SynthStudy): Volume<Uint8Array> {
  const labels = labelVolume(s);
  const brain = s.caseModel.anatomy.brain;
  const data = new Uint8Array(brain.length);
  for (let i = 0; i < data.length; i++) data[i] = brain[i] || labels.data[i] ? 1 : 0;
  return { ...labels, data };
}

/** 26-connected components of the mask (labels where mask is true), as an Int32 component map. */
export function components(dims: Vec3, mask: (idx: number) => boolean): { map: Int32Array; count: number } {
  const [nx, ny, nz] = dims;
  const map = new Int32Array(nx * ny * nz);
  const stack: number[] = [];
  let count = 0;
  for (let start = 0; start < map.length; start++) {
    if (map[start] || !mask(start)) continue;
    count++;
    map[start] = count;
    stack.push(start);
    while (stack.length) {
      const idx = stack.pop()!;
      const i = idx % nx;
      const j = Math.floor(idx / nx) % ny;
      const k = Math.floor(idx / (nx * ny));
      for (let dk = -1; dk <= 1; dk++) {
        const c = k + dk;
        if (c < 0 || c >= nz) continue;
        for (let dj = -1; dj <= 1; dj++) {
          const b = j + dj;
          if (b < 0 || b >= ny) continue;
          for (let di = -1; di <= 1; di++) {
            const a = i + di;
            if (a < 0 || a >= nx) continue;
            const n = a + nx * (b + ny * c);
            if (!map[n] && mask(n)) {
              map[n] = count;
              stack.push(n);
            }
          }
        }
      }
    }
  }
  return { map, count };
}

export function labelStats(vol: Volume<Uint8Array>): LabelStats {
  const counts = { '0': 0, '1': 0, '2': 0, '3': 0 };
  for (const v of vol.data) counts[String(v) as '0']++;
  const [sx, sy, sz] = vol.spacing;
  const ml = (sx * sy * sz) / 1000;
  const { map, count } = components(vol.dims, (i) => vol.data[i] === 1 || vol.data[i] === 3);
  const acc = Array.from({ length: count }, () => ({ n: 0, i: 0, j: 0, k: 0 }));
  const [nx, ny] = vol.dims;
  for (let idx = 0; idx < map.length; idx++) {
    const c = map[idx]!;
    if (!c) continue;
    const a = acc[c - 1]!;
    a.n++;
    a.i += idx % nx;
    a.j += Math.floor(idx / nx) % ny;
    a.k += Math.floor(idx / (nx * ny));
  }
  const A = vol.affine;
  const lesions = acc
    .map((a, n) => {
      const [i, j, k] = [a.i / a.n, a.j / a.n, a.k / a.n];
      const centroid: Vec3 = [
        A[0]! * i + A[1]! * j + A[2]! * k + A[3]!,
        A[4]! * i + A[5]! * j + A[6]! * k + A[7]!,
        A[8]! * i + A[9]! * j + A[10]! * k + A[11]!,
      ];
      return { index: n + 1, voxels: a.n, volumeMl: a.n * ml, centroid };
    })
    .sort((a, b) => b.voxels - a.voxels)
    .map((l, n) => ({ ...l, index: n + 1 }));
  return {
    dims: vol.dims, affine: Array.from(vol.affine), voxelVolumeMl: ml, counts,
    volumesMl: {
      ncr: counts['1'] * ml, ed: counts['2'] * ml, et: counts['3'] * ml,
      wt: (counts['1'] + counts['2'] + counts['3']) * ml, tc: (counts['1'] + counts['3']) * ml, gtv: (counts['1'] + counts['3']) * ml,
    },
    lesions,
  };
}

/** truth.json: everything a test or a trainer needs to know about the study, without the pixels. */
export function truthJson(s: SynthStudy, stats: LabelStats): Record<string, unknown> {
  const plan = s.caseModel.plan;
  const roles: Record<string, unknown> = {};
  for (const r of s.series) {
    if (r.role !== 'other') roles[r.role] = { seriesInstanceUid: r.seriesInstanceUid, seriesNumber: r.seriesNumber, folder: r.folder, ...(r.motion ? { motion: r.motion } : {}) };
  }
  return {
    generator: 'neuro-onc-node synth v1',
    intendedUse: 'research use only: synthetic data from real anatomy (Colin27 / mricron-data ch2), not patient data',
    seed: s.seed,
    options: s.options,
    classes: plan.classes,
    imagingFeatures: plan.features,
    patient: { age: s.patient.age, sex: s.patient.sex },
    scanner: {
      vendor: s.scanner.vendor, manufacturer: s.scanner.manufacturer, model: s.scanner.model,
      fieldStrength: s.scanner.fieldStrength, writesEnhanced: s.scanner.writesEnhanced,
    },
    studyInstanceUid: s.study.studyInstanceUid,
    frameOfReferenceUid: s.study.frameOfReferenceUid,
    contrastInjectionTime: s.contrastInjectionTime,
    anatomyVariation: s.variation ? { amplitudeMm: s.variation.amplitudeMm, headScale: s.variation.headScale } : null,
    pose: { rotationDeg: s.pose.rotationDeg, scale: s.pose.scale, centre: s.pose.centre, matrix: Array.from(s.pose.matrix) },
    roles,
    missingRoles: (['t1', 't1ce', 't2', 'flair'] as const).filter((r) => !roles[r]),
    series: s.series,
    labels: {
      values: LABEL_NAMES,
      regions: { WT: [1, 2, 3], TC: [1, 3], ET: [3], GTV: [1, 3] },
      volumesMl: stats.volumesMl,
      lesionCount: stats.lesions.length,
    },
  };
}
