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
import type { Volume } from '../imaging/volume';
import { atlasBrainExtraction, type BrainExtraction } from './brain-extraction';
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

export type BrainExtractor = (reference: Volume) => Promise<BrainExtraction>;

const cache = new WeakMap<Volume, Promise<BrainExtraction>>();

/** Atlas brain extraction, once per reference volume object. */
export const cachedAtlasExtraction: BrainExtractor = (reference) => {
  let p = cache.get(reference);
  if (!p) {
    p = atlasBrainExtraction(reference);
    cache.set(reference, p);
    p.catch(() => cache.delete(reference));
  }
  return p;
};

function describeAffine(t: Float64Array): string {
  const row = (r: number): string => [0, 1, 2, 3].map((c) => t[r * 4 + c]!.toFixed(3)).join(' ');
  return `[${row(0)}; ${row(1)}; ${row(2)}]`;
}

export async function prepareSpace(m: ModelManifest, reference: Volume, extract: BrainExtractor = cachedAtlasExtraction): Promise<SpacePreparation> {
  const s = m.preprocessing.space;
  if (s.kind === 'grid') {
    if (!s.requires.includes('skull-strip')) return { choice: s.grid, labelsFromMappedProbabilities: false, notes: [] };
    const be = await extract(reference);
    return { choice: s.grid, brainMask: be.mask, labelsFromMappedProbabilities: false, brainExtraction: be, notes: [`brain extraction: ${be.description} (${(be.elapsedMs / 1000).toFixed(1)} s)`] };
  }
  if (s.approximateWithGrid) return { choice: s.grid, labelsFromMappedProbabilities: false, notes: [] };
  const be = await extract(reference);
  if (!be.templateToPatient) throw new Error(`brain extraction method '${be.method}' gives no template transform; ${m.name} needs template space`);
  const template = loadBrainTemplate();
  const geometry = gridInPatient(templateGrid(s.grid, template), be.templateToPatient);
  const strip = s.requires.includes('skull-strip');
  return {
    choice: { geometry },
    ...(strip ? { brainMask: be.mask } : {}),
    labelsFromMappedProbabilities: true,
    brainExtraction: be,
    notes: [
      `template space: ${template.name} stands in for ${s.template}; grid ${s.grid.size.join('x')} at ${s.grid.spacing.join('x')} mm; template->patient affine ${describeAffine(be.templateToPatient)}`,
      `brain extraction: ${be.description} (${(be.elapsedMs / 1000).toFixed(1)} s)${strip ? '' : ' (mask used for registration only)'}`,
    ],
  };
}
