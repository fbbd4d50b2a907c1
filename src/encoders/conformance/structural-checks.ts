/**
 * Our own structural checks on produced objects: the invariants that dciodvfy does not test and
 * that OHIF/Slicer rely on. Pure functions over naturalized data sets (dcmjs readP10 output), so the
 * pipeline can also run them before delivery, and tests can run them without files.
 *
 * SEG: SegmentSequence 1..N; NumberOfFrames = per-frame items; Pixel Data length and zero padding bits;
 *      dimension index rules (segment value = ReferencedSegmentNumber; position index <-> IPP one-to-one, 1..K
 *      without gaps, increasing along the slice normal, same index in every segment); every frame has a source
 *      image with purpose 121322 and derivation 113076; frame -> source mapping and geometry equal to the source
 *      (IPP, IOP, PixelSpacing, Rows/Columns, Frame of Reference); ReferencedSeriesSequence lists the display
 *      series first and only instances the object references.
 * SR:  TID 1500 root (126000, DCMR 1500), Image Library, measurement groups with Tracking Identifier + valid unique
 *      Tracking UID, Referenced Segment -> a delivered SEG and existing segment numbers, source series = the SEG's
 *      display series, Volume equal to the SEG's voxels x voxel volume, NUMs with UCUM units and a child item,
 *      CODE/TEXT only in the root Qualitative Evaluations, private schemes declared, every referenced instance in
 *      the evidence and resolvable in the delivered set.
 */
import type { NaturalDataset } from '../../dicom/p10';
import { SopClass } from '../../dicom/constants';
import { isValidUid } from '../../dicom/uids';
import { packedLength } from '../seg/bitpack';
import { decodeSeg, pixelBytes, segmentMask, type DecodedSeg } from '../seg/seg-decoder';
import type { SliceSource, Vec3 } from '../../imaging/volume';

export type Severity = 'error' | 'warning';

export interface Issue {
  severity: Severity;
  /** Stable id of the rule, e.g. "seg.dimension-index". */
  rule: string;
  message: string;
}

type Item = Record<string, unknown>;

export function items(v: unknown): Item[] {
  return Array.isArray(v) ? (v as Item[]) : [];
}

export function nums(v: unknown): number[] {
  if (v == null) return [];
  return (Array.isArray(v) ? v : [v]).map(Number);
}

export function codeOf(seq: unknown): { value: string; scheme: string; meaning: string } | undefined {
  const c = items(seq)[0];
  if (!c) return undefined;
  return { value: String(c.CodeValue ?? c.LongCodeValue ?? ''), scheme: String(c.CodingSchemeDesignator ?? ''), meaning: String(c.CodeMeaning ?? '') };
}

export function hasCode(seq: unknown, value: string, scheme: string): boolean {
  const c = codeOf(seq);
  return c?.value === value && c.scheme === scheme;
}

function dist(a: readonly number[], b: readonly number[]): number {
  return Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!);
}

/** What the checks know about the other objects in the delivery (all optional). */
export interface CheckContext {
  /** Every object in the set (sources and outputs) by SOP Instance UID. */
  byUid: Map<string, NaturalDataset>;
  /** Whether the source images are part of the set (then unresolved references are errors). */
  sourcesProvided: boolean;
}

export function emptyContext(): CheckContext {
  return { byUid: new Map(), sourcesProvided: false };
}

/** Source slice (IPP, IOP, spacing, size) for a reference, from a single-frame or an enhanced multi-frame source. */
function sourceGeometry(ds: NaturalDataset, frame?: number): { ipp?: number[]; iop?: number[]; spacing?: number[] } {
  const perFrame = items(ds.PerFrameFunctionalGroupsSequence);
  if (perFrame.length && frame != null) {
    const pf = perFrame[frame - 1];
    const sh = items(ds.SharedFunctionalGroupsSequence)[0];
    const grp = (n: string): Item | undefined => items(pf?.[n])[0] ?? items(sh?.[n])[0];
    return {
      ipp: nums(grp('PlanePositionSequence')?.ImagePositionPatient),
      iop: nums(grp('PlaneOrientationSequence')?.ImageOrientationPatient),
      spacing: nums(grp('PixelMeasuresSequence')?.PixelSpacing),
    };
  }
  return { ipp: nums(ds.ImagePositionPatient), iop: nums(ds.ImageOrientationPatient), spacing: nums(ds.PixelSpacing) };
}

