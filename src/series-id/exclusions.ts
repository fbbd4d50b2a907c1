/**
 * Exclusion rules: series that are never a model input (localizer, DWI/ADC, SWI, perfusion, MRA, reformats,
 * screenshots, SEG/SR, our own results, ...). They run before the base-contrast cascade, in the order of
 * EXCLUSION_RULES; the first that fires decides, and its reason is what the user sees.
 *
 * Structured evidence (SOP class, ImageType, b-values, geometry) comes first because it cannot be mistyped;
 * description words next; sequence names and timings after that; image counts last (least specific).
 */
import { SopClass } from '../dicom/constants';
import { EXCLUSION_WORDS, FLAIR_WORDS, T1_TYPO, T1_WORDS, T2_WORDS } from './keywords';
import { LIMITS } from './physics';
import { describeMatch, firstMatch } from './text';
import type { Exclusion, SeriesContext } from './types';

export interface ExclusionOptions {
  /** Fewer images than this cannot make a volume (Flywheel uses 10). */
  minImages: number;
}

type ExclusionRule = (ctx: SeriesContext, opts: ExclusionOptions) => Exclusion | null;

const out = (kind: string, reason: string, confidence: number): Exclusion => ({ kind, reason, confidence });

/** SOP classes that hold MR images a model can read. */
const MR_IMAGE_SOP_CLASSES = new Set<string>([SopClass.MRImage, SopClass.EnhancedMRImage, '1.2.840.10008.5.1.4.1.1.4.4' /* Legacy Converted Enhanced MR */]);

const SOP_CLASS_NAMES: Record<string, string> = {
  [SopClass.Segmentation]: 'Segmentation',
  [SopClass.LabelMapSegmentation]: 'Label Map Segmentation',
  [SopClass.SecondaryCapture]: 'Secondary Capture',
  [SopClass.MultiframeGrayscaleByteSC]: 'Multi-frame Grayscale Byte Secondary Capture',
  [SopClass.MultiframeGrayscaleWordSC]: 'Multi-frame Grayscale Word Secondary Capture',
  [SopClass.MultiframeTrueColorSC]: 'Multi-frame True Color Secondary Capture',
  [SopClass.BasicTextSR]: 'Basic Text SR',
  [SopClass.EnhancedSR]: 'Enhanced SR',
  [SopClass.ComprehensiveSR]: 'Comprehensive SR',
  [SopClass.Comprehensive3DSR]: 'Comprehensive 3D SR',
  [SopClass.EncapsulatedPDF]: 'Encapsulated PDF',
  [SopClass.KeyObjectSelection]: 'Key Object Selection',
  '1.2.840.10008.5.1.4.1.1.4.2': 'MR Spectroscopy',
  '1.2.840.10008.5.1.4.1.1.66': 'Raw Data',
  '1.2.840.10008.5.1.4.1.1.11.1': 'Grayscale Softcopy Presentation State',
  '1.2.840.10008.5.1.4.1.1.30': 'Parametric Map',
};

export const notMagneticResonance: ExclusionRule = ({ h }) =>
  h.modality && h.modality.toUpperCase() !== 'MR' ? out('not MR', `modality ${h.modality} is not MR`, 0.99) : null;

export const notAnMrImage: ExclusionRule = ({ h }) => {
  if (!h.sopClassUid || MR_IMAGE_SOP_CLASSES.has(h.sopClassUid)) return null;
  const name = SOP_CLASS_NAMES[h.sopClassUid] ?? h.sopClassUid;
  return out('non-image or result object', `SOP class ${name} is not an MR image (screenshot, SEG, SR or other object)`, 0.99);
};

/** Results this node wrote (SEG/SR/SC/PDF carry "neuro-onc-node" in SoftwareVersions / ManufacturerModelName). */
export const ownResult: ExclusionRule = ({ h }) =>
  /neuro-onc-node/i.test(`${h.softwareVersions ?? ''} ${h.manufacturerModelName ?? ''}`)
    ? out('own result', 'written by neuro-onc-node (our own result)', 0.99)
    : null;

const imageTypeHas = (ctx: SeriesContext, values: readonly string[]): string | undefined =>
  (ctx.h.imageType ?? []).find((v) => values.includes(v));

export const localizerImageType: ExclusionRule = (ctx) =>
  imageTypeHas(ctx, ['LOCALIZER', 'SCOUT']) ? out('localizer', 'ImageType contains LOCALIZER', 0.97) : null;

/** MPR/MIP/projections are only excluded when DERIVED: GE writes ORIGINAL\PRIMARY\MPR on acquired slices. */
export const derivedReformatImageType: ExclusionRule = (ctx) => {
  if ((ctx.h.imageType ?? [])[0] !== 'DERIVED') return null;
  const v = imageTypeHas(ctx, ['MPR', 'CSA MPR', 'CSAMPR', 'MIP', 'CSA MIP', 'MNIP', 'MINIP', 'PROJECTION IMAGE', 'REFORMATTED', 'SUB', 'SUBTRACTION', 'CSA MPR THICK', 'VR', 'SSD', 'CURVED']);
  return v ? out('derived reformat/projection', `ImageType DERIVED with ${v} (reformat/projection of another series)`, 0.95) : null;
};

