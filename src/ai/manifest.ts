/**
 * Model package manifest (models/<name>/manifest.json): everything the node needs to feed a model and read its
 * outputs, so that any ONNX model (ours, GMMAS-style, nnU-Net-style) runs without model-specific code.
 * Documented field by field in docs/model-package.md; examples in models/examples/.
 *
 * Axis conventions: grid sizes, patch sizes, crop origins and flip axes are in grid order (i, j, k), the same as
 * GridSpec.size. `image.axes` says how the grid axes sit in the tensor's last three dimensions.
 */
import { z } from 'zod';
import { MODEL_ROLES } from '../series-id/roles';

export const MANIFEST_SCHEMA_VERSION = 1;

const role = z.enum(MODEL_ROLES);
const vec3 = z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]);
const ivec3 = z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]);
const ivec3NonNeg = z.tuple([z.number().int().min(0), z.number().int().min(0), z.number().int().min(0)]);
/** A tensor dimension: a fixed size, or a symbolic name (dynamic: batch, spatial). */
const dimension = z.union([z.number().int().positive(), z.string().min(1)]);
const tensorName = z.string().min(1);

export const codedConceptSchema = z
  .object({ value: z.string().min(1), scheme: z.string().min(1), meaning: z.string().min(1) })
  .strict();

export const gridSpecSchema = z
  .object({
    spacing: vec3,
    size: ivec3,
    orientation: z.enum(['LPS', 'RAS', 'reference-series']),
    centre: z.enum(['head-centroid', 'volume-centre']),
  })
  .strict();

export const normalisationSpecSchema = z
  .object({
    method: z.enum(['zscore', 'none']),
    clipPercentiles: z.tuple([z.number().min(0).max(100), z.number().min(0).max(100)]).optional(),
    mask: z.enum(['head', 'nonzero', 'all']),
  })
  .strict();

/** The image input: one channel per role, in the model's own order. */
const imageInput = z
  .object({
    name: tensorName,
    dtype: z.enum(['float32']),
    /** [N, C, d0, d1, d2]; symbolic names for dynamic dimensions. */
    shape: z.array(dimension).length(5),
    /** Channel order as roles, e.g. ['t1','t1ce','t2','flair'] or GMMAS ['flair','t1ce','t1','t2']. */
    channels: z.array(role).min(1),
    /**
     * Which grid axes the tensor's last three dimensions are: 'kji' = [D,H,W] = [k,j,i] (C order, i fastest: the
     * node's own layout), 'ijk' = [i,j,k] (nibabel/NIfTI array order, as BraTS code feeds it).
     */
    axes: z.enum(['kji', 'ijk']).default('kji'),
  })
  .strict();

/** Optional availability vector: 1 for a present channel, 0 for a filled one, same order as image.channels. */
const modalityMaskInput = z
  .object({
    name: tensorName,
    dtype: z.enum(['float32']),
    shape: z.array(dimension).length(2),
  })
  .strict();

const missingModalities = z
  .object({
    /**
     * 'fill': missing channels are set to fillValue (after normalisation) and the mask input says which;
     * 'drop-channels': only the present channels are fed, in channel order (the graph's channel axis is dynamic).
     */
    strategy: z.enum(['fill', 'drop-channels']).default('fill'),
    /** Value of a missing channel, in normalised units (0 = the mean after z-scoring). */
    fillValue: z.number().default(0),
    /** The model runs only when every role of at least one of these sets is present. */
    minimumRoleSets: z.array(z.array(role).min(1)).min(1),
    /** When given, the present channels must be exactly one of these subsets (e.g. GMMAS: prefixes only). */
    supportedSubsets: z.array(z.array(role).min(1)).min(1).optional(),
    /**
     * The segmentation is reported only when every role of at least one of these sets is present: with other
     * inputs the model card shows it unreliable. The classification heads are reported either way. Absent: any
     * input the model runs on.
     */
    segmentationRequires: z.array(z.array(role).min(1)).min(1).optional(),
  })
  .strict();

