/**
 * Which segments the SEG holds and how each is described: numbers 1..N in label order (OHIF indexes segment
 * metadata by array position), codes from CID 7168/7169 (as the Findings give them),
 * colours as DICOM CIELab, and optionally the composites TC and WT as extra overlapping segments. Segments the
 * inputs cannot support (enhancement without a post-contrast T1) are left out: not assessable is not zero.
 */
import type { CodedConcept, Findings, RegionKey, SegmentDefinition } from '../../ai/findings';
import { ROLE_NAMES, type ModelRole } from '../../series-id/roles';
import { EncoderInputError } from '../options';
import { SCT } from '../codes';

export interface NotAssessableRegion {
  key: RegionKey;
  /** Why, for the SR, the report and the pages (no PHI). */
  reason: string;
}

/** Regions whose tissue class can only be told apart with a given sequence: enhancement needs contrast. */
const REGION_NEEDS: Partial<Record<RegionKey, ModelRole>> = { ET: 't1ce', TC: 't1ce' };

/**
 * The regions the model declares that the inputs cannot support: ET and TC (which contains ET) without a T1ce.
 * Without a segmentation (withheld), no region is listed here: the SR then reports the tumour volume as not attempted.
 */
export function notAssessableRegions(findings: Findings): NotAssessableRegion[] {
  const declared = new Set<RegionKey>((findings.segmentation?.segments ?? []).map((s) => s.key));
  if (declared.has('ET') && (declared.has('NCR') || findings.regions.some((r) => r.key === 'TC'))) declared.add('TC');
  const out: NotAssessableRegion[] = [];
  for (const key of ['NCR', 'ED', 'ET', 'GTV', 'TC', 'WT'] as RegionKey[]) {
    const need = REGION_NEEDS[key];
    if (declared.has(key) && need && findings.missingModalities.includes(need)) {
      out.push({ key, reason: `no ${ROLE_NAMES[need]} series: enhancement cannot be assessed` });
    }
  }
  return out;
}

export interface SegmentSpec {
  /** SegmentNumber, 1..N. */
  number: number;
  key: RegionKey;
  label: string;
  description: string;
  /** Label-map values that belong to this segment (one for a plain segment, several for TC/WT). */
  labelValues: number[];
  category: CodedConcept;
  type: CodedConcept;
  anatomicRegion: CodedConcept;
  cielab: [number, number, number];
}

/** Default display colours (sRGB) when the model package gives none; BraTS viewers use similar ones. */
const DEFAULT_RGB: Record<RegionKey, [number, number, number]> = {
  NCR: [220, 40, 40],
  ED: [40, 200, 60],
  ET: [250, 220, 0],
  GTV: [230, 60, 220],
  TC: [240, 130, 20],
  WT: [70, 130, 255],
};

const REGION_TEXT: Record<RegionKey, string> = {
  NCR: 'Necrotic / non-enhancing tumour core',
  ED: 'Peritumoural oedema',
  ET: 'Enhancing tumour',
  GTV: 'Gross tumour volume',
  TC: 'Tumour core (NCR + ET)',
  WT: 'Whole tumour (NCR + ED + ET)',
};

export function regionText(key: RegionKey): string {
  return REGION_TEXT[key];
}

