/**
 * Builds `SeriesDescriptor`s from naturalized instance headers (dcmjs keyword form), grouped by SeriesInstanceUID.
 * Used by the CLI (headers read from files) and by the pipeline (headers held by the store). Pure.
 */
import { num, nums, str, strs, type NaturalDataset } from '../dicom/p10';
import { parseTimestamp, type SeriesDescriptor, type SeriesTimestamp } from './series-descriptor';
import {
  geBValue,
  geInternalPulseSequenceName,
  gePulseSequenceName,
  philipsBValue,
  philipsScanningTechnique,
} from './private-tags';

/** Items of a sequence attribute (dcmjs gives an array; be lenient with a single object). */
function items(ds: NaturalDataset | undefined, keyword: string): NaturalDataset[] {
  const v = ds?.[keyword];
  if (Array.isArray(v)) return v.filter((x): x is NaturalDataset => x != null && typeof x === 'object');
  if (v && typeof v === 'object') return [v as NaturalDataset];
  return [];
}

/** A functional-group macro item of an Enhanced MR instance: shared groups first, then the first frame's. */
function functionalGroup(ds: NaturalDataset, macro: string): NaturalDataset | undefined {
  const shared = items(ds, 'SharedFunctionalGroupsSequence')[0];
  const fromShared = items(shared, macro)[0];
  if (fromShared) return fromShared;
  return items(items(ds, 'PerFrameFunctionalGroupsSequence')[0], macro)[0];
}

/** Every frame's value of a per-frame macro attribute (shared value repeated when not per frame). */
function perFrame(ds: NaturalDataset, macro: string, read: (item: NaturalDataset) => string | undefined): string[] {
  const out: string[] = [];
  for (const frame of items(ds, 'PerFrameFunctionalGroupsSequence')) {
    const item = items(frame, macro)[0];
    const v = item ? read(item) : undefined;
    if (v != null) out.push(v);
  }
  if (!out.length) {
    const shared = items(items(ds, 'SharedFunctionalGroupsSequence')[0], macro)[0];
    const v = shared ? read(shared) : undefined;
    if (v != null) out.push(v);
  }
  return out;
}

function firstNum(...vals: Array<number | undefined>): number | undefined {
  return vals.find((v) => v != null && Number.isFinite(v));
}

function firstStr(...vals: Array<string | undefined>): string | undefined {
  return vals.find((v) => v != null && v.trim() !== '')?.trim();
}

/** Rounded key for geometry vectors so that float noise does not create "distinct" values. */
function vecKey(v: number[] | undefined, decimals: number): string | undefined {
  return v && v.length ? v.map((x) => x.toFixed(decimals)).join('\\') : undefined;
}

/** Tesla from MagneticFieldStrength (gauss when > 100, as on old GE) or from ImagingFrequency. */
export function fieldStrengthTesla(value: number | undefined, imagingFrequencyMHz?: number): number | undefined {
  if (value != null && value > 0) return value > 100 ? value / 10000 : value;
  if (imagingFrequencyMHz != null && imagingFrequencyMHz > 1) return Math.round((imagingFrequencyMHz / 42.577) * 10) / 10;
  return undefined;
}

function acquisitionTimestamp(ds: NaturalDataset): SeriesTimestamp | undefined {
  // DT (YYYYMMDDHHMMSS.FFFFFF&ZZXX): top level, or the first frame's FrameAcquisitionDateTime on Enhanced MR.
  const frameContent = functionalGroup(ds, 'FrameContentSequence');
  const dt = firstStr(str(ds, 'AcquisitionDateTime'), frameContent ? str(frameContent, 'FrameAcquisitionDateTime') : undefined);
  if (dt && dt.length >= 10) return parseTimestamp(dt.slice(0, 8), dt.slice(8).replace(/[+-]\d{4}$/, ''));
  return (
    parseTimestamp(firstStr(str(ds, 'AcquisitionDate'), str(ds, 'SeriesDate'), str(ds, 'StudyDate')), str(ds, 'AcquisitionTime')) ??
    parseTimestamp(firstStr(str(ds, 'ContentDate'), str(ds, 'SeriesDate')), str(ds, 'ContentTime'))
  );
}

function minTs(a: SeriesTimestamp | undefined, b: SeriesTimestamp | undefined): SeriesTimestamp | undefined {
  if (!a) return b;
  if (!b) return a;
  if (a.hasDate !== b.hasDate) return a.hasDate ? a : b;
  return b.seconds < a.seconds ? b : a;
}

