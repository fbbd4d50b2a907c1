/**
 * Synthetic Findings + source series geometry for the encoder tests, the conformance tests and bench S7.
 * Nothing here is science: label maps are ellipsoids, probabilities are fixed numbers. It exists so that
 * encoders can be exercised on any geometry (axial, oblique, odd Rows x Columns, gaps, empty segments) without
 * running a model.
 */
import { bidimensionalOf } from '../ai/bidimensional';
import { inputGeometry, type Findings, type RegionMeasurement, type SegmentDefinition } from '../ai/findings';
import type { StudyAttributes } from '../dicom/study-attributes';
import { SopClass } from '../dicom/constants';
import { deterministicUid } from '../dicom/uids';
import { affineFromDicom, voxelToPatient, type SeriesVolume, type Vec3, type Volume } from '../imaging/volume';
import type { ModelRole } from '../series-id/roles';
import { NCIT, SCT } from '../encoders/codes';

export interface GridSpec {
  columns: number;
  rows: number;
  slices: number;
  /** [column spacing (i), row spacing (j), slice spacing (k)] in mm. */
  spacing: Vec3;
  rowCosine: Vec3;
  columnCosine: Vec3;
  origin: Vec3;
  /** Slices stored against the normal (k runs head-to-foot for axial), as some scanners export them. */
  descending?: boolean;
}

export const AXIAL: Pick<GridSpec, 'rowCosine' | 'columnCosine'> = { rowCosine: [1, 0, 0], columnCosine: [0, 1, 0] };

/** An oblique orientation: axial tilted by `deg` degrees about the patient's left-right axis, then rotated in-plane. */
export function obliqueCosines(deg: number): Pick<GridSpec, 'rowCosine' | 'columnCosine'> {
  const t = (deg * Math.PI) / 180;
  const r = (deg * 0.6 * Math.PI) / 180;
  const row: Vec3 = [Math.cos(r), Math.sin(r), 0];
  const colBase: Vec3 = [-Math.sin(r), Math.cos(r), 0];
  // tilt the column direction towards the head
  const col: Vec3 = [colBase[0] * Math.cos(t), colBase[1] * Math.cos(t), Math.sin(t)];
  return { rowCosine: row, columnCosine: col };
}

function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

export function studyHeader(studyUid: string, name = 'SYNTHETIC^PATIENT'): StudyAttributes {
  return {
    PatientName: name,
    PatientID: 'SYN-0001',
    PatientBirthDate: '19700101',
    PatientSex: 'O',
    StudyInstanceUID: studyUid,
    StudyDate: '20260101',
    StudyTime: '120000',
    StudyID: '1',
    AccessionNumber: 'ACC0001',
    ReferringPhysicianName: '',
    StudyDescription: 'MRI BRAIN TUMOUR PROTOCOL (synthetic)',
    IssuerOfPatientID: '',
  };
}

/** A series on the given grid with synthetic intensities (a bright disc per slice) and per-slice provenance. */
export function syntheticSeries(
  grid: GridSpec,
  seriesKey: string,
  frameOfReferenceUid: string,
  sopClassUid: string = SopClass.MRImage,
): SeriesVolume<Int16Array> {
  const n = cross(grid.rowCosine, grid.columnCosine);
  const sliceDir: Vec3 = grid.descending ? [-n[0], -n[1], -n[2]] : n;
  const affine = affineFromDicom(grid.origin, grid.rowCosine, grid.columnCosine, sliceDir, grid.spacing);
  const { columns: nc, rows: nr, slices: ns } = grid;
  const data = new Int16Array(nc * nr * ns);
  for (let k = 0; k < ns; k++) {
    for (let j = 0; j < nr; j++) {
      for (let i = 0; i < nc; i++) {
        const dx = (i - nc / 2) / (nc / 2);
        const dy = (j - nr / 2) / (nr / 2);
        const r2 = dx * dx + dy * dy;
        data[i + nc * (j + nr * k)] = r2 < 0.8 ? Math.round(600 + 300 * (1 - r2) + ((i * 7 + j * 3 + k) % 17)) : 0;
      }
    }
  }
  const sources = Array.from({ length: ns }, (_, k) => ({
    sopClassUid,
    sopInstanceUid: deterministicUid('synthetic-sop', seriesKey, String(k)),
    imagePositionPatient: voxelToPatient(affine, 0, 0, k),
  }));
  return {
    dims: [nc, nr, ns],
    spacing: [...grid.spacing],
    affine,
    data,
    frameOfReferenceUid,
    seriesInstanceUid: deterministicUid('synthetic-series', seriesKey),
    sources,
    imageOrientationPatient: [...grid.rowCosine, ...grid.columnCosine],
  };
}

