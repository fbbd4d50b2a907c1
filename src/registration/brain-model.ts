/**
 * The `brain-extraction` model package kind: a site drops in a validated skull-stripping network (e.g. an ONNX export
 * of SynthStrip or HD-BET) as a package like the segmentation models (model.onnx + manifest.json + MODEL_CARD.md),
 * and config `registration.brainExtraction.method: "model"` uses it instead of the atlas. The node resamples the
 * reference series onto the package's grid, runs one forward on the whole grid, maps the brain probability back to
 * the reference grid (trilinear) and cuts it at the threshold there (largest component, holes filled).
 *
 * Manifest (docs/model-package.md "Brain-extraction packages"): kind "brain-extraction", input tensor (one channel,
 * [N, 1, d0, d1, d2], axes kji/ijk), the roles it accepts as input, grid + normalisation (the same GridSpec and
 * NormalisationSpec as segmentation models), output tensor with the brain channel and its activation.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { codedConceptSchema, gridSpecSchema, normalisationSpecSchema } from '../ai/manifest';
import { gatherPatch, NO_FLIP, patchGridIndex, tensorSpatialShape } from '../ai/patch';
import { sha256File } from '../ai/registry';
import { openSession, type SessionOptions } from '../ai/runtime';
import { probabilitiesToSeries } from '../imaging/inverse-map';
import { toModelGrid } from '../imaging/to-model-grid';
import type { SeriesVolume, Vec3, Volume } from '../imaging/volume';
import { MODEL_ROLES } from '../series-id/roles';
import { z } from 'zod';
import { binariseMask, type BrainExtraction } from './brain-extraction';

const dimension = z.union([z.number().int().positive(), z.string().min(1)]);

export const brainModelManifestSchema = z
  .object({
    schemaVersion: z.literal(1),
    kind: z.literal('brain-extraction'),
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/),
    version: z.string().min(1),
    description: z.string().optional(),
    model: z.object({ file: z.string().min(1).default('model.onnx'), sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lower-case hex digits') }).strict(),
    intendedUse: z.string().min(1),
    trainingData: z.string().min(1),
    researchUseOnly: z.boolean().default(true),
    license: z.string().optional(),
    references: z.array(z.string()).default([]),
    input: z
      .object({
        name: z.string().min(1),
        dtype: z.enum(['float32']),
        shape: z.array(dimension).length(5),
        axes: z.enum(['kji', 'ijk']).default('kji'),
        /** Sequences the network accepts (contrast-agnostic networks list all four). */
        roles: z.array(z.enum(MODEL_ROLES)).min(1),
      })
      .strict(),
    preprocessing: z.object({ grid: gridSpecSchema, normalisation: normalisationSpecSchema }).strict(),
    output: z
      .object({
        name: z.string().min(1),
        dtype: z.enum(['float32']),
        /** sigmoid: one logit channel; softmax: background/brain logits; probabilities: already in [0, 1]. */
        activation: z.enum(['sigmoid', 'softmax', 'probabilities']),
        /** Channel holding the brain (softmax: its logit). */
        channel: z.number().int().min(0).default(0),
        threshold: z.number().gt(0).lt(1).default(0.5),
      })
      .strict(),
    /** Optional coded concept of the mask, for provenance. */
    concept: codedConceptSchema.optional(),
  })
  .strict();

export type BrainModelManifest = z.infer<typeof brainModelManifestSchema>;

export interface BrainModel {
  dir: string;
  manifest: BrainModelManifest;
  session: ort.InferenceSession;
  sha256: string;
}

export class BrainModelError extends Error {
  constructor(
    readonly dir: string,
    message: string,
  ) {
    super(message);
    this.name = 'BrainModelError';
  }
}

/** Loads and checks a brain-extraction package; throws BrainModelError naming the package and the problem. */
export async function loadBrainModel(dir: string, opts: SessionOptions): Promise<BrainModel> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  } catch (e) {
    throw new BrainModelError(dir, `brain-extraction package ${dir}: manifest.json unreadable: ${(e as Error).message}`);
  }
  const parsed = brainModelManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new BrainModelError(dir, `brain-extraction package ${dir}: manifest invalid:\n  - ${issues.join('\n  - ')}`);
  }
  const m = parsed.data;
  const sha = sha256File(join(dir, m.model.file));
  if (sha !== m.model.sha256) throw new BrainModelError(dir, `brain-extraction package ${m.name}: sha256 of ${m.model.file} is ${sha}, manifest says ${m.model.sha256}`);
  const { session } = await openSession(join(dir, m.model.file), opts);
  return { dir, manifest: m, session, sha256: sha };
}

function activate(logits: Float32Array, m: BrainModelManifest, per: number): Float32Array {
  const o = m.output;
  const p = new Float32Array(per);
  if (o.activation === 'probabilities') p.set(logits.subarray(o.channel * per, (o.channel + 1) * per));
  else if (o.activation === 'sigmoid') for (let v = 0; v < per; v++) p[v] = 1 / (1 + Math.exp(-logits[o.channel * per + v]!));
  else {
    const channels = logits.length / per;
    for (let v = 0; v < per; v++) {
      let max = -Infinity;
      for (let c = 0; c < channels; c++) max = Math.max(max, logits[c * per + v]!);
      let sum = 0;
      for (let c = 0; c < channels; c++) sum += Math.exp(logits[c * per + v]! - max);
      p[v] = Math.exp(logits[o.channel * per + v]! - max) / sum;
    }
  }
  return p;
}

/** Runs the package on the reference series and returns its brain mask on the reference grid. */
export async function modelBrainExtraction(model: BrainModel, reference: SeriesVolume): Promise<BrainExtraction> {
  const t0 = Date.now();
  const m = model.manifest;
  const role = m.input.roles[0]!;
  const mg = toModelGrid({ [role]: reference }, role, m.preprocessing.grid, m.preprocessing.normalisation);
  const dims = mg.dims;
  const per = dims[0] * dims[1] * dims[2];
  const data = gatherPatch([mg.channels[role]!], dims, [0, 0, 0], dims, m.input.axes, NO_FLIP, 0);
  const shape = [1, 1, ...tensorSpatialShape(dims, m.input.axes)];
  const out = await model.session.run({ [m.input.name]: new ort.Tensor('float32', data, shape) });
  const tensor = out[m.output.name];
  if (!tensor) throw new BrainModelError(model.dir, `brain-extraction package ${m.name}: no output named ${m.output.name}`);
  const pTensor = activate(tensor.data as Float32Array, m, per);
  // Tensor order -> grid order (i fastest).
  const index = patchGridIndex(dims, [0, 0, 0], dims, m.input.axes, NO_FLIP);
  const onGrid = new Float32Array(per);
  for (let t = 0; t < per; t++) onGrid[index[t]!] = pTensor[t]!;
  const [onRef] = probabilitiesToSeries([onGrid], { dims, affine: mg.affine }, { dims: reference.dims, affine: reference.affine });
  const mask = binariseMask(onRef!, reference.dims, m.output.threshold);
  const vol: Volume<Uint8Array> = { dims: [...reference.dims] as Vec3, spacing: [...reference.spacing] as Vec3, affine: new Float64Array(reference.affine), data: mask };
  return {
    method: 'model',
    mask: vol,
    description: `model: ${m.name} ${m.version} (sha256 ${model.sha256.slice(0, 12)}), grid ${m.preprocessing.grid.size.join('x')} at ${m.preprocessing.grid.spacing.join('x')} mm`,
    elapsedMs: Date.now() - t0,
  };
}