function normal(iop: number[]): Vec3 {
  return [iop[1]! * iop[5]! - iop[2]! * iop[4]!, iop[2]! * iop[3]! - iop[0]! * iop[5]!, iop[0]! * iop[4]! - iop[1]! * iop[3]!];
}

export function checkSeg(ds: NaturalDataset, ctx: CheckContext = emptyContext()): Issue[] {
  const out: Issue[] = [];
  const err = (rule: string, message: string): void => void out.push({ severity: 'error', rule, message });
  const warn = (rule: string, message: string): void => void out.push({ severity: 'warning', rule, message });
  if (ds.SOPClassUID !== SopClass.Segmentation) err('seg.sop-class', `SOPClassUID ${String(ds.SOPClassUID)} is not Segmentation Storage`);
  if (ds.Modality !== 'SEG') err('seg.modality', `Modality is ${String(ds.Modality)}, not SEG`);
  let seg: DecodedSeg;
  try {
    seg = decodeSeg(ds);
  } catch (e) {
    err('seg.decode', (e as Error).message);
    return out;
  }
  // Segments 1..N in order (OHIF indexes segment metadata by position).
  seg.segments.forEach((s, i) => {
    if (s.number !== i + 1) err('seg.segment-numbers', `SegmentSequence item ${i + 1} has SegmentNumber ${s.number}; expected ${i + 1}`);
  });
  for (const s of items(ds.SegmentSequence)) {
    if (s.SegmentAlgorithmType !== 'MANUAL' && !s.SegmentAlgorithmName) err('seg.algorithm-name', `segment ${String(s.SegmentNumber)} has no SegmentAlgorithmName`);
    if (!items(s.RecommendedDisplayCIELabValue).length && !s.RecommendedDisplayCIELabValue) warn('seg.colour', `segment ${String(s.SegmentNumber)} has no RecommendedDisplayCIELabValue (OHIF shows a warning)`);
  }
  const frameSize = seg.rows * seg.columns;
  const pd = pixelBytes(ds.PixelData);
  const expected = packedLength(seg.frames.length, frameSize);
  if (pd.length !== expected) err('seg.pixel-length', `Pixel Data is ${pd.length} bytes; ${seg.frames.length} frames of ${seg.rows}x${seg.columns} bits need ${expected}`);
  const usedBits = seg.frames.length * frameSize;
  for (let b = usedBits; b < Math.min(pd.length * 8, usedBits + 16); b++) {
    if ((pd[b >>> 3]! >>> (b & 7)) & 1) {
      err('seg.pixel-padding', 'padding bits after the last frame are not zero');
      break;
    }
  }
  // Dimension index sequence: segment number, then image position.
  const dis = items(ds.DimensionIndexSequence);
  const orgUid = String(items(ds.DimensionOrganizationSequence)[0]?.DimensionOrganizationUID ?? '');
  const ptr = (v: unknown): number => Number(Array.isArray(v) ? v[0] : v);
  if (dis.length !== 2 || ptr(dis[0]?.DimensionIndexPointer) !== 0x0062000b || ptr(dis[0]?.FunctionalGroupPointer) !== 0x0062000a ||
    ptr(dis[1]?.DimensionIndexPointer) !== 0x00200032 || ptr(dis[1]?.FunctionalGroupPointer) !== 0x00209113) {
    err('seg.dimension-index-sequence', 'DimensionIndexSequence must be [ReferencedSegmentNumber in SegmentIdentificationSequence, ImagePositionPatient in PlanePositionSequence]');
  }
  for (const d of dis) if (String(d.DimensionOrganizationUID) !== orgUid) err('seg.dimension-organization', 'DimensionIndexSequence item names another DimensionOrganizationUID');

  const segNumbers = new Set(seg.segments.map((s) => s.number));
  const posToIpp = new Map<number, number[]>();
  const ippToPos = new Map<string, number>();
  const iop = seg.imageOrientationPatient ?? [];
  if (iop.length !== 6) err('seg.orientation', 'no shared PlaneOrientationSequence ImageOrientationPatient');
  const perFrame = items(ds.PerFrameFunctionalGroupsSequence);
  let prevSeg = 0;
  seg.frames.forEach((f, i) => {
    const n = i + 1;
    if (!segNumbers.has(f.segmentNumber)) err('seg.frame-segment', `frame ${n} references segment ${f.segmentNumber}, not in SegmentSequence`);
    if (f.segmentNumber < prevSeg) warn('seg.frame-order', `frame ${n}: frames are not segment-major`);
    prevSeg = f.segmentNumber;
    const div = f.dimensionIndexValues;
    if (div.length !== 2) {
      err('seg.dimension-index-values', `frame ${n} has ${div.length} DimensionIndexValues; expected 2`);
      return;
    }
    if (div[0] !== f.segmentNumber) err('seg.dimension-index-values', `frame ${n}: segment index ${div[0]} != ReferencedSegmentNumber ${f.segmentNumber}`);
    if (!f.ipp) {
      err('seg.plane-position', `frame ${n} has no PlanePositionSequence`);
      return;
    }
    const known = posToIpp.get(div[1]!);
    if (known && dist(known, f.ipp) > 1e-4) err('seg.dimension-index-values', `frame ${n}: position index ${div[1]} used for two positions`);
    posToIpp.set(div[1]!, f.ipp);
    const key = f.ipp.map((v) => v.toFixed(4)).join('\\');
    const pos = ippToPos.get(key);
    if (pos != null && pos !== div[1]) err('seg.dimension-index-values', `frame ${n}: position ${key} has index ${div[1]} here and ${pos} elsewhere`);
    ippToPos.set(key, div[1]!);
    const der = items(perFrame[i]?.DerivationImageSequence)[0];
    const src = items(der?.SourceImageSequence)[0];
    if (!src) err('seg.derivation', `frame ${n} has no DerivationImageSequence/SourceImageSequence`);
    else {
      if (!hasCode(src.PurposeOfReferenceCodeSequence, '121322', 'DCM')) err('seg.derivation', `frame ${n}: source purpose is not (121322, DCM)`);
      if (!hasCode(der?.DerivationCodeSequence, '113076', 'DCM')) err('seg.derivation', `frame ${n}: derivation code is not (113076, DCM)`);
    }
  });
  const indices = [...posToIpp.keys()].sort((a, b) => a - b);
  indices.forEach((v, i) => {
    if (v !== i + 1) err('seg.dimension-index-values', `position indices are not 1..${indices.length} without gaps (found ${v} at rank ${i + 1})`);
  });
  if (iop.length === 6 && indices.length > 1) {
    const nrm = normal(iop);
    const d = indices.map((v) => {
      const p = posToIpp.get(v)!;
      return p[0]! * nrm[0] + p[1]! * nrm[1] + p[2]! * nrm[2];
    });
    for (let i = 1; i < d.length; i++) if (!(d[i]! > d[i - 1]!)) err('seg.dimension-index-order', 'position indices do not increase along the slice normal');
  }
  out.push(...checkSegReferences(ds, seg, ctx));
  return out;
}