export const diffusionPerfusionImageType: ExclusionRule = (ctx) => {
  const d = imageTypeHas(ctx, ['DIFFUSION', 'ADC', 'EADC', 'TRACEW', 'TRACE', 'FA', 'TENSOR', 'ISODWI', 'EXP']);
  if (d) return out('diffusion', `ImageType contains ${d}`, 0.97);
  const p = imageTypeHas(ctx, ['PERFUSION', 'ASL', 'CBF', 'CBV', 'RCBV', 'MTT', 'TTP', 'FMRI']);
  if (p) return out(p === 'FMRI' ? 'functional MRI' : 'perfusion', `ImageType contains ${p}`, 0.95);
  const a = imageTypeHas(ctx, ['ANGIO', 'PCA', 'M_PCA', 'VELOCITY']);
  if (a) return out('angiography', `ImageType contains ${a}`, 0.9);
  const s = imageTypeHas(ctx, ['SWI', 'MNIP', 'MINIP', 'SWAN']);
  if (s) return out('susceptibility/T2*', `ImageType contains ${s}`, 0.95);
  return null;
};

/** Siemens (and others) write P/R/I for phase, real and imaginary images in ImageType value 3; models need magnitude. */
export const nonMagnitudeImage: ExclusionRule = (ctx) => {
  const v3 = (ctx.h.imageType ?? [])[2];
  return v3 && ['P', 'PHASE', 'PHASE MAP', 'R', 'REAL', 'I', 'IMAGINARY'].includes(v3)
    ? out('phase/complex image', `ImageType value 3 is ${v3} (phase/real/imaginary, not magnitude)`, 0.95)
    : null;
};

export const siemensMosaic: ExclusionRule = (ctx) =>
  imageTypeHas(ctx, ['MOSAIC']) ? out('echo-planar mosaic', 'ImageType MOSAIC: Siemens EPI mosaic (DWI/BOLD/perfusion)', 0.95) : null;

export const diffusionBValue: ExclusionRule = ({ h }) =>
  h.diffusionBValue != null && h.diffusionBValue > 0 ? out('diffusion', `diffusion b-value ${h.diffusionBValue} s/mm²`, 0.97) : null;

/** Whether a text names a T1/T2/FLAIR contrast, which makes the "soft" exclusion words (GRE, EPI) yield. */
function namesStructuralContrast(norm: string): boolean {
  return !!firstMatch(norm, T1_WORDS) || !!firstMatch(norm, T2_WORDS) || !!firstMatch(norm, FLAIR_WORDS) || T1_TYPO.re.test(norm);
}

/**
 * Description / protocol-name words. The protocol name is only read when the description names no contrast, so a
 * broad protocol name cannot exclude a clearly named series.
 */
export const excludedByWords: ExclusionRule = (ctx) => {
  const sdNamesContrast = namesStructuralContrast(ctx.sd.norm);
  const texts = sdNamesContrast || !ctx.pn ? [ctx.sd] : [ctx.sd, ctx.pn];
  for (const text of texts) {
    if (!text.norm.trim()) continue;
    const structural = namesStructuralContrast(text.norm);
    const shortTe = ctx.h.echoTime != null && ctx.h.echoTime <= LIMITS.greT1TeMax;
    for (const group of EXCLUSION_WORDS) {
      if (group.soft && (structural || shortTe)) continue;
      const hit = firstMatch(text.norm, group.words);
      if (hit) {
        const field = text === ctx.sd ? 'description' : 'protocol name';
        return out(group.kind, `${field} '${text.raw}': ${describeMatch(hit)}`, group.soft ? 0.75 : 0.9);
      }
    }
  }
  return null;
};

