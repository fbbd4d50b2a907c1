/**
 * A corrected segmentation from a viewer (OHIF, 3D Slicer) read onto the AI's grid, and what it changes: its
 * segments matched to the AI's (by segmented property type, else by label, else by number), the corrected label
 * map on the display series, the regions' volumes and the bidimensional measurement recomputed from it, and the
 * agreement with the AI. Also: which incoming SEGs are corrections of our results (isCorrectionCandidate).
 */
import type { Findings, RegionMeasurement, SegmentDefinition } from '../ai/findings';
import { bidimensionalOf } from '../ai/bidimensional';
import { measureRegions } from '../ai/postprocess';
import type { NaturalDataset } from '../dicom/p10';
import { decodeSeg, segToLabelmap } from '../encoders/seg/seg-decoder';
import type { DecodedSeg } from '../encoders/seg/seg-decoder';
import { segmentCatalog, type SegmentSpec } from '../encoders/seg/segment-catalog';
import { segmentationAgreement, type RegionAgreement } from './agreement';

export class CorrectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorrectionError';
  }
}

export interface CorrectionAnalysis {
  /** Corrected SEG segment number -> the AI label value it corrects. */
  mapping: Array<{ segmentNumber: number; labelValue: number; key: string; matchedBy: 'type' | 'label' | 'number' }>;
  ignoredSegments: number[];
  labelmap: Uint8Array;
  regions: RegionMeasurement[];
  bidimensional?: Findings['bidimensional'];
  agreement: RegionAgreement[];
  /** The AI's SEG segments renumbered as in the corrected SEG (what the review SR references). */
  segments: SegmentSpec[];
  emptySegments: number[];
}

function matchSegment(s: DecodedSeg['segments'][number], defs: readonly SegmentDefinition[]): { def: SegmentDefinition; by: 'type' | 'label' | 'number' } | undefined {
  const byType = defs.filter((d) => s.typeCode && d.type.value === s.typeCode && (!s.typeScheme || d.type.scheme === s.typeScheme));
  if (byType.length === 1) return { def: byType[0]!, by: 'type' };
  const label = s.label.toLowerCase();
  const byLabel = defs.find((d) => label && (label === d.label.toLowerCase() || label.split(/[^a-z]+/i).includes(d.key.toLowerCase())));
  if (byLabel) return { def: byLabel, by: 'label' };
  const byNumber = defs.find((d) => d.labelValue === s.number);
  return byNumber ? { def: byNumber, by: 'number' } : undefined;
}

/** The corrected SEG against the AI's Findings (which must hold the segmentation it corrects). */
export function analyseCorrection(findings: Findings, segDataset: NaturalDataset): CorrectionAnalysis {
  const seg = findings.segmentation;
  if (!seg) throw new CorrectionError('the AI result has no segmentation to correct');
  let decoded: DecodedSeg;
  try {
    decoded = decodeSeg(segDataset);
  } catch (e) {
    throw new CorrectionError(`the corrected SEG cannot be read: ${(e as Error).message}`);
  }
  const mapping: CorrectionAnalysis['mapping'] = [];
  const ignored: number[] = [];
  for (const s of decoded.segments) {
    const m = matchSegment(s, seg.segments);
    if (!m || mapping.some((x) => x.labelValue === m.def.labelValue)) ignored.push(s.number);
    else mapping.push({ segmentNumber: s.number, labelValue: m.def.labelValue, key: m.def.key, matchedBy: m.by });
  }
  if (!mapping.length) throw new CorrectionError(`none of the corrected SEG's ${decoded.segments.length} segment(s) matches a segment of model ${findings.model.name}`);
  const ref = findings.referenceSeries;
  let labelmap: Uint8Array;
  try {
    labelmap = segToLabelmap(decoded, ref.sources, (n) => mapping.find((x) => x.segmentNumber === n)?.labelValue);
  } catch (e) {
    throw new CorrectionError(`the corrected SEG does not fit the display series ${ref.seriesInstanceUid}: ${(e as Error).message}`);
  }
  const regionDefs = findings.regions.map((r) => ({ key: r.key, labelValues: r.labelValues }));
  const regions = measureRegions(labelmap, seg.labelmap.affine, regionDefs);
  const corrected = { ...seg.labelmap, data: labelmap };
  const bidimensional = bidimensionalOf(regions, corrected, ref);
  const agreement = segmentationAgreement(seg.labelmap.data, labelmap, seg.labelmap, regionDefs);
  const catalog = segmentCatalog(findings, false);
  const segments = mapping
    .map((m) => {
      const spec = catalog.find((s) => s.key === m.key);
      return spec ? { ...spec, number: m.segmentNumber } : undefined;
    })
    .filter((s): s is SegmentSpec => !!s);
  const withVoxels = new Set<number>();
  for (let v = 0; v < labelmap.length; v++) if (labelmap[v]) withVoxels.add(labelmap[v]!);
  const emptySegments = mapping.filter((m) => !withVoxels.has(m.labelValue)).map((m) => m.segmentNumber);
  return { mapping, ignoredSegments: ignored, labelmap, regions, ...(bidimensional ? { bidimensional } : {}), agreement, segments, emptySegments };
}

type Item = Record<string, unknown>;
const items = (v: unknown): Item[] => (Array.isArray(v) ? (v as Item[]) : []);

/**
 * What an incoming SEG's header references: the series in ReferencedSeriesSequence, and the instances it names
 * there and as derivation sources (top-level SourceImageSequence, per-frame DerivationImageSequence), which may
 * include our own SEG when the viewer derived the correction from it.
 */
export function segReferences(ds: NaturalDataset): { seriesUids: string[]; sopUids: string[] } {
  const series = new Set<string>();
  const sops = new Set<string>();
  for (const s of items(ds.ReferencedSeriesSequence)) {
    if (s.SeriesInstanceUID) series.add(String(s.SeriesInstanceUID));
    for (const i of items(s.ReferencedInstanceSequence)) if (i.ReferencedSOPInstanceUID) sops.add(String(i.ReferencedSOPInstanceUID));
  }
  for (const i of items(ds.SourceImageSequence)) if (i.ReferencedSOPInstanceUID) sops.add(String(i.ReferencedSOPInstanceUID));
  for (const d of items(ds.DerivationImageSequence)) for (const i of items(d.SourceImageSequence)) if (i.ReferencedSOPInstanceUID) sops.add(String(i.ReferencedSOPInstanceUID));
  for (const pf of items(ds.PerFrameFunctionalGroupsSequence).slice(0, 1)) {
    for (const d of items(pf.DerivationImageSequence)) for (const i of items(d.SourceImageSequence)) if (i.ReferencedSOPInstanceUID) sops.add(String(i.ReferencedSOPInstanceUID));
  }
  return { seriesUids: [...series], sopUids: [...sops] };
}