function checkSegReferences(ds: NaturalDataset, seg: DecodedSeg, ctx: CheckContext): Issue[] {
  const out: Issue[] = [];
  const err = (rule: string, message: string): void => void out.push({ severity: 'error', rule, message });
  const rss = items(ds.ReferencedSeriesSequence);
  if (!rss.length) {
    err('seg.referenced-series', 'ReferencedSeriesSequence is missing (OHIF drops such a SEG)');
    return out;
  }
  const listed = new Map<string, string>(); // instance -> series
  for (const s of rss) for (const r of items(s.ReferencedInstanceSequence)) listed.set(String(r.ReferencedSOPInstanceUID), String(s.SeriesInstanceUID));
  const referenced = new Set<string>();
  for (const f of seg.frames) if (f.source) referenced.add(f.source.sopInstanceUid);
  for (const r of items(ds.SourceImageSequence)) referenced.add(String(r.ReferencedSOPInstanceUID));
  const displaySeries = String(rss[0]!.SeriesInstanceUID);
  for (const f of seg.frames) {
    if (f.source && listed.get(f.source.sopInstanceUid) !== displaySeries) {
      err('seg.referenced-series', `frame ${f.index + 1} source ${f.source.sopInstanceUid} is not in the first ReferencedSeriesSequence item (display series)`);
      break;
    }
  }
  for (const uid of listed.keys()) {
    if (!referenced.has(uid)) {
      err('seg.referenced-series', `ReferencedSeriesSequence lists ${uid}, which the object does not reference`);
      break;
    }
  }
  // Geometry against the real sources, when the delivery set holds them.
  const iop = seg.imageOrientationPatient ?? [];
  let missing = 0;
  for (const f of seg.frames) {
    if (!f.source) continue;
    const src = ctx.byUid.get(f.source.sopInstanceUid);
    if (!src) {
      missing++;
      continue;
    }
    if (String(src.SeriesInstanceUID) !== displaySeries) err('seg.source-series', `frame ${f.index + 1} source is not in the display series`);
    if (src.FrameOfReferenceUID !== ds.FrameOfReferenceUID) err('seg.frame-of-reference', `frame ${f.index + 1}: FrameOfReferenceUID differs from its source`);
    if (Number(src.Rows) !== seg.rows || Number(src.Columns) !== seg.columns) err('seg.geometry', `frame ${f.index + 1}: Rows/Columns differ from the source image`);
    const g = sourceGeometry(src, f.source.frameNumber);
    if (f.ipp && g.ipp?.length === 3 && dist(f.ipp, g.ipp) > 1e-3) err('seg.geometry', `frame ${f.index + 1}: ImagePositionPatient differs from the source by ${dist(f.ipp, g.ipp).toFixed(4)} mm`);
    if (g.iop?.length === 6 && iop.length === 6 && g.iop.some((v, i) => Math.abs(v - iop[i]!) > 1e-4)) err('seg.geometry', `frame ${f.index + 1}: ImageOrientationPatient differs from the source`);
    const ps = seg.pixelSpacing ?? [];
    if (g.spacing?.length === 2 && ps.length === 2 && g.spacing.some((v, i) => Math.abs(v - ps[i]!) > 1e-4)) err('seg.geometry', `frame ${f.index + 1}: PixelSpacing differs from the source`);
  }
  if (missing) out.push({ severity: ctx.sourcesProvided ? 'error' : 'warning', rule: 'seg.sources-resolve', message: `${missing} frame source image(s) are not in the checked set` });
  return out;
}

