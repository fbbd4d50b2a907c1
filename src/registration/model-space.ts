/**
 * Where a model's grid lies and whether its channels are skull-stripped, from its manifest's space:
 *  - grid, no requirements: the GridSpec around the reference series (as before);
 *  - grid with requires 'skull-strip' (HD-GLIO style native space): the same grid, channels masked by the
 *    reference's brain mask;
 *  - template (not approximateWithGrid): the declared grid in template space placed in patient space through the
 *    atlas registration's affine (brain-extraction.ts), skull-stripped when the manifest requires it; results are
 *    mapped back as probabilities and thresholded on the display grid;
 *  - template with approximateWithGrid: the GridSpec around the head, nothing registered (warned by checkSpace).
 * Brain extraction runs once per reference series (cached on the volume object) however many models use it.
 */
import type { ModelManifest } from '../ai/manifest';
import type { ModelGridChoice } from '../imaging/to-model-grid';
import type { SeriesVolume, Volume } from '../imaging/volume';
import { atlasBrainExtraction, type BrainExtraction } from './brain-extraction';
import { loadBrainModel, modelBrainExtraction, type BrainModel } from './brain-model';
import { gridInPatient, loadBrainTemplate, templateGrid } from './template-space';

export interface SpacePreparation {
  choice: ModelGridChoice;
  /** Brain mask to skull-strip the channels with. */
  brainMask?: Volume<Uint8Array>;
  /** Decide labels on the display grid from mapped-back probabilities (registered grids). */
  labelsFromMappedProbabilities: boolean;
  brainExtraction?: BrainExtraction;
  /** Provenance lines (method, engine, transform) for the findings. */
  notes: string[];
}

export type BrainExtractor = (reference: SeriesVolume) => Promise<BrainExtraction>;

/** How the brain is extracted (site config `registration.brainExtraction`). */
export interface BrainExtractionSettings {
  method: 'atlas' | 'model';
  /** Folder of a `brain-extraction` model package (method 'model'). */
  package?: string;
}

/** Memoises an async function of a volume on the volume object (one run per reference series, shared by models). */
function oncePerVolume<T>(f: (v: SeriesVolume) => Promise<T>): (v: SeriesVolume) => Promise<T> {
  const cache = new WeakMap<SeriesVolume, Promise<T>>();
  return (v) => {
    let p = cache.get(v);
    if (!p) {
      p = f(v);
      cache.set(v, p);
      p.catch(() => cache.delete(v));
    }
    return p;
  };
}

/** Atlas brain extraction (affine + B-spline), once per reference volume object. */
export const cachedAtlasExtraction: BrainExtractor = oncePerVolume((v) => atlasBrainExtraction(v));
/** Affine-only atlas registration: the template transform when the mask comes from a model package. */
const cachedAtlasAffine: BrainExtractor = oncePerVolume((v) => atlasBrainExtraction(v, { affineOnly: true }));

const packages = new Map<string, Promise<BrainModel>>();

/** The extractor for the site's settings; a model package is loaded once per folder. */
export function brainExtractorFor(settings?: BrainExtractionSettings): BrainExtractor {
  if (!settings || settings.method === 'atlas') return cachedAtlasExtraction;
  const dir = settings.package;
  if (!dir) throw new Error('registration.brainExtraction.method "model" needs registration.brainExtraction.package (a brain-extraction package folder)');
  let model = packages.get(dir);
  if (!model) {
    model = loadBrainModel(dir, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
    packages.set(dir, model);
    model.catch(() => packages.delete(dir));
  }
  const m = model;
  return oncePerVolume(async (v) => modelBrainExtraction(await m, v));
}

function describeAffine(t: Float64Array): string {
  const row = (r: number): string => [0, 1, 2, 3].map((c) => t[r * 4 + c]!.toFixed(3)).join(' ');
  return `[${row(0)}; ${row(1)}; ${row(2)}]`;
}

export async function prepareSpace(m: ModelManifest, reference: SeriesVolume, extract: BrainExtractor = cachedAtlasExtraction): Promise<SpacePreparation> {
  const s = m.preprocessing.space;
  if (s.kind === 'grid') {
    if (!s.requires.includes('skull-strip')) return { choice: s.grid, labelsFromMappedProbabilities: false, notes: [] };
    const be = await extract(reference);
    return { choice: s.grid, brainMask: be.mask, labelsFromMappedProbabilities: false, brainExtraction: be, notes: [`brain extraction: ${be.description} (${(be.elapsedMs / 1000).toFixed(1)} s)`] };
  }
  if (s.approximateWithGrid) return { choice: s.grid, labelsFromMappedProbabilities: false, notes: [] };
  const be = await extract(reference);
  // A model-package mask brings no template transform: the atlas is registered affinely for the placement.
  const placement = be.templateToPatient ? be : await cachedAtlasAffine(reference);
  const template = loadBrainTemplate();
  const geometry = gridInPatient(templateGrid(s.grid, template), placement.templateToPatient!);
  const strip = s.requires.includes('skull-strip');
  return {
    choice: { geometry },
    ...(strip ? { brainMask: be.mask } : {}),
    labelsFromMappedProbabilities: true,
    brainExtraction: be,
    notes: [
      `template space: ${template.name} stands in for ${s.template}; grid ${s.grid.size.join('x')} at ${s.grid.spacing.join('x')} mm; template->patient affine ${describeAffine(placement.templateToPatient!)}${placement === be ? '' : ` (${placement.description})`}`,
      `brain extraction: ${be.description} (${(be.elapsedMs / 1000).toFixed(1)} s)${strip ? '' : ' (mask used for registration only)'}`,
    ],
  };
}