export interface Blob {
  label: number;
  /** Centre in voxel coordinates (i, j, k) and radii in voxels. */
  centre: Vec3;
  radii: Vec3;
}

/** Label map of ellipsoids painted in order (later blobs overwrite earlier ones). */
export function ellipsoidLabelmap(ref: SeriesVolume, blobs: readonly Blob[]): Volume<Uint8Array> {
  const [nc, nr, ns] = ref.dims;
  const data = new Uint8Array(nc * nr * ns);
  for (const b of blobs) {
    const [ci, cj, ck] = b.centre;
    const [ri, rj, rk] = b.radii;
    for (let k = Math.max(0, Math.floor(ck - rk)); k <= Math.min(ns - 1, Math.ceil(ck + rk)); k++) {
      for (let j = Math.max(0, Math.floor(cj - rj)); j <= Math.min(nr - 1, Math.ceil(cj + rj)); j++) {
        for (let i = Math.max(0, Math.floor(ci - ri)); i <= Math.min(nc - 1, Math.ceil(ci + ri)); i++) {
          const d = ((i - ci) / ri) ** 2 + ((j - cj) / rj) ** 2 + ((k - ck) / rk) ** 2;
          if (d <= 1) data[i + nc * (j + nr * k)] = b.label;
        }
      }
    }
  }
  return { dims: [...ref.dims], spacing: [...ref.spacing], affine: ref.affine, data, frameOfReferenceUid: ref.frameOfReferenceUid };
}

export const GLIOMA_SEGMENTS: SegmentDefinition[] = [
  { labelValue: 1, key: 'NCR', label: 'Necrotic tumour core', category: SCT.morphologicallyAbnormalStructure, type: SCT.necrosis, anatomicRegion: SCT.brain },
  { labelValue: 2, key: 'ED', label: 'Peritumoural oedema', category: SCT.morphologicallyAbnormalStructure, type: SCT.edema, anatomicRegion: SCT.brain },
  { labelValue: 3, key: 'ET', label: 'Enhancing tumour', category: SCT.morphologicallyAbnormalStructure, type: NCIT.enhancingLesion, anatomicRegion: SCT.brain },
];

/** Region measurements computed from the label map (what the AI stage reports). */
export function regionsFromLabelmap(labelmap: Volume<Uint8Array>, segments: readonly SegmentDefinition[]): RegionMeasurement[] {
  const counts = new Map<number, number>();
  for (const v of labelmap.data) if (v) counts.set(v, (counts.get(v) ?? 0) + 1);
  const voxelMl = (labelmap.spacing[0] * labelmap.spacing[1] * labelmap.spacing[2]) / 1000;
  const region = (key: RegionMeasurement['key'], labelValues: number[]): RegionMeasurement => {
    const voxelCount = labelValues.reduce((n, v) => n + (counts.get(v) ?? 0), 0);
    return { key, labelValues, voxelCount, volumeMl: voxelCount * voxelMl, meanUncertainty: 0.12 };
  };
  const byKey = (k: string): number[] => segments.filter((s) => s.key === k).map((s) => s.labelValue);
  const out = segments.map((s) => region(s.key, [s.labelValue]));
  if (segments.some((s) => s.key === 'NCR' || s.key === 'ET')) out.push(region('TC', [...byKey('NCR'), ...byKey('ET')]));
  if (segments.length > 1) out.push(region('WT', segments.map((s) => s.labelValue)));
  return out;
}