// ---------------------------------------------------------------------------------------------------- SR

interface Walked {
  item: Item;
  path: string;
  parentConcept?: string;
}

function walk(node: Item, path: string, out: Walked[], parentConcept?: string): void {
  out.push({ item: node, path, parentConcept });
  const concept = codeOf(node.ConceptNameCodeSequence)?.value;
  items(node.ContentSequence).forEach((c, i) => walk(c, `${path}.${i + 1}`, out, concept));
}

function conceptIs(item: Item, value: string, scheme: string): boolean {
  return hasCode(item.ConceptNameCodeSequence, value, scheme);
}

/** Voxel volume (mm3) of a SEG's grid: pixel spacing x spacing between slices. */
function voxelVolumeMm3(seg: NaturalDataset): number | undefined {
  const pm = items(items(seg.SharedFunctionalGroupsSequence)[0]?.PixelMeasuresSequence)[0];
  const ps = nums(pm?.PixelSpacing);
  const dz = Number(pm?.SpacingBetweenSlices ?? pm?.SliceThickness);
  return ps.length === 2 && dz > 0 ? ps[0]! * ps[1]! * dz : undefined;
}

const voxelCountCache = new WeakMap<NaturalDataset, Map<number, number>>();

/** Voxels per segment of a SEG (sum of set bits over its frames); decoded once per data set. */
export function segVoxelCounts(seg: NaturalDataset): Map<number, number> {
  const cached = voxelCountCache.get(seg);
  if (cached) return cached;
  const decoded = decodeSeg(seg);
  const counts = new Map<number, number>();
  const frameSize = decoded.rows * decoded.columns;
  for (const f of decoded.frames) {
    let n = 0;
    const start = f.index * frameSize;
    for (let b = start; b < start + frameSize; b++) n += (decoded.pixelData[b >>> 3]! >>> (b & 7)) & 1;
    counts.set(f.segmentNumber, (counts.get(f.segmentNumber) ?? 0) + n);
  }
  voxelCountCache.set(seg, counts);
  return counts;
}