/** Where the model's input grid comes from. */
const space = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('grid'),
      grid: gridSpecSchema,
      /** Roles tried in order as the reference series of the grid (and of the reported label map). */
      referenceRoles: z.array(role).min(1),
      /**
       * Native-space preprocessing the model was trained with (HD-GLIO style): 'co-registration' = every channel
       * registered to the reference series; 'skull-strip' = channels masked by the reference's brain mask.
       */
      requires: z.array(z.enum(['co-registration', 'skull-strip'])).default([]),
    })
    .strict(),
  z
    .object({
      kind: z.literal('template'),
      /**
       * Atlas name, e.g. 'SRI24' (BraTS, 240x240x155 1 mm) or 'MNI152'. The node registers to the Colin27 template
       * (ch2, MNI space) whatever the name: docs/model-package.md "Template space" says what that changes.
       */
      template: z.string().min(1),
      /** The declared grid in template space (orientation LPS/RAS; centre: template volume centre or head centroid). */
      grid: gridSpecSchema,
      referenceRoles: z.array(role).min(1),
      /**
       * Preprocessing the model's training data had: atlas registration and skull strip the node performs
       * (src/registration); bias-field correction it does not (a warning says so).
       */
      requires: z.array(z.enum(['atlas-registration', 'co-registration', 'skull-strip', 'bias-field-correction'])).default([]),
      /**
       * true: skip registration and skull strip and run on `grid` resampled around the head, with a warning in the
       * findings (the pre-registration behaviour); false (default): register to the template.
       */
      approximateWithGrid: z.boolean().default(false),
    })
    .strict(),
]);

/** Inter-series co-registration before the model grid (src/registration); absent = rigid to T1ce, else FLAIR. */
const registrationSpec = z
  .object({
    /** rigid: every channel registered to the reference series; none: DICOM geometry only (site config can also switch it off). */
    interSeries: z.enum(['rigid', 'none']).default('rigid'),
    /** Roles tried in order as the registration reference. */
    referenceRoles: z.array(role).min(1).default(['t1ce', 'flair']),
  })
  .strict();

const tiling = z.discriminatedUnion('mode', [
  /** One forward on the whole grid (the graph must accept the grid size). */
  z.object({ mode: z.literal('whole') }).strict(),
  z
    .object({
      mode: z.literal('sliding-window'),
      /** Patch size in grid voxels (i, j, k). */
      patchSize: ivec3,
      /** Fraction of the patch shared by neighbouring windows, 0 <= overlap < 1 (nnU-Net: 0.5). */
      overlap: z.number().min(0).lt(1).default(0.5),
      blending: z.enum(['gaussian', 'constant']).default('gaussian'),
      /** Gaussian sigma as a fraction of the patch size (nnU-Net: 1/8). */
      gaussianSigmaScale: z.number().positive().default(0.125),
    })
    .strict(),
  z
    .object({
      mode: z.literal('fixed-crops'),
      patchSize: ivec3,
      /** Crop origins in grid voxels (i, j, k), e.g. GMMAS's eight 128^3 crops of 240x240x155. */
      origins: z.array(ivec3NonNeg).min(1),
      blending: z.enum(['gaussian', 'constant']).default('constant'),
      gaussianSigmaScale: z.number().positive().default(0.125),
    })
    .strict(),
]);

const tta = z
  .object({
    /** Grid axes the model may be mirrored along; every combination is one pass (3 axes = 8 passes). */
    flipAxes: z.array(z.enum(['i', 'j', 'k'])).default([]),
  })
  .strict();

export const SEGMENT_KEYS = ['NCR', 'ED', 'ET', 'GTV'] as const;
const segmentKey = z.enum(SEGMENT_KEYS);
const regionKey = z.enum(['NCR', 'ED', 'ET', 'GTV', 'TC', 'WT']);