/** Sequence names that are never structural: EPI diffusion/BOLD/DSC, SWI, MEDIC, TOF, ASL, field maps, spectroscopy. */
export const excludedBySequenceName: ExclusionRule = (ctx) => {
  const s = ctx.sequence;
  const ge = `${ctx.h.gePulseSequenceName ?? ''} ${ctx.h.geInternalPulseSequenceName ?? ''}`.toLowerCase();
  const opts = ctx.h.scanOptions ?? [];
  const philips = (ctx.h.pulseSequenceName ?? ctx.h.philipsScanningTechnique ?? '').toUpperCase();
  const name = ctx.h.sequenceName ?? ctx.h.pulseSequenceName ?? '';
  const rules: Array<[boolean, string, string]> = [
    [/^(ep_b|re_b|ep2d_diff|epse|ep_?b\d)/.test(s), 'diffusion', `sequence '${name}': diffusion EPI`],
    [/^epfid|^ep2d_(bold|perf)/.test(s), 'echo-planar BOLD/perfusion', `sequence '${name}': gradient-echo EPI (BOLD/perfusion)`],
    [/^swi|^me[23]d/.test(s), 'susceptibility/T2*', `sequence '${name}': SWI/MEDIC`],
    [/^fl3d\d*r?_t\d|^fl3d\d*r_/.test(s), 'angiography', `sequence '${name}': time-of-flight`],
    [/^(tgse|pcasl|pasl|casl)|asl/.test(s), 'perfusion', `sequence '${name}': arterial spin labelling`],
    [/^fm2d|^fm3d/.test(s), 'field map', `sequence '${name}': field map`],
    [/^(csi|svs|press|steam)/.test(s), 'spectroscopy', `sequence '${name}': spectroscopy`],
    [/\bepi|epi2|swan|3-?plane|tof|vasc|asl/.test(ge), 'GE non-structural sequence', `GE sequence '${ge.trim()}'`],
    [opts.some((o) => ['EPI_GEMS', 'VASCTOF_GEMS', 'IFLOW_GEMS', 'VASCPC_GEMS'].includes(o)), 'GE non-structural sequence', `GE ScanOptions ${opts.join('\\')}`],
    [/DWI|EPI|SWI|VEN_BOLD|PCA|TOF|ASL/.test(philips), 'Philips non-structural sequence', `Philips sequence '${philips}'`],
  ];
  const hit = rules.find(([when]) => when);
  return hit ? out(hit[1], hit[2], 0.9) : null;
};

/** Echo-planar acquisitions are DWI, BOLD or DSC perfusion; EPI-FLAIR (with IR) is left to the cascade. */
export const echoPlanar: ExclusionRule = ({ h }) => {
  const ss = h.scanningSequence ?? [];
  return ss.includes('EP') && !ss.includes('IR') ? out('echo-planar', `ScanningSequence ${ss.join('\\')}: echo-planar (DWI/BOLD/perfusion)`, 0.85) : null;
};

/** A localizer has slices in several planes. */
export const multiPlane: ExclusionRule = ({ h }) =>
  h.distinctOrientations != null && h.distinctOrientations > 1
    ? out('localizer', `${h.distinctOrientations} different slice orientations in one series (multi-plane localizer)`, 0.9)
    : null;

export const dynamicSeries: ExclusionRule = ({ h }) =>
  h.temporalPositions != null && h.temporalPositions > 1
    ? out('dynamic series', `${h.temporalPositions} time points (perfusion/fMRI/dynamic)`, 0.9)
    : null;

export const multiEcho: ExclusionRule = ({ h }) =>
  h.echoCount != null && h.echoCount > 1 ? out('multi-echo series', `${h.echoCount} echoes in one series (PD/T2 dual echo or multi-echo)`, 0.85) : null;

/** More than one image per slice position: dynamics, echoes or diffusion directions without the usual tags. */
export const repeatedPositions: ExclusionRule = ({ h }) => {
  const images = h.numberOfFrames ?? h.numberOfInstances;
  if (images == null || h.distinctPositions == null || h.distinctPositions === 0) return null;
  return images >= 2 * h.distinctPositions
    ? out('repeated positions', `${images} images at ${h.distinctPositions} slice positions (dynamics, echoes or diffusion directions)`, 0.8)
    : null;
};

export const tooFewImages: ExclusionRule = ({ h }, { minImages }) => {
  const images = h.numberOfFrames ?? h.numberOfInstances;
  return images != null && images < minImages ? out('too few images', `${images} image(s): fewer than ${minImages}, not a volume`, 0.85) : null;
};

/** In order: the first rule that fires decides. */
export const EXCLUSION_RULES: ReadonlyArray<{ name: string; rule: ExclusionRule }> = [
  { name: 'ownResult', rule: ownResult },
  { name: 'notAnMrImage', rule: notAnMrImage },
  { name: 'notMagneticResonance', rule: notMagneticResonance },
  { name: 'localizerImageType', rule: localizerImageType },
  { name: 'derivedReformatImageType', rule: derivedReformatImageType },
  { name: 'diffusionPerfusionImageType', rule: diffusionPerfusionImageType },
  { name: 'nonMagnitudeImage', rule: nonMagnitudeImage },
  { name: 'siemensMosaic', rule: siemensMosaic },
  { name: 'diffusionBValue', rule: diffusionBValue },
  { name: 'excludedByWords', rule: excludedByWords },
  { name: 'excludedBySequenceName', rule: excludedBySequenceName },
  { name: 'echoPlanar', rule: echoPlanar },
  { name: 'multiPlane', rule: multiPlane },
  { name: 'dynamicSeries', rule: dynamicSeries },
  { name: 'multiEcho', rule: multiEcho },
  { name: 'repeatedPositions', rule: repeatedPositions },
  { name: 'tooFewImages', rule: tooFewImages },
];

/** The first exclusion that applies, or null when the series is a candidate. */
export function findExclusion(ctx: SeriesContext, opts: ExclusionOptions): Exclusion | null {
  for (const { rule } of EXCLUSION_RULES) {
    const hit = rule(ctx, opts);
    if (hit) return hit;
  }
  return null;
}