/** Union voxel count of several (possibly overlapping) segments of a SEG, on its own frame positions. */
function unionVoxels(seg: NaturalDataset, numbers: number[]): number {
  const decoded = decodeSeg(seg);
  if (numbers.length === 1) return segVoxelCounts(seg).get(numbers[0]!) ?? 0;
  // Build a pseudo source grid from the distinct frame positions.
  const keys = new Map<string, SliceSource>();
  for (const f of decoded.frames) {
    const key = f.source ? `${f.source.sopInstanceUid}#${f.source.frameNumber ?? ''}` : (f.ipp ?? []).join('\\');
    if (!keys.has(key)) {
      keys.set(key, {
        sopClassUid: f.source?.sopClassUid ?? '',
        sopInstanceUid: f.source?.sopInstanceUid ?? key,
        frameNumber: f.source?.frameNumber,
        imagePositionPatient: (f.ipp ?? [0, 0, 0]),
      });
    }
  }
  const sources = [...keys.values()];
  const union = new Uint8Array(decoded.rows * decoded.columns * sources.length);
  for (const n of numbers) {
    const m = segmentMask(decoded, n, sources);
    for (let i = 0; i < m.length; i++) union[i] = union[i]! | (m[i]!);
  }
  let total = 0;
  for (const v of union) total += v;
  return total;
}

/** A Volume NUM against the union of the referenced segments in the SEG (not-attempted volumes have no value). */
function checkVolume(volume: Item, segNumbers: number[], segDs: NaturalDataset, where: string, err: (rule: string, message: string) => void): void {
  const mv = items(volume.MeasuredValueSequence)[0];
  if (!mv) return;
  const value = Number(nums(mv.NumericValue)[0]);
  const unit = codeOf(mv.MeasurementUnitsCodeSequence)?.value;
  const toMm3 = unit === 'mm3' ? 1 : unit === 'cm3' || unit === 'mL' || unit === 'ml' ? 1000 : undefined;
  const vox = voxelVolumeMm3(segDs);
  if (toMm3 == null) {
    err('sr.volume', `${where}: volume unit ${String(unit)} is not mm3/cm3/mL`);
    return;
  }
  if (!vox || !segNumbers.length) return;
  let expected: number;
  try {
    expected = unionVoxels(segDs, segNumbers) * vox;
  } catch (e) {
    err('sr.volume', `${where}: cannot decode the referenced SEG to verify the volume (${(e as Error).message})`);
    return;
  }
  const tol = Math.max(0.6 * toMm3 * 10 ** -3, vox * 0.5, expected * 1e-3);
  if (Math.abs(value * toMm3 - expected) > tol) {
    err('sr.volume', `${where}: volume ${value} ${unit} differs from the SEG (${(expected / toMm3).toFixed(3)} ${unit})`);
  }
}