const segmentDef = z
  .object({
    key: segmentKey,
    /** Human-readable label for the SEG segment. */
    label: z.string().min(1),
    category: codedConceptSchema,
    type: codedConceptSchema,
    anatomicRegion: codedConceptSchema.optional(),
    recommendedDisplayCIELab: z.tuple([z.number().int(), z.number().int(), z.number().int()]).optional(),
    /** Free-text note for SegmentDescription, e.g. "BraTS label 1". */
    description: z.string().optional(),
  })
  .strict();

const segmentationOutput = z
  .object({
    name: tensorName,
    dtype: z.enum(['float32']),
    shape: z.array(dimension).length(5),
    /**
     * 'labels': one channel per class, activation softmax (or probabilities), argmax gives the label;
     * 'regions': one channel per nested region (WT/TC/ET), activation sigmoid, thresholded, converted to labels.
     */
    mode: z.enum(['labels', 'regions']),
    activation: z.enum(['softmax', 'sigmoid', 'probabilities']),
    /** labels mode: which segment each channel is ('background' for channel 0) and its label in the source convention. */
    classes: z
      .array(
        z
          .object({
            channel: z.number().int().min(0),
            key: z.union([segmentKey, z.literal('background')]),
            /** Label value in the model's training convention (BraTS 2021: 0/1/2/4), recorded for remapping. */
            sourceLabel: z.number().int().min(0),
          })
          .strict(),
      )
      .optional(),
    /** regions mode: which region each channel is. */
    regions: z
      .array(z.object({ channel: z.number().int().min(0), region: z.enum(['WT', 'TC', 'ET']) }).strict())
      .optional(),
    threshold: z.number().gt(0).lt(1).default(0.5),
    /** Segments in label-map order: the label map stores 1..n in this order (consecutive, as DICOM SEG wants). */
    segments: z.array(segmentDef).min(1),
    /** Composite regions reported (and volumes computed): region -> segments it unites. */
    regionDefinitions: z.partialRecord(regionKey, z.array(segmentKey).min(1)).default({}),
    /** Enforce WT ⊇ TC ⊇ ET (glioma label hierarchy) after prediction. */
    enforceHierarchy: z.boolean().default(true),
    /** Optional temperature for the voxel softmax (1 = none). */
    temperature: z.number().positive().default(1),
  })
  .strict();

/** Head kinds with a fixed meaning; the layered diagnosis reads these, with the class names below. */
export const HEAD_KIND_CLASSES = {
  idh: ['wildtype', 'mutant'],
  codeletion_1p19q: ['intact', 'codeleted'],
  who_grade: ['2', '3', '4'],
  lgg_hgg: ['LGG', 'HGG'],
  histology: ['astrocytoma', 'oligodendroglioma', 'glioblastoma'],
  mgmt: ['unmethylated', 'methylated'],
  egfr: ['wildtype', 'mutant'],
} as const;
export type HeadKind = keyof typeof HEAD_KIND_CLASSES | 'generic';

const headOutput = z
  .object({
    /** Head id used in findings (idh, codeletion_1p19q, grade, histology, mgmt, egfr, ...). */
    id: z.string().regex(/^[a-z0-9_]+$/),
    title: z.string().min(1),
    /** Output tensor name, shape [N, classes] (or [N, 1] for a single-logit sigmoid head with two classes). */
    name: tensorName,
    dtype: z.enum(['float32']),
    shape: z.array(dimension).length(2),
    kind: z.enum(['idh', 'codeletion_1p19q', 'who_grade', 'lgg_hgg', 'histology', 'mgmt', 'egfr', 'generic']),
    activation: z.enum(['softmax', 'sigmoid', 'probabilities']),
    /** Classes in logit order. */
    classes: z
      .array(z.object({ name: z.string().min(1), code: codedConceptSchema.optional() }).strict())
      .min(2),
    /** Temperature T for calibrated probabilities softmax(z / T), fitted on a validation set. */
    temperature: z.number().positive().default(1),
    /** The head is 'indeterminate' when the top probability is below minConfidence or the normalised entropy above maxNormalisedEntropy. */
    indeterminate: z
      .object({
        minConfidence: z.number().min(0).max(1).default(0.6),
        maxNormalisedEntropy: z.number().min(0).max(1).default(0.9),
      })
      .strict()
      .prefault({}),
    /** How per-window head outputs are combined when the volume is tiled. */
    aggregation: z.enum(['centre-crop', 'mean', 'tumour-weighted-mean']).default('mean'),
  })
  .strict();