/** sRGB (0..255) -> CIE L*a*b* (D65) -> DICOM scaling 0..65535 (PS3.3 C.10.7.1.1). */
export function rgbToDicomLab(rgb: [number, number, number]): [number, number, number] {
  const lin = rgb.map((v) => {
    const c = v / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  const x = (0.4124564 * lin[0] + 0.3575761 * lin[1] + 0.1804375 * lin[2]) / 0.95047;
  const y = 0.2126729 * lin[0] + 0.7151522 * lin[1] + 0.072175 * lin[2];
  const z = (0.0193339 * lin[0] + 0.119192 * lin[1] + 0.9503041 * lin[2]) / 1.08883;
  const f = (t: number): number => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116);
  const L = 116 * f(y) - 16;
  const a = 500 * (f(x) - f(y));
  const b = 200 * (f(y) - f(z));
  const clamp = (v: number): number => Math.max(0, Math.min(65535, Math.round(v)));
  return [clamp((L * 65535) / 100), clamp(((a + 128) * 65535) / 255), clamp(((b + 128) * 65535) / 255)];
}

/** DICOM CIELab (0..65535) -> sRGB 0..255, for burning overlays into key images. */
export function dicomLabToRgb(lab: [number, number, number]): [number, number, number] {
  const L = (lab[0] * 100) / 65535;
  const a = (lab[1] * 255) / 65535 - 128;
  const b = (lab[2] * 255) / 65535 - 128;
  const fy = (L + 16) / 116;
  const fx = fy + a / 500;
  const fz = fy - b / 200;
  const inv = (t: number): number => (t ** 3 > 216 / 24389 ? t ** 3 : (116 * t - 16) / (24389 / 27));
  const x = inv(fx) * 0.95047;
  const y = inv(fy);
  const z = inv(fz) * 1.08883;
  const r = 3.2404542 * x - 1.5371385 * y - 0.4985314 * z;
  const g = -0.969266 * x + 1.8760108 * y + 0.041556 * z;
  const bl = 0.0556434 * x - 0.2040259 * y + 1.0572252 * z;
  const gamma = (v: number): number => {
    const c = v <= 0.0031308 ? 12.92 * v : 1.055 * v ** (1 / 2.4) - 0.055;
    return Math.max(0, Math.min(255, Math.round(c * 255)));
  };
  return [gamma(r), gamma(g), gamma(bl)];
}

function fromDefinition(def: SegmentDefinition, number: number): SegmentSpec {
  return {
    number,
    key: def.key,
    label: def.label,
    description: `${def.label} (${def.key}, label value ${def.labelValue} of the model output)`,
    labelValues: [def.labelValue],
    category: def.category,
    type: def.type,
    anatomicRegion: def.anatomicRegion ?? SCT.brain,
    cielab: def.recommendedDisplayCIELab ?? rgbToDicomLab(DEFAULT_RGB[def.key]),
  };
}

/** Label values of a composite region: from Findings.regions when present, else from the usual BraTS definition. */
function compositeLabels(findings: Findings, key: 'TC' | 'WT', defs: SegmentDefinition[]): number[] {
  const region = findings.regions.find((r) => r.key === key);
  if (region && region.labelValues.length) return [...region.labelValues].sort((a, b) => a - b);
  const members: RegionKey[] = key === 'TC' ? ['NCR', 'ET'] : ['NCR', 'ED', 'ET'];
  return defs.filter((d) => members.includes(d.key)).map((d) => d.labelValue);
}

/** The SEG's segments. Throws EncoderInputError for duplicate or out-of-range label values. */
export function segmentCatalog(findings: Findings, compositeSegments: boolean): SegmentSpec[] {
  const seg = findings.segmentation;
  if (!seg) throw new EncoderInputError('Findings have no segmentation to encode', 'no-segmentation');
  if (!seg.segments.length) throw new EncoderInputError('segmentation declares no segments', 'bad-segments');
  const defs = [...seg.segments].sort((a, b) => a.labelValue - b.labelValue);
  const seen = new Set<number>();
  for (const d of defs) {
    if (!Number.isInteger(d.labelValue) || d.labelValue < 1 || d.labelValue > 255 || seen.has(d.labelValue)) {
      throw new EncoderInputError(`segment ${d.key}: label value ${d.labelValue} is invalid or duplicated`, 'bad-segments');
    }
    seen.add(d.labelValue);
  }
  const dropped = new Set(notAssessableRegions(findings).map((n) => n.key));
  const specs = defs.filter((d) => !dropped.has(d.key)).map((d, i) => fromDefinition(d, i + 1));
  if (compositeSegments) {
    const composites: Array<{ key: 'TC' | 'WT'; type: CodedConcept }> = [
      { key: 'TC', type: SCT.neoplasm },
      { key: 'WT', type: SCT.lesion },
    ];
    for (const comp of composites) {
      if (dropped.has(comp.key)) continue;
      const labels = compositeLabels(findings, comp.key, defs).filter((v) => specs.some((sp) => sp.labelValues[0] === v));
      if (labels.length < 2) continue;
      specs.push({
        number: specs.length + 1,
        key: comp.key,
        label: REGION_TEXT[comp.key],
        description: `${REGION_TEXT[comp.key]}: union of label values ${labels.join(', ')} (overlaps other segments)`,
        labelValues: labels,
        category: SCT.morphologicallyAbnormalStructure,
        type: comp.type,
        anatomicRegion: SCT.brain,
        cielab: rgbToDicomLab(DEFAULT_RGB[comp.key]),
      });
    }
  }
  return specs;
}