function maxTs(a: SeriesTimestamp | undefined, b: SeriesTimestamp | undefined): SeriesTimestamp | undefined {
  if (!a) return b;
  if (!b) return a;
  if (a.hasDate !== b.hasDate) return a.hasDate ? a : b;
  return b.seconds > a.seconds ? b : a;
}

/** ContrastBolusAgent, or the Enhanced MR contrast usage / agent code when the plain tag is empty. */
function contrastAgent(ds: NaturalDataset): string | undefined {
  const plain = str(ds, 'ContrastBolusAgent').trim();
  if (plain) return plain;
  const code = items(ds, 'ContrastBolusAgentSequence')[0];
  const meaning = code ? str(code, 'CodeMeaning').trim() : '';
  const usage = items(ds, 'ContrastBolusUsageSequence');
  if (usage.some((u) => str(u, 'ContrastBolusAgentAdministered').toUpperCase() === 'YES')) return meaning || 'administered';
  return meaning || undefined;
}

/** One series' descriptor from all its instances (they must share a SeriesInstanceUID). */
export function seriesDescriptorFromInstances(instances: NaturalDataset[]): SeriesDescriptor {
  if (!instances.length) throw new Error('seriesDescriptorFromInstances: no instances');
  const sorted = [...instances].sort((a, b) => (num(a, 'InstanceNumber') ?? 0) - (num(b, 'InstanceNumber') ?? 0));
  const rep = sorted[0]!;
  const timing = functionalGroup(rep, 'MRTimingAndRelatedParametersSequence');
  const echo = functionalGroup(rep, 'MREchoSequence');
  const modifier = functionalGroup(rep, 'MRModifierSequence');
  const frameType = functionalGroup(rep, 'MRImageFrameTypeSequence');
  const diffusion = functionalGroup(rep, 'MRDiffusionSequence');

  const orientations = new Set<string>();
  const positions = new Set<string>();
  const temporal = new Set<string>();
  const echoes = new Set<string>();
  const imageType: string[] = [];
  let frames = 0;
  let maxTemporal = 0;
  let minThickness: number | undefined;
  let start: SeriesTimestamp | undefined;
  let end: SeriesTimestamp | undefined;
  let bValue: number | undefined;
  let agent: string | undefined;

  for (const ds of sorted) {
    frames += Math.max(1, num(ds, 'NumberOfFrames') ?? 1);
    for (const t of strs(ds, 'ImageType')) if (t && !imageType.includes(t.toUpperCase())) imageType.push(t.toUpperCase());
    const iop = vecKey(nums(ds, 'ImageOrientationPatient'), 3);
    if (iop) orientations.add(iop);
    for (const o of perFrame(ds, 'PlaneOrientationSequence', (i) => vecKey(nums(i, 'ImageOrientationPatient'), 3))) orientations.add(o);
    const ipp = vecKey(nums(ds, 'ImagePositionPatient'), 2);
    if (ipp) positions.add(ipp);
    for (const p of perFrame(ds, 'PlanePositionSequence', (i) => vecKey(nums(i, 'ImagePositionPatient'), 2))) positions.add(p);
    const tpi = str(ds, 'TemporalPositionIdentifier');
    if (tpi) temporal.add(tpi);
    for (const t of perFrame(ds, 'FrameContentSequence', (i) => str(i, 'TemporalPositionIndex') || undefined)) temporal.add(t);
    maxTemporal = Math.max(maxTemporal, num(ds, 'NumberOfTemporalPositions') ?? 0);
    const en = str(ds, 'EchoNumbers');
    if (en) echoes.add(en);
    for (const e of perFrame(ds, 'MREchoSequence', (i) => (num(i, 'EffectiveEchoTime') != null ? String(num(i, 'EffectiveEchoTime')) : undefined))) echoes.add(e);
    const thick = firstNum(num(ds, 'SliceThickness'), num(functionalGroup(ds, 'PixelMeasuresSequence') ?? {}, 'SliceThickness'));
    if (thick != null && thick > 0) minThickness = minThickness == null ? thick : Math.min(minThickness, thick);
    const ts = acquisitionTimestamp(ds);
    start = minTs(start, ts);
    end = maxTs(end, ts);
    const b = firstNum(num(ds, 'DiffusionBValue'), geBValue(ds), philipsBValue(ds));
    if (b != null && (bValue == null || b > bValue)) bValue = b;
    agent ??= contrastAgent(ds);
  }
  const enhancedB = diffusion ? num(diffusion, 'DiffusionBValue') : undefined;
  if (enhancedB != null && (bValue == null || enhancedB > bValue)) bValue = enhancedB;

  const seriesDate = firstStr(str(rep, 'SeriesDate'), str(rep, 'AcquisitionDate'), str(rep, 'StudyDate'));
  const bolusTime = str(rep, 'ContrastBolusStartTime');
  const inversionTimes = modifier ? nums(modifier, 'InversionTimes') : undefined;

  return {
    seriesInstanceUid: str(rep, 'SeriesInstanceUID'),
    studyInstanceUid: str(rep, 'StudyInstanceUID') || undefined,
    seriesNumber: num(rep, 'SeriesNumber'),
    modality: str(rep, 'Modality') || undefined,
    sopClassUid: str(rep, 'SOPClassUID') || undefined,
    manufacturer: str(rep, 'Manufacturer') || undefined,
    manufacturerModelName: str(rep, 'ManufacturerModelName') || undefined,
    softwareVersions: strs(rep, 'SoftwareVersions').join(' ') || undefined,
    magneticFieldStrength: fieldStrengthTesla(num(rep, 'MagneticFieldStrength'), num(rep, 'ImagingFrequency')),
    imagingFrequency: num(rep, 'ImagingFrequency'),
    seriesDescription: str(rep, 'SeriesDescription'),
    protocolName: str(rep, 'ProtocolName'),
    sequenceName: str(rep, 'SequenceName') || undefined,
    pulseSequenceName: str(rep, 'PulseSequenceName') || undefined,
    scanningSequence: strs(rep, 'ScanningSequence').map((s) => s.toUpperCase()).filter(Boolean),
    sequenceVariant: strs(rep, 'SequenceVariant').map((s) => s.toUpperCase()).filter(Boolean),
    scanOptions: strs(rep, 'ScanOptions').map((s) => s.toUpperCase()).filter(Boolean),
    mrAcquisitionType: str(rep, 'MRAcquisitionType').toUpperCase() || undefined,
    repetitionTime: firstNum(num(rep, 'RepetitionTime'), timing ? num(timing, 'RepetitionTime') : undefined),
    echoTime: firstNum(num(rep, 'EchoTime'), echo ? num(echo, 'EffectiveEchoTime') : undefined),
    inversionTime: firstNum(num(rep, 'InversionTime'), inversionTimes?.[0]),
    flipAngle: firstNum(num(rep, 'FlipAngle'), timing ? num(timing, 'FlipAngle') : undefined),
    acquisitionContrast: (firstStr(str(rep, 'AcquisitionContrast'), frameType ? str(frameType, 'AcquisitionContrast') : undefined) ?? '').toUpperCase() || undefined,
    imageType,
    contrastBolusAgent: agent,
    contrastBolusStart: bolusTime ? parseTimestamp(seriesDate, bolusTime) : undefined,
    diffusionBValue: bValue,
    gePulseSequenceName: gePulseSequenceName(rep),
    geInternalPulseSequenceName: geInternalPulseSequenceName(rep),
    philipsScanningTechnique: philipsScanningTechnique(rep),
    numberOfInstances: sorted.length,
    numberOfFrames: frames,
    distinctOrientations: orientations.size || undefined,
    distinctPositions: positions.size || undefined,
    temporalPositions: Math.max(maxTemporal, temporal.size) || undefined,
    echoCount: echoes.size || undefined,
    minSliceThickness: minThickness,
    acquisitionStart: start,
    acquisitionEnd: end,
    seriesTime: parseTimestamp(seriesDate, str(rep, 'SeriesTime')),
  };
}

/**
 * Groups instance headers by SeriesInstanceUID and builds one SeriesDescriptor per series, in first-seen order.
 * Instances without a SeriesInstanceUID (e.g. a DICOMDIR) cannot belong to a series and are left out.
 */
export function seriesDescriptorsFromDatasets(datasets: NaturalDataset[]): SeriesDescriptor[] {
  const groups = new Map<string, NaturalDataset[]>();
  for (const ds of datasets) {
    const uid = str(ds, 'SeriesInstanceUID').trim();
    if (!uid) continue;
    const g = groups.get(uid);
    if (g) g.push(ds);
    else groups.set(uid, [ds]);
  }
  return [...groups.values()].map(seriesDescriptorFromInstances);
}