export interface SyntheticCase {
  header: StudyAttributes;
  findings: Findings;
  /** Every input series with its role (the reference series is among them). */
  series: Array<{ role: ModelRole; volume: SeriesVolume<Int16Array>; description: string; number: number }>;
}

/**
 * A full glioma case: four co-registered series on the same grid (same Frame of Reference), the label map on the
 * reference (T1ce) grid, and every Findings field filled with plausible fixed values.
 */
export function syntheticCase(
  opts: { grid: GridSpec; blobs?: Blob[]; key?: string; labelmap?: Uint8Array; roles?: ModelRole[] } & {
    segments?: SegmentDefinition[];
  },
): SyntheticCase {
  const key = opts.key ?? 'case';
  const studyUid = deterministicUid('synthetic-study', key);
  const forUid = deterministicUid('synthetic-for', key);
  const roles = opts.roles ?? ['t1ce', 'flair', 't2', 't1'];
  const names: Record<ModelRole, [string, number]> = { t1: ['AX T1', 3], t1ce: ['AX T1 POST GAD', 5], t2: ['AX T2', 4], flair: ['AX FLAIR', 6] };
  const series = roles.map((role) => ({
    role,
    volume: syntheticSeries(opts.grid, `${key}-${role}`, forUid),
    description: names[role][0],
    number: names[role][1],
  }));
  const ref = series[0]!.volume;
  const segments = opts.segments ?? GLIOMA_SEGMENTS;
  const g = opts.grid;
  const blobs = opts.blobs ?? [
    { label: 2, centre: [g.columns * 0.55, g.rows * 0.45, g.slices * 0.5], radii: [g.columns * 0.2, g.rows * 0.2, g.slices * 0.3] },
    { label: 3, centre: [g.columns * 0.55, g.rows * 0.45, g.slices * 0.5], radii: [g.columns * 0.12, g.rows * 0.12, g.slices * 0.2] },
    { label: 1, centre: [g.columns * 0.55, g.rows * 0.45, g.slices * 0.5], radii: [g.columns * 0.06, g.rows * 0.06, g.slices * 0.1] },
  ];
  const labelmap = ellipsoidLabelmap(ref, blobs);
  if (opts.labelmap) labelmap.data = opts.labelmap;
  const regions = regionsFromLabelmap(labelmap, segments);
  const findings: Findings = {
    studyInstanceUid: studyUid,
    model: {
      name: 'glioma-mtl',
      version: '1.2.0',
      sha256: 'a'.repeat(64),
      intendedUse: 'Research use only. Not for clinical decisions.',
      trainingData: 'Synthetic multi-contrast studies generated from real anatomy (mricron ch2).',
      executionProvider: 'cpu',
    },
    inputs: series.map((s) => ({
      role: s.role,
      seriesInstanceUid: s.volume.seriesInstanceUid,
      seriesNumber: s.number,
      seriesDescription: s.description,
      sopClassUid: SopClass.MRImage,
      sopInstanceUids: s.volume.sources.map((x) => x.sopInstanceUid),
      geometry: inputGeometry(s.volume),
    })),
    missingModalities: (['t1', 't1ce', 't2', 'flair'] as ModelRole[]).filter((r) => !roles.includes(r)),
    referenceSeries: ref,
    segmentation: { labelmap, segments },
    regions,
    ...withBidimensional(regions, labelmap, ref),
    heads: [
      {
        head: 'idh', kind: 'idh', title: 'IDH mutation status', predicted: 'wildtype', confidence: 0.83, indeterminate: false, temperature: 1.2,
        classes: [{ name: 'wildtype', probability: 0.83 }, { name: 'mutant', probability: 0.17 }],
        uncertainty: { entropy: 0.456, normalisedEntropy: 0.658, ttaVariance: 0.004 },
      },
      {
        head: 'codeletion_1p19q', kind: 'codeletion_1p19q', title: '1p/19q codeletion', predicted: 'intact', confidence: 0.91, indeterminate: false, temperature: 1,
        classes: [{ name: 'intact', probability: 0.91 }, { name: 'codeleted', probability: 0.09 }],
        uncertainty: { entropy: 0.3, normalisedEntropy: 0.436 },
      },
      {
        head: 'grade', kind: 'who_grade', title: 'CNS WHO grade', predicted: '4', confidence: 0.64, indeterminate: false, temperature: 1,
        classes: [
          { name: '2', probability: 0.1, code: { value: 'C62395', scheme: 'NCIt', meaning: 'WHO CNS Grade 2' } },
          { name: '3', probability: 0.26, code: { value: 'C62396', scheme: 'NCIt', meaning: 'WHO CNS Grade 3' } },
          { name: '4', probability: 0.64, code: { value: 'C62397', scheme: 'NCIt', meaning: 'WHO CNS Grade 4' } },
        ],
        uncertainty: { entropy: 0.87, normalisedEntropy: 0.79 },
      },
      {
        head: 'histology', kind: 'histology', title: 'Histological type', predicted: 'indeterminate', confidence: 0.48, indeterminate: true, temperature: 1,
        classes: [{ name: 'astrocytoma', probability: 0.31 }, { name: 'oligodendroglioma', probability: 0.21 }, { name: 'glioblastoma', probability: 0.48 }],
        uncertainty: { entropy: 1.05, normalisedEntropy: 0.95 },
      },
    ],
    diagnosis: {
      integrated: { label: 'Glioblastoma, IDH-wildtype, CNS WHO grade 4', code: { value: 'C39750', scheme: 'NCIt', meaning: 'Glioblastoma, IDH-Wildtype' }, probability: 0.58, indeterminate: false },
      histology: { label: 'Glioblastoma', probability: 0.48 },
      grade: { label: 'CNS WHO grade 4', code: { value: 'C62397', scheme: 'NCIt', meaning: 'WHO CNS Grade 4' }, probability: 0.64 },
      molecular: [
        { name: 'IDH', status: 'wildtype', probability: 0.83 },
        { name: '1p/19q', status: 'intact', probability: 0.91 },
      ],
      branches: [
        { label: 'Glioblastoma, IDH-wildtype', probability: 0.58, code: { value: 'C39750', scheme: 'NCIt', meaning: 'Glioblastoma, IDH-Wildtype' } },
        { label: 'Astrocytoma, IDH-mutant', probability: 0.3 },
        { label: 'Oligodendroglioma, IDH-mutant and 1p/19q-codeleted', probability: 0.12 },
      ],
      reasoning: [
        'IDH-wildtype is predicted with probability 0.83.',
        'An IDH-wildtype diffuse astrocytic glioma with grade 4 features is a glioblastoma under WHO CNS5.',
      ],
      references: ['Louis DN et al. Neuro-Oncology 2021;23(8):1231-1251'],
    },
    uncertaintySummary: { level: 'moderate', meanSegmentationUncertainty: 0.12, notes: ['Histology head is indeterminate (normalised entropy 0.95).'] },
    modalityImportance: [
      { role: 'flair', headDeltas: { idh: 0.12, grade: 0.05 }, diceToFull: 0.81 },
      { role: 't1ce', headDeltas: { idh: 0.04, grade: 0.21 }, diceToFull: 0.9 },
    ],
    radiomics: [
      { region: 'WT', family: 'shape', name: 'Sphericity', value: 0.71, unit: '1', ibsiId: 'QCFX' },
      { region: 'WT', family: 'shape', name: 'Maximum 3D diameter', value: 58.2, unit: 'mm', ibsiId: 'L0JK' },
      { region: 'ET', sequence: 't1ce', family: 'firstorder', name: 'Mean intensity (z-score)', value: 1.37 },
    ],
    timings: { preprocess: 1200, forward: 8000 },
    warnings: [],
  };
  return { header: studyHeader(studyUid), findings, series };
}

function withBidimensional(regions: Findings['regions'], labelmap: Parameters<typeof bidimensionalOf>[1], ref: Parameters<typeof bidimensionalOf>[2]): Pick<Findings, 'bidimensional'> {
  const b = bidimensionalOf(regions, labelmap, ref);
  return b ? { bidimensional: b } : {};
}