export function checkSr(ds: NaturalDataset, ctx: CheckContext = emptyContext()): Issue[] {
  const out: Issue[] = [];
  const err = (rule: string, message: string): void => void out.push({ severity: 'error', rule, message });
  const warn = (rule: string, message: string): void => void out.push({ severity: 'warning', rule, message });
  if (ds.SOPClassUID !== SopClass.ComprehensiveSR && ds.SOPClassUID !== SopClass.EnhancedSR) {
    err('sr.sop-class', `SOPClassUID ${String(ds.SOPClassUID)} is not Comprehensive/Enhanced SR`);
  }
  if (ds.Modality !== 'SR') err('sr.modality', 'Modality is not SR');
  if (ds.ValueType !== 'CONTAINER' || !conceptIs(ds, '126000', 'DCM')) err('sr.root', 'root is not CONTAINER (126000, DCM, "Imaging Measurement Report")');
  const tpl = items(ds.ContentTemplateSequence)[0];
  if (tpl?.MappingResource !== 'DCMR' || String(tpl?.TemplateIdentifier) !== '1500') err('sr.template', 'ContentTemplateSequence is not DCMR/1500 (Slicer requires it)');
  if (ds.VerificationFlag !== 'UNVERIFIED') warn('sr.verification', 'AI output should be UNVERIFIED until a person verifies it');

  const nodes: Walked[] = [];
  items(ds.ContentSequence).forEach((c, i) => walk(c, String(i + 1), nodes));
  const top = items(ds.ContentSequence);
  if (!top.some((c) => conceptIs(c, '111028', 'DCM'))) err('sr.image-library', 'no Image Library (111028, DCM) container');
  if (!top.some((c) => conceptIs(c, '121049', 'DCM'))) warn('sr.language', 'no Language of Content Item');
  if (!top.some((c) => conceptIs(c, '121005', 'DCM'))) warn('sr.observer', 'no Observer Type');

  // Every code scheme starting with 99 must be declared.
  const declared = new Set(items(ds.CodingSchemeIdentificationSequence).map((c) => String(c.CodingSchemeDesignator)));
  const schemes = new Set<string>();
  for (const { item } of nodes) {
    for (const k of ['ConceptNameCodeSequence', 'ConceptCodeSequence']) {
      const c = codeOf(item[k]);
      if (c) {
        schemes.add(c.scheme);
        if (c.meaning.length > 64) err('sr.code', `${c.value}: CodeMeaning longer than 64 characters`);
      }
    }
  }
  for (const s of schemes) if (s.startsWith('99') && !declared.has(s)) err('sr.private-scheme', `private coding scheme ${s} is not declared in CodingSchemeIdentificationSequence`);

  // NUMs: a value with a UCUM unit, or none and a Numeric Value Qualifier (CID 42, e.g. not attempted); a child item.
  const libraryPath = `${top.findIndex((c) => conceptIs(c, '111028', 'DCM')) + 1}.`;
  for (const { item, path } of nodes) {
    if (item.ValueType !== 'NUM') continue;
    const mv = items(item.MeasuredValueSequence)[0];
    const unit = codeOf(mv?.MeasurementUnitsCodeSequence);
    if (!mv) {
      if (!codeOf(item.NumericValueQualifierCodeSequence)) err('sr.num', `NUM ${path} has neither a value nor a Numeric Value Qualifier`);
    } else {
      if (mv.NumericValue == null || !Number.isFinite(Number(nums(mv.NumericValue)[0]))) err('sr.num', `NUM ${path} has no numeric value`);
      if (unit?.scheme !== 'UCUM') err('sr.num', `NUM ${path} unit is not UCUM`);
    }
    // OHIF reads NUMs of measurement groups only; the Image Library's descriptor NUMs (TID 1604) need no child.
    if (!items(item.ContentSequence).length && !path.startsWith(libraryPath)) warn('sr.num-children', `NUM ${path} has no child item (OHIF before PR 5703 crashes on that)`);
  }
  // Root Qualitative Evaluations: CODE/TEXT only.
  for (const q of top.filter((c) => conceptIs(c, 'C0034375', 'UMLS'))) {
    for (const c of items(q.ContentSequence)) {
      if (c.ValueType !== 'CODE' && c.ValueType !== 'TEXT') err('sr.qualitative', `root Qualitative Evaluations holds a ${String(c.ValueType)} item`);
    }
  }
  // Measurement groups. A Tracking UID names one finding: groups may share it (the RANO group and the volume of the
  // lesion it measures), but two groups that each reference SEG segments may not.
  const volumetricTrackingUids = new Set<string>();
  const groups = nodes.filter((n) => conceptIs(n.item, '125007', 'DCM'));
  for (const { item: g, path } of groups) {
    const kids = items(g.ContentSequence);
    const tid = kids.find((k) => conceptIs(k, '112039', 'DCM'));
    const tuid = kids.find((k) => conceptIs(k, '112040', 'DCM'));
    if (!tid?.TextValue) err('sr.tracking-id', `measurement group ${path} has no Tracking Identifier`);
    if (!tuid || !isValidUid(tuid.UID)) err('sr.tracking-uid', `measurement group ${path} has no valid Tracking Unique Identifier (OHIF needs it)`);
    const refSeg = kids.find((k) => conceptIs(k, '121191', 'DCM'));
    if (!refSeg) continue;
    if (tuid && volumetricTrackingUids.has(String(tuid.UID))) err('sr.tracking-uid', `measurement group ${path} repeats Tracking UID ${String(tuid.UID)}`);
    if (tuid) volumetricTrackingUids.add(String(tuid.UID));
    const sop = items(refSeg.ReferencedSOPSequence)[0];
    if (sop?.ReferencedSOPClassUID !== SopClass.Segmentation) {
      err('sr.referenced-segment', `group ${path}: Referenced Segment does not point at a Segmentation`);
      continue;
    }
    const segNumbers = nums(sop.ReferencedSegmentNumber);
    const segDs = ctx.byUid.get(String(sop.ReferencedSOPInstanceUID));
    if (!segDs) {
      err('sr.referenced-segment', `group ${path}: referenced SEG ${String(sop.ReferencedSOPInstanceUID)} is not in the delivered set`);
      continue;
    }
    const known = new Set(items(segDs.SegmentSequence).map((s) => Number(s.SegmentNumber)));
    for (const n of segNumbers) if (!known.has(n)) err('sr.referenced-segment', `group ${path}: segment ${n} is not in the SEG`);
    const srcSeries = kids.find((k) => conceptIs(k, '121232', 'DCM'));
    const display = String(items(segDs.ReferencedSeriesSequence)[0]?.SeriesInstanceUID ?? '');
    if (!srcSeries) err('sr.source-series', `group ${path}: no Source series for segmentation (121232)`);
    else if (String(srcSeries.UID) !== display) err('sr.source-series', `group ${path}: source series ${String(srcSeries.UID)} is not the SEG's display series ${display}`);
    const volume = kids.find((k) => k.ValueType === 'NUM' && conceptIs(k, '118565006', 'SCT'));
    if (!volume) {
      err('sr.volume', `group ${path}: no Volume (118565006, SCT)`);
      continue;
    }
    checkVolume(volume, segNumbers, segDs, `group ${path}`, err);
  }
  // Derived volumes (TC, WT) that name the segments they are made of: the union of those segments.
  for (const { item, path, parentConcept } of nodes) {
    if (parentConcept !== '126011' || item.ValueType !== 'NUM' || !conceptIs(item, '118565006', 'SCT')) continue;
    const ref = items(item.ContentSequence).find((k) => conceptIs(k, '121191', 'DCM'));
    const sop = items(ref?.ReferencedSOPSequence)[0];
    if (!sop) continue;
    const segDs = ctx.byUid.get(String(sop.ReferencedSOPInstanceUID));
    if (!segDs) {
      err('sr.referenced-segment', `derived volume ${path}: referenced SEG ${String(sop.ReferencedSOPInstanceUID)} is not in the delivered set`);
      continue;
    }
    checkVolume(item, nums(sop.ReferencedSegmentNumber), segDs, `derived volume ${path}`, err);
  }
  // Every referenced instance is evidence, and resolvable.
  const evidence = new Set<string>();
  for (const st of items(ds.CurrentRequestedProcedureEvidenceSequence)) {
    for (const se of items(st.ReferencedSeriesSequence)) for (const r of items(se.ReferencedSOPSequence)) evidence.add(String(r.ReferencedSOPInstanceUID));
  }
  const referenced = new Set<string>();
  for (const { item } of nodes) {
    if (item.ValueType === 'IMAGE' || item.ValueType === 'COMPOSITE') {
      for (const r of items(item.ReferencedSOPSequence)) referenced.add(String(r.ReferencedSOPInstanceUID));
    }
  }
  for (const uid of referenced) if (!evidence.has(uid)) err('sr.evidence', `content references ${uid}, which is not in CurrentRequestedProcedureEvidenceSequence`);
  let unresolved = 0;
  for (const uid of evidence) if (!ctx.byUid.has(uid)) unresolved++;
  if (unresolved) {
    out.push({
      severity: ctx.sourcesProvided ? 'error' : 'warning',
      rule: 'sr.references-resolve',
      message: `${unresolved} evidence instance(s) are not in the checked set`,
    });
  }
  for (const st of items(ds.PredecessorDocumentsSequence)) {
    for (const se of items(st.ReferencedSeriesSequence)) {
      for (const r of items(se.ReferencedSOPSequence)) {
        if (r.ReferencedSOPInstanceUID === ds.SOPInstanceUID) err('sr.predecessor', 'the SR names itself as its predecessor');
      }
    }
  }
  return out;
}