/** An extra graph input the node fills from the DICOM header on every forward (every tile and TTA pass). */
const clinicalInput = z
  .object({
    /** 'age-years': age in years at the study date, fed raw (the graph normalises it). */
    quantity: z.enum(['age-years']),
    name: tensorName,
    dtype: z.enum(['float32']),
    /** [N, 1]. */
    shape: z.array(dimension).length(2),
    /** Without the value the head is not assessable (a neutral value is fed so the forward still runs). */
    required: z.boolean().default(true),
  })
  .strict();

/**
 * Discrete-time survival head: output [N, B] holds conditional hazards h_b in [0, 1] for the bins
 * (edge[b-1], edge[b]] months (edge[-1] = 0); S(edge[b]) = prod_{j<=b} (1 - h_j).
 */
const survivalHead = z
  .object({
    id: z.string().regex(/^[a-z0-9_]+$/),
    title: z.string().min(1),
    kind: z.literal('survival'),
    name: tensorName,
    dtype: z.enum(['float32']),
    shape: z.array(dimension).length(2),
    /** Upper bin edges in months, strictly increasing. */
    timeBinsMonths: z.array(z.number().positive()).min(1),
    /** Times reported (each must be a bin edge). */
    reportAtMonths: z.array(z.number().positive()).min(1),
    /** Risk group from the mean S(atMonths): the first group whose `below` exceeds it. */
    riskGroups: z
      .object({
        atMonths: z.number().positive(),
        groups: z.array(z.object({ name: z.string().min(1), below: z.number() }).strict()).min(1),
      })
      .strict(),
    clinicalInputs: z.array(clinicalInput).default([]),
    /** How per-window hazards are combined when the volume is tiled (as for classification heads). */
    aggregation: z.enum(['centre-crop', 'mean', 'tumour-weighted-mean']).default('mean'),
    /** Age range (years) the model card states the head was trained on; outside it the findings carry a note. */
    ageRangeYears: z.tuple([z.number().min(0), z.number().positive()]).default([18, 90]),
    /** 'synthetic': trained on simulated outcomes; 'observed': on real follow-up. */
    outcomes: z.enum(['synthetic', 'observed']),
    /** Shown and encoded wherever the head's figures appear. */
    statement: z.string().min(1),
  })
  .strict()
  .superRefine((h, ctx) => checkSurvivalHead(h, (path, message) => ctx.addIssue({ code: 'custom', path, message })));

/** Heads as listed in the manifest, told apart by kind: survival, else a classification head. */
const anyHead = z.discriminatedUnion('kind', [headOutput, survivalHead]);

export const manifestSchema = z
  .object({
    schemaVersion: z.literal(MANIFEST_SCHEMA_VERSION),
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, ".", "_" and "-"'),
    version: z.string().min(1),
    description: z.string().optional(),
    model: z
      .object({
        file: z.string().min(1).default('model.onnx'),
        /** sha256 (hex) of the ONNX file; null for a contract-only example without weights (never loaded). */
        sha256: z.union([z.string().regex(/^[0-9a-f]{64}$/, '64 lower-case hex digits'), z.null()]),
      })
      .strict(),
    intendedUse: z.string().min(1),
    trainingData: z.string().min(1),
    researchUseOnly: z.boolean().default(true),
    license: z.string().optional(),
    references: z.array(z.string()).default([]),
    inputs: z
      .object({
        image: imageInput,
        modalityMask: modalityMaskInput.optional(),
        /** The whole grid image (same channels and axes), fed unchanged with every tile (GMMAS's ROI head input). */
        wholeImage: z.object({ name: tensorName, dtype: z.enum(['float32']), shape: z.array(dimension).length(5) }).strict().optional(),
      })
      .strict(),
    missingModalities: missingModalities,
    preprocessing: z.object({ space, normalisation: normalisationSpecSchema, registration: registrationSpec.optional() }).strict(),
    tiling: tiling,
    tta: tta.prefault({}),
    outputs: z
      .object({ segmentation: segmentationOutput.optional(), heads: z.array(anyHead).default([]) })
      .strict()
      // One list in the file; split by kind here, so classification code never meets a survival head.
      .transform(({ heads, ...rest }) => ({
        ...rest,
        heads: heads.filter((h): h is z.infer<typeof headOutput> => h.kind !== 'survival'),
        survival: heads.filter((h): h is z.infer<typeof survivalHead> => h.kind === 'survival'),
      })),
  })
  .strict()
  .superRefine((m, ctx) => checkConsistency(m, ctx));

export type ModelManifest = z.infer<typeof manifestSchema>;
export type ManifestInput = z.input<typeof manifestSchema>;
export type HeadSpec = ModelManifest['outputs']['heads'][number];
export type SegmentationSpec = NonNullable<ModelManifest['outputs']['segmentation']>;
export type TilingSpec = ModelManifest['tiling'];
export type SurvivalHeadSpec = ModelManifest['outputs']['survival'][number];
export type ClinicalInputSpec = SurvivalHeadSpec['clinicalInputs'][number];

/** Every clinical input the graph takes, once per tensor name (several heads may share one). */
export function clinicalInputs(m: ModelManifest): ClinicalInputSpec[] {
  return clinicalInputsOf(m.outputs.survival);
}

function clinicalInputsOf(survival: readonly SurvivalHeadSpec[]): ClinicalInputSpec[] {
  const seen = new Map<string, ClinicalInputSpec>();
  for (const h of survival) for (const c of h.clinicalInputs) if (!seen.has(c.name)) seen.set(c.name, c);
  return [...seen.values()];
}

function dup<T>(xs: readonly T[]): T | undefined {
  const seen = new Set<T>();
  for (const x of xs) {
    if (seen.has(x)) return x;
    seen.add(x);
  }
  return undefined;
}

/** Cross-field rules zod's shape cannot express. Each issue names the offending path. */
function checkConsistency(m: ModelManifest, ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const channels = m.inputs.image.channels;
  const d = dup(channels);
  if (d) issue(['inputs', 'image', 'channels'], `role "${d}" appears twice`);
  const c = m.inputs.image.shape[1];
  if (m.missingModalities.strategy === 'fill' && typeof c === 'number' && c !== channels.length) {
    issue(['inputs', 'image', 'shape', 1], `channel dimension ${c} != ${channels.length} channels listed`);
  }
  if (m.missingModalities.strategy === 'drop-channels' && typeof c === 'number') {
    issue(['inputs', 'image', 'shape', 1], 'strategy drop-channels needs a dynamic (named) channel dimension');
  }
  if (m.inputs.modalityMask) {
    const mc = m.inputs.modalityMask.shape[1];
    if (typeof mc === 'number' && mc !== channels.length) {
      issue(['inputs', 'modalityMask', 'shape', 1], `mask length ${mc} != ${channels.length} channels`);
    }
    if (m.missingModalities.strategy === 'drop-channels') {
      issue(['inputs', 'modalityMask'], 'a modality mask only makes sense with strategy fill');
    }
  }
  const sets = [...m.missingModalities.minimumRoleSets, ...(m.missingModalities.supportedSubsets ?? []), ...(m.missingModalities.segmentationRequires ?? [])];
  sets.forEach((s) => {
    for (const r of s) if (!channels.includes(r)) issue(['missingModalities'], `role "${r}" is not an image channel`);
  });
  const ref = m.preprocessing.space.referenceRoles.filter((r) => !channels.includes(r));
  if (ref.length) issue(['preprocessing', 'space', 'referenceRoles'], `not image channels: ${ref.join(', ')}`);

  if (m.tiling.mode !== 'whole') {
    const g = m.preprocessing.space.grid.size;
    const p = m.tiling.patchSize;
    if (m.tiling.mode === 'fixed-crops') {
      m.tiling.origins.forEach((o, n) => {
        for (let a = 0; a < 3; a++) {
          if (o[a]! + p[a]! > g[a]!) issue(['tiling', 'origins', n], `crop exceeds the grid along axis ${'ijk'[a]}`);
        }
      });
    }
    // Fixed spatial dims in the input shape must equal the patch (in tensor axis order).
    const tensorSpatial = m.inputs.image.axes === 'kji' ? [p[2], p[1], p[0]] : [p[0], p[1], p[2]];
    m.inputs.image.shape.slice(2).forEach((dim, n) => {
      if (typeof dim === 'number' && dim !== tensorSpatial[n]) {
        issue(['inputs', 'image', 'shape', n + 2], `fixed size ${dim} != patch size ${tensorSpatial[n]} on that axis`);
      }
    });
  }

  const seg = m.outputs.segmentation;
  if (seg) {
    const keys = seg.segments.map((s) => s.key);
    const dk = dup(keys);
    if (dk) issue(['outputs', 'segmentation', 'segments'], `segment "${dk}" listed twice`);
    if (seg.mode === 'labels') {
      if (!seg.classes?.length) issue(['outputs', 'segmentation', 'classes'], 'labels mode needs classes');
      if (seg.activation === 'sigmoid') issue(['outputs', 'segmentation', 'activation'], 'labels mode needs softmax or probabilities');
      const chans = (seg.classes ?? []).map((x) => x.channel);
      if (dup(chans) !== undefined) issue(['outputs', 'segmentation', 'classes'], 'a channel is listed twice');
      if (!(seg.classes ?? []).some((x) => x.key === 'background')) {
        issue(['outputs', 'segmentation', 'classes'], 'labels mode needs a background class');
      }
      for (const cl of seg.classes ?? []) {
        if (cl.key !== 'background' && !keys.includes(cl.key)) {
          issue(['outputs', 'segmentation', 'classes'], `class "${cl.key}" has no entry in segments`);
        }
      }
    } else {
      if (!seg.regions?.length) issue(['outputs', 'segmentation', 'regions'], 'regions mode needs regions');
      if (seg.activation !== 'sigmoid' && seg.activation !== 'probabilities') {
        issue(['outputs', 'segmentation', 'activation'], 'regions mode needs sigmoid or probabilities');
      }
      for (const k of ['NCR', 'ED', 'ET'] as const) {
        if (!keys.includes(k)) issue(['outputs', 'segmentation', 'segments'], `regions mode derives NCR/ED/ET: "${k}" missing`);
      }
    }
    for (const [region, members] of Object.entries(seg.regionDefinitions)) {
      for (const k of members ?? []) {
        if (!keys.includes(k)) issue(['outputs', 'segmentation', 'regionDefinitions', region], `unknown segment "${k}"`);
      }
    }
  }
  // A head that failed its own checks leaves the outputs unsplit (zod skips the transform then): split here too.
  const all = [...m.outputs.heads, ...((m.outputs.survival as SurvivalHeadSpec[] | undefined) ?? [])] as (HeadSpec | SurvivalHeadSpec)[];
  const classification = all.filter((h): h is HeadSpec => h.kind !== 'survival');
  const survival = all.filter((h): h is SurvivalHeadSpec => h.kind === 'survival');
  const headIds = all.map((h) => h.id);
  const dh = dup(headIds);
  if (dh) issue(['outputs', 'heads'], `head id "${dh}" used twice`);
  const names = [
    m.inputs.image.name,
    m.inputs.modalityMask?.name,
    m.inputs.wholeImage?.name,
    ...clinicalInputsOf(survival).map((c) => c.name),
    seg?.name,
    ...all.map((h) => h.name),
  ].filter((x): x is string => !!x);
  const dn = dup(names);
  if (dn) issue(['outputs'], `tensor name "${dn}" used twice`);

  classification.forEach((h, n) => {
    if (h.kind !== 'generic') {
      const want = HEAD_KIND_CLASSES[h.kind] as readonly string[];
      const got = h.classes.map((x) => x.name);
      const bad = got.filter((g) => !want.includes(g));
      if (bad.length) issue(['outputs', 'heads', n, 'classes'], `kind ${h.kind} allows classes ${want.join('/')}, not ${bad.join(', ')}`);
      if (h.kind !== 'who_grade' && h.kind !== 'histology' && got.length !== want.length) {
        issue(['outputs', 'heads', n, 'classes'], `kind ${h.kind} needs exactly ${want.join('/')}`);
      }
    }
    const cdim = h.shape[1];
    const expected = h.activation === 'sigmoid' && h.classes.length === 2 ? [1, 2] : [h.classes.length];
    if (typeof cdim === 'number' && !expected.includes(cdim)) {
      issue(['outputs', 'heads', n, 'shape', 1], `${cdim} outputs for ${h.classes.length} classes`);
    }
    if (h.activation === 'probabilities' && h.temperature !== 1) {
      issue(['outputs', 'heads', n, 'temperature'], 'temperature needs logits (activation softmax/sigmoid)');
    }
  });
}