export function checkSecondaryCapture(ds: NaturalDataset, ctx: CheckContext = emptyContext()): Issue[] {
  const out: Issue[] = [];
  if (ds.BurnedInAnnotation !== 'YES') out.push({ severity: 'error', rule: 'sc.burned-in', message: 'key image carries burned-in text but BurnedInAnnotation is not YES' });
  const spp = Number(ds.SamplesPerPixel);
  const expected = Number(ds.Rows) * Number(ds.Columns) * spp * (Number(ds.BitsAllocated) / 8);
  const pd = pixelBytes(ds.PixelData);
  if (pd.length < expected) out.push({ severity: 'error', rule: 'sc.pixel-length', message: `Pixel Data is ${pd.length} bytes, expected ${expected}` });
  for (const r of items(ds.SourceImageSequence)) {
    if (!ctx.byUid.has(String(r.ReferencedSOPInstanceUID))) {
      out.push({ severity: ctx.sourcesProvided ? 'error' : 'warning', rule: 'sc.source', message: `source image ${String(r.ReferencedSOPInstanceUID)} is not in the checked set` });
    }
  }
  return out;
}

export function checkEncapsulatedPdf(ds: NaturalDataset, ctx: CheckContext = emptyContext()): Issue[] {
  const out: Issue[] = [];
  const doc = pixelBytes(ds.EncapsulatedDocument);
  if (ds.MIMETypeOfEncapsulatedDocument !== 'application/pdf') out.push({ severity: 'error', rule: 'pdf.mime', message: 'MIMETypeOfEncapsulatedDocument is not application/pdf' });
  if (Buffer.from(doc.subarray(0, 5)).toString('latin1') !== '%PDF-') out.push({ severity: 'error', rule: 'pdf.magic', message: 'EncapsulatedDocument does not start with %PDF-' });
  const len = Number(ds.EncapsulatedDocumentLength);
  if (!(len > 0 && len <= doc.length && doc.length - len <= 1)) out.push({ severity: 'error', rule: 'pdf.length', message: `EncapsulatedDocumentLength ${len} does not match the ${doc.length}-byte value` });
  for (const r of items(ds.SourceInstanceSequence)) {
    if (!ctx.byUid.has(String(r.ReferencedSOPInstanceUID))) out.push({ severity: 'error', rule: 'pdf.source', message: `source instance ${String(r.ReferencedSOPInstanceUID)} is not in the checked set` });
  }
  return out;
}

const PATIENT_STUDY_KEYS = ['PatientID', 'PatientName', 'PatientBirthDate', 'PatientSex', 'StudyInstanceUID', 'StudyDate', 'StudyTime', 'AccessionNumber', 'StudyID'];

function asText(v: unknown): string {
  if (v && typeof v === 'object' && !Array.isArray(v)) return String((v as { Alphabetic?: unknown }).Alphabetic ?? '');
  if (Array.isArray(v)) return v.map(asText).join('\\');
  return v == null ? '' : String(v);
}

/** Patient and study attributes must agree across the whole set (what dcentvfy also checks). */
export function checkPatientStudyConsistency(objects: Array<{ name: string; ds: NaturalDataset }>): Issue[] {
  const out: Issue[] = [];
  const first = objects[0];
  if (!first) return out;
  for (const o of objects.slice(1)) {
    for (const k of PATIENT_STUDY_KEYS) {
      if (asText(o.ds[k]) !== asText(first.ds[k])) {
        out.push({ severity: 'error', rule: 'set.patient-study', message: `${k} of ${o.name} differs from ${first.name}` });
      }
    }
  }
  return out;
}