/** Survival head rules: increasing bin edges, reported times on edges, output width = number of bins. */
function checkSurvivalHead(h: z.infer<typeof survivalHead>, issue: (path: (string | number)[], message: string) => void): void {
  const edges = h.timeBinsMonths;
  edges.forEach((e, i) => {
    if (i > 0 && !(e > edges[i - 1]!)) issue(['timeBinsMonths', i], `bin edges must increase strictly (${edges[i - 1]} then ${e})`);
  });
  h.reportAtMonths.forEach((t, i) => {
    if (!edges.includes(t)) issue(['reportAtMonths', i], `${t} months is not a bin edge (timeBinsMonths: ${edges.join(', ')})`);
  });
  if (!edges.includes(h.riskGroups.atMonths)) issue(['riskGroups', 'atMonths'], `${h.riskGroups.atMonths} months is not a bin edge (timeBinsMonths: ${edges.join(', ')})`);
  const below = h.riskGroups.groups.map((g) => g.below);
  below.forEach((b, i) => {
    if (i > 0 && !(b > below[i - 1]!)) issue(['riskGroups', 'groups', i, 'below'], `thresholds must increase (${below[i - 1]} then ${b})`);
  });
  if (below[below.length - 1]! <= 1) issue(['riskGroups', 'groups'], `the last group's "below" must exceed 1 so that every probability has a group (is ${below[below.length - 1]})`);
  const b = h.shape[1];
  if (typeof b === 'number' && b !== edges.length) issue(['shape', 1], `${b} hazard outputs for ${edges.length} time bins`);
  const dc = dup(h.clinicalInputs.map((c) => c.quantity));
  if (dc) issue(['clinicalInputs'], `quantity "${dc}" listed twice`);
  h.clinicalInputs.forEach((c, i) => {
    if (typeof c.shape[1] === 'number' && c.shape[1] !== 1) issue(['clinicalInputs', i, 'shape', 1], `a clinical input is one value per case ([N, 1]), not ${c.shape[1]}`);
  });
  if (h.ageRangeYears[0] >= h.ageRangeYears[1]) issue(['ageRangeYears'], `range [${h.ageRangeYears.join(', ')}] is empty`);
}

export class ManifestError extends Error {
  readonly reason = 'invalid-manifest';
  constructor(
    message: string,
    readonly issues: string[] = [],
  ) {
    super(message);
    this.name = 'ManifestError';
  }
}

/** Validates a parsed manifest.json; throws ManifestError listing every problem by its path. */
export function parseManifest(input: unknown, source = 'manifest'): ModelManifest {
  const res = manifestSchema.safeParse(input);
  if (!res.success) {
    const issues = res.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
    throw new ManifestError(`${source} is invalid:\n  - ${issues.join('\n  - ')}`, issues);
  }
  return res.data;
}
