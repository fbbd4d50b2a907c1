/**
 * Builds one synthetic study end to end: case model (anatomy + tumour) -> head pose -> protocol -> each series
 * sampled, biased, noised and quantised like a scanner would -> DICOM Part 10 via the imaging series writer ->
 * ground truth (labels in patient space, class labels, which series plays which role).
 *
 * Pure with respect to its inputs: the same seed, tumour kind, vendor and options give byte-identical files.
 */
import type { NaturalDataset } from '../dicom/p10';
import { writeSeries } from './series-writer';
import type { Vec3, Volume } from '../imaging/volume';
import type { ModelRole } from '../series-id/roles';
import { applyBiasAndNoise, blurInPlane, headCentrePatient, perturbBiasField, planStack, quantise, sampleBiasField, sampleGrid, sampleStack, samplePose, tissueSignal, type BiasField, type HeadPose, type PlannedStack } from './acquisition';
import { loadAnatomy, type Anatomy } from './anatomy';
import { sampleVariation, varyAnatomy, type AnatomyVariation } from './anatomy-variation';
import { buildCaseModel, caseWeighting, type CaseModel } from './case-model';
import type { TumourKind } from './classes';
import type { SynthWeighting } from './contrasts';
import { axisAngle, compose, identity, translation } from './geometry';
import { formatTime, makePatient, makeStudy, seriesAttributes, seriesUid, studyAttributes, studyKey, type StudyIdentity, type SyntheticPatient } from './identity';
import { DSC_INJECTION_S, planStudy, type DistractorMode, type MultiframeMode, type SeriesPlan, type StudySize, type TransferSyntaxChoice } from './protocol';
import { Rng } from './random';
import { montage, screenshotDataset } from './screenshot';
import type { VarietySettings } from './variety';
import { applySeriesVariety } from './variety-protocol';
import { pickScanner, type Scanner, type Vendor } from './vendors';

export interface StudyOptions {
  tumor: TumourKind;
  seed: string;
  vendor: Vendor;
  drop?: readonly ModelRole[];
  size?: StudySize;
  distractors?: DistractorMode;
  transferSyntax?: TransferSyntaxChoice;
  /** Per-case contrast jitter (default on). */
  jitter?: boolean;
  /** Enhanced MR multi-frame objects for 3-D series (default 'auto': as the chosen scanner model does). */
  multiframe?: MultiframeMode;
  /** Tumour mass effect (default on). */
  massEffect?: boolean;
  /**
   * Anatomy variation (anatomy-variation.ts): peak smooth deformation in mm (head size then varies +/- 8 %);
   * 0 (default) = the template anatomy itself.
   */
  anatomyVariation?: number;
  /** Rigid head motion between series: each acquired series except the T1ce (which keeps the ground-truth pose) is
   * rotated by `rotationDeg` about a random axis through the head centre and shifted by `translationMm` in a random
   * direction. Absent or zero: every series shares one pose. */
  motion?: { rotationDeg: number; translationMm: number };
  /**
   * Training-set variety (variety.ts): anatomy deformation and head size, contrast, bias, noise, role-series
   * geometry and blur, motion and tumour location/shape/size. Overrides `anatomyVariation` and `motion`.
   * Absent: the study is exactly what the options above make.
   */
  variety?: VarietySettings;
}

/** One written DICOM object. */
export interface OutputFile {
  /** Path relative to the study's dicom/ folder. */
  path: string;
  buffer: Buffer;
}

export interface SeriesRecord {
  kind: SeriesPlan['kind'];
  role: SeriesPlan['role'];
  seriesInstanceUid: string;
  seriesNumber: number;
  seriesDescription: string;
  folder: string;
  sopClassUid: string;
  transferSyntaxUid: string;
  instanceCount: number;
  postContrast: boolean;
  acquisitionTime: string;
  /** Geometry of each stack (voxel -> patient LPS). */
  stacks: Array<{ orientation: string; dims: Vec3; spacing: Vec3; sliceThickness: number; affine: number[] }>;
  /** Head motion of this series relative to the ground-truth pose (synth --motion), when it moved. */
  motion?: SeriesMotion;
}

export interface SynthStudy {
  seed: string;
  options: Required<Omit<StudyOptions, 'drop' | 'motion' | 'variety'>> & { drop: ModelRole[]; motion?: StudyOptions['motion']; variety?: VarietySettings };
  caseModel: CaseModel;
  /** The deformation and head-size factor applied to the template anatomy (null: the template itself). */
  variation: AnatomyVariation | null;
  pose: HeadPose;
  scanner: Scanner;
  patient: SyntheticPatient;
  study: StudyIdentity;
  series: SeriesRecord[];
  files: OutputFile[];
  contrastInjectionTime: string | null;
  /** The acquired role volumes (stored values, patient-space affine), e.g. for the training export. */
  roleVolumes: Partial<Record<ModelRole, Volume<Uint16Array>>>;
}

/** Stored-value scale per vendor: tissue signal -> typical stored magnitude; 12-bit for Siemens/Philips. */
function storedScale(scanner: Scanner, rng: Rng): { target: number; max: number } {
  if (scanner.vendor === 'ge') return { target: rng.uniform(600, 1400), max: 32767 };
  if (scanner.vendor === 'philips') return { target: rng.uniform(250, 900), max: 4095 };
  return { target: rng.uniform(300, 900), max: 4095 };
}

function sanitise(s: string): string {
  return s.replace(/[^A-Za-z0-9+_-]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 48) || 'series';
}

/** Weightings needed by the remaining series: computed lazily, dropped after their last use. */
class WeightingCache {
  private readonly cache = new Map<SynthWeighting, Float32Array>();
  constructor(private readonly c: CaseModel, private readonly lastUse: Map<SynthWeighting, number>) {}
  get(w: SynthWeighting): Float32Array {
    let v = this.cache.get(w);
    if (!v) this.cache.set(w, (v = caseWeighting(this.c, w)));
    return v;
  }
  release(afterIndex: number): void {
    for (const [w, last] of this.lastUse) if (last <= afterIndex) this.cache.delete(w);
  }
}

interface Acquired {
  plan: SeriesPlan;
  stacks: PlannedStack[];
  /** Float signal per stack (after bias and noise, before quantisation). */
  signal: Float32Array[];
  volumes: Array<Volume<Uint16Array | Float32Array>>;
  sliceThickness: number[];
  /** Extra per-stack header attributes (DWI b-value, DSC time point). */
  stackAttrs: NaturalDataset[];
  /** Per-stack acquisition time offset (s) from the series start (DSC time points). */
  timeOffsets: number[];
  rescale?: { slope: number; intercept: number };
}

export async function synthesiseStudy(opts: StudyOptions): Promise<SynthStudy> {
  const v = opts.variety;
  if (v) opts = { ...opts, anatomyVariation: v.anatomy.deformationMaxMm, ...(v.motion ? { motion: v.motion } : { motion: undefined }) };
  const o = {
    tumor: opts.tumor, seed: String(opts.seed), vendor: opts.vendor, drop: [...(opts.drop ?? [])],
    size: opts.size ?? 'full', distractors: opts.distractors ?? 'random', transferSyntax: opts.transferSyntax ?? 'random',
    jitter: opts.jitter ?? true, multiframe: opts.multiframe ?? 'auto', massEffect: opts.massEffect ?? true,
    anatomyVariation: opts.anatomyVariation ?? 0,
    ...(opts.motion && (opts.motion.rotationDeg || opts.motion.translationMm) ? { motion: opts.motion } : {}),
    ...(v ? { variety: v } : {}),
  };
  const root = new Rng(studyKey(o.seed));
  const template = loadAnatomy({ resolution: o.size === 'small' ? 2 : 1 });
  const variation = o.anatomyVariation > 0 ? sampleVariation(root.fork('anatomy'), o.anatomyVariation, v?.anatomy.headScaleDelta) : null;
  const anat = variation ? varyAnatomy(template, variation) : template;
  const caseModel = buildCaseModel(anat, o.tumor, root.fork('case'), { jitter: o.jitter, massEffect: o.massEffect, ...(v ? { variety: v } : {}) });
  const pose = samplePose(anat, root.fork('pose'));
  const scanner = pickScanner(o.vendor, root);
  const patient = makePatient(o.seed, caseModel.plan.patientAge, root.fork('patient'));
  const study = makeStudy(o.seed, patient, root.fork('study'));
  const centre = headCentrePatient(anat, pose);
  const planned = planStudy(root, {
    scanner, size: o.size, drop: new Set(o.drop), distractors: o.distractors, transferSyntax: o.transferSyntax,
    headCentre: centre, headPitchDeg: pose.rotationDeg[0], multiframe: o.multiframe,
  });
  const plan = v ? applySeriesVariety(planned, v, o.size) : planned;
  const sessionBias = sampleBiasField(root.fork('bias'), centre, v?.biasStrength);
  const lastUse = new Map<SynthWeighting, number>();
  plan.series.forEach((s, i) => s.weightings.forEach((w) => lastUse.set(w, i)));
  const weightings = new WeightingCache(caseModel, lastUse);
  const common = studyAttributes(patient, study, scanner);
  const contrast = plan.contrastSeconds === null ? null : { agent: scanner.contrastAgent, startSeconds: study.startSeconds + plan.contrastSeconds };

  const acquired = new Map<string, Acquired>();
  const records: SeriesRecord[] = [];
  const files: OutputFile[] = [];
  const roleVolumes: SynthStudy['roleVolumes'] = {};

  for (let idx = 0; idx < plan.series.length; idx++) {
    const sp = plan.series[idx]!;
    const r = root.fork(`series/${sp.seriesNumber}/${sp.kind}`);
    const uid = seriesUid(o.seed, sp.seriesNumber, sp.kind);
    const source = sp.derivedFrom ? acquired.get(sp.derivedFrom) : undefined;
    const acqSeconds = study.startSeconds + (source ? source.plan.startSeconds : sp.startSeconds);
    const timing = { acquisitionSeconds: acqSeconds, seriesSeconds: study.startSeconds + sp.startSeconds };
    const header = { ...common, ...seriesAttributes(sp, uid, study, scanner, timing, contrast, r.fork('attrs')) };
    if (source) {
      // Derived series keep their source's acquisition parameters (TR/TE/TI/flip) under their own identity.
      const inversion = ([] as unknown[]).concat(header.ScanningSequence ?? []).includes('IR');
      for (const k of ['RepetitionTime', 'EchoTime', 'InversionTime', 'FlipAngle', 'EchoTrainLength', 'PixelBandwidth']) {
        if (k === 'InversionTime' && !inversion) continue;
        if (header[k] === undefined && source.plan.header.attrs[k] !== undefined) header[k] = source.plan.header.attrs[k];
      }
    }
    const folder = `${String(sp.seriesNumber).padStart(4, '0')}_${sanitise(sp.header.description)}`;

    if (sp.kind === 'screenshot') {
      const shot = screenshot(acquired, anat, pose, caseModel, header, uid, o.seed);
      if (!shot) continue;
      files.push({ path: `${folder}/IM0001.dcm`, buffer: shot });
      records.push(record(sp, uid, folder, '1.2.840.10008.5.1.4.1.1.7', sp.transferSyntaxUid, 1, timing, []));
      continue;
    }

    // The T1ce keeps the ground-truth pose (labels are in it); derived series follow their source.
    const moved = o.motion && !sp.derivedFrom && sp.role !== 't1ce' ? seriesMotion(o.motion, centre, r.fork('motion')) : undefined;
    const seriesPose = moved ? { ...pose, matrix: compose(moved.matrix, pose.matrix) } : pose;
    const acq = sp.derivedFrom ? derive(sp, source, r) : acquire(sp, anat, seriesPose, weightings, sessionBias, scanner, r);
    weightings.release(idx);
    if (!acq) continue;
    acquired.set(sp.kind, acq);

    let instanceOffset = 0;
    let sopClassUid = '';
    let count = 0;
    if (sp.format !== 'enhanced') {
      delete header.AcquisitionContrast;
    } else {
      // Enhanced MR: one AcquisitionDateTime instead of date + time; PulseSequenceName is Type 1C there.
      header.AcquisitionDateTime = `${study.date}${formatTime(acqSeconds)}`;
      delete header.AcquisitionDate;
      delete header.AcquisitionTime;
      header.PulseSequenceName = pulseSequenceName(sp, scanner);
      if (header.InPlanePhaseEncodingDirection === 'COL') header.InPlanePhaseEncodingDirection = 'COLUMN';
    }
    for (let s = 0; s < acq.volumes.length; s++) {
      const vol = acq.volumes[s]!;
      const stackHeader: NaturalDataset = { ...header, ...acq.stackAttrs[s] };
      const offset = acq.timeOffsets[s];
      if (offset !== undefined) {
        stackHeader.AcquisitionTime = formatTime(acqSeconds + offset);
        stackHeader.ContentTime = formatTime(acqSeconds + offset);
      }
      const written = await writeSeries(vol, stackHeader, {
        seed: `${studyKey(o.seed)}/${uid}/stack${s}`,
        format: sp.format,
        transferSyntaxUid: sp.transferSyntaxUid,
        bitsStored: scanner.vendor === 'ge' ? 16 : 12,
        sliceThickness: acq.sliceThickness[s],
        rescale: acq.rescale ?? 'auto',
        instanceNumber: (k) => instanceOffset + k + 1,
      });
      sopClassUid = written.sopClassUid;
      written.instances.forEach((inst, k) => {
        files.push({ path: `${folder}/IM${String(instanceOffset + k + 1).padStart(4, '0')}.dcm`, buffer: inst.buffer });
      });
      count += written.instances.length;
      instanceOffset += written.instances.length;
    }
    if (sp.role !== 'other' && acq.volumes[0]) {
      roleVolumes[sp.role] = { ...(acq.volumes[0] as Volume<Uint16Array>), frameOfReferenceUid: study.frameOfReferenceUid };
    }
    // Keep only what derived series (ADC from DWI signal, MPR/screen save from role volumes) still need.
    if (sp.kind !== 'dwi') acq.signal = [];
    if (sp.role === 'other') acq.volumes = [];
    const rec = record(sp, uid, folder, sopClassUid, sp.transferSyntaxUid, count, timing, acq.stacks.map((st, i) => ({ st, thickness: acq.sliceThickness[i]! })));
    records.push(moved ? { ...rec, motion: moved.record } : rec);
  }

  return {
    seed: o.seed, options: o, caseModel, variation, pose, scanner, patient, study, series: records, files,
    contrastInjectionTime: contrast ? header0Time(contrast.startSeconds) : null, roleVolumes,
  };
}

/** One series' head motion: ground-truth (T1ce) patient position -> where that point of the head is in this series. */
export interface SeriesMotion {
  rotationDeg: number;
  axis: Vec3;
  translationMm: Vec3;
  /** Centre of rotation (head centre, patient LPS mm). */
  centre: Vec3;
  /** Row-major 4x4, patient LPS mm. */
  matrix: number[];
}

/** Rotation by `deg` about a random axis through the head centre, then a shift of `mm` in a random direction. */
export function seriesMotion(m: { rotationDeg: number; translationMm: number }, centre: Vec3, rng: Rng): { matrix: Float64Array; record: SeriesMotion } {
  const unit = (): Vec3 => {
    const z = rng.uniform(-1, 1);
    const phi = rng.uniform(0, 2 * Math.PI);
    const r = Math.sqrt(1 - z * z);
    return [r * Math.cos(phi), r * Math.sin(phi), z];
  };
  const axis = unit();
  const shift = unit().map((x) => x * m.translationMm) as Vec3;
  const matrix = compose(translation(shift), translation(centre), axisAngle(axis, (m.rotationDeg * Math.PI) / 180), translation([-centre[0], -centre[1], -centre[2]]));
  return { matrix, record: { rotationDeg: m.rotationDeg, axis, translationMm: shift, centre, matrix: Array.from(matrix) } };
}

/** Enhanced MR PulseSequenceName: the vendor's sequence name, or Philips' technique name. */
function pulseSequenceName(sp: SeriesPlan, scanner: Scanner): string {
  const seq = String(sp.header.attrs.SequenceName ?? '').replace(/^\*/, '');
  if (seq) return seq;
  if (scanner.vendor === 'philips') return sp.kind === 'flair' ? 'TSE' : sp.kind === 'swi' ? 'FFE' : 'T1TFE';
  return sp.kind;
}

function header0Time(s: number): string {
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  return `${String(hh).padStart(2, '0')}${String(mm).padStart(2, '0')}${String(ss).padStart(2, '0')}`;
}

function record(
  sp: SeriesPlan, uid: string, folder: string, sopClassUid: string, ts: string, count: number,
  timing: { acquisitionSeconds: number }, stacks: Array<{ st: PlannedStack; thickness: number }>,
): SeriesRecord {
  return {
    kind: sp.kind, role: sp.role, seriesInstanceUid: uid, seriesNumber: sp.seriesNumber,
    seriesDescription: sp.header.description, folder, sopClassUid, transferSyntaxUid: ts, instanceCount: count,
    postContrast: sp.postContrast, acquisitionTime: header0Time(timing.acquisitionSeconds),
    stacks: stacks.map(({ st, thickness }) => ({
      orientation: st.spec.orientation, dims: st.dims, spacing: st.spacing, sliceThickness: thickness, affine: Array.from(st.affine),
    })),
  };
}

/** Samples, biases, noises and quantises an acquired (non-derived) series. */
function acquire(sp: SeriesPlan, anat: Anatomy, pose: HeadPose, w: WeightingCache, session: BiasField, scanner: Scanner, r: Rng): Acquired {
  const stacks = sp.stacks.map(planStack);
  const { target, max } = storedScale(scanner, r.fork('scale'));
  const out: Acquired = { plan: sp, stacks: [], signal: [], volumes: [], sliceThickness: [], stackAttrs: [], timeOffsets: [] };
  const bias = perturbBiasField(session, r.fork('bias'));
  const push = (st: PlannedStack, signal: Float32Array, scale: number, attrs: NaturalDataset): void => {
    out.stacks.push(st);
    out.signal.push(signal);
    out.volumes.push(quantise(signal, st, scale, max));
    out.sliceThickness.push(st.spec.sliceThickness);
    out.stackAttrs.push(attrs);
  };
  if (sp.kind === 'dwi') {
    const st = stacks[0]!;
    const [b0, b1000] = sampleStack(anat, pose, st, [w.get('b0'), w.get('b1000')]);
    const ref = tissueSignal(b0!);
    const sigma0 = applyBiasAndNoise(b0!, st, bias, sp.snr, r.fork('noise/b0'), ref);
    applyBiasAndNoise(b1000!, st, bias, sp.snr, r.fork('noise/b1000'), sigma0 * sp.snr);
    const scale = target / ref;
    const dwiSeq = scanner.vendor === 'siemens';
    push(st, b0!, scale, { DiffusionBValue: 0, ...(dwiSeq ? { SequenceName: '*ep_b0' } : {}) });
    push(st, b1000!, scale, {
      DiffusionBValue: 1000, ...(dwiSeq ? { SequenceName: '*ep_b1000t', ImageType: ['ORIGINAL', 'PRIMARY', 'DIFFUSION', 'TRACEW', 'ND', 'NORM'] } : {}),
    });
    return out;
  }
  if (sp.kind === 'dsc') {
    const st = stacks[0]!;
    const [s0, cbv] = sampleStack(anat, pose, st, [w.get('t2star'), w.get('cbv')]);
    const ref = tissueSignal(s0!);
    const n = sp.temporalPositions ?? 10;
    // Time points spread over the acquisition; the bolus is injected DSC_INJECTION_S after the series starts.
    const dt = sp.durationSeconds / n;
    for (let t = 0; t < n; t++) {
      const c = gammaVariate(t * dt - DSC_INJECTION_S);
      const sig = new Float32Array(s0!.length);
      for (let i = 0; i < sig.length; i++) sig[i] = s0![i]! * Math.exp(-0.45 * cbv![i]! * c);
      applyBiasAndNoise(sig, st, bias, sp.snr, r.fork(`noise/t${t}`), ref);
      push(st, sig, target / ref, {
        TemporalPositionIdentifier: t + 1, NumberOfTemporalPositions: n, AcquisitionNumber: t + 1,
      });
      out.timeOffsets[out.volumes.length - 1] = t * dt;
    }
    return out;
  }
  const weighting = sp.weightings[0]!;
  for (let s = 0; s < stacks.length; s++) {
    const st = stacks[s]!;
    const [sig] = sampleStack(anat, pose, st, [w.get(weighting)]);
    if (st.spec.blurSigmaMm) blurInPlane(sig!, st.dims, st.spacing, st.spec.blurSigmaMm);
    const ref = tissueSignal(sig!);
    applyBiasAndNoise(sig!, st, bias, sp.snr, r.fork(`noise/${s}`), ref);
    push(st, sig!, target / ref, {});
  }
  if (scanner.vendor === 'philips' && sp.kind !== 'localizer') {
    // Philips stores a real-valued rescale slope; keep the stored integers and declare the slope.
    const slope = Number(r.uniform(0.8, 2.4).toFixed(5));
    out.rescale = { slope, intercept: 0 };
    out.volumes = out.volumes.map((v) => {
      const f = new Float32Array(v.data.length);
      for (let i = 0; i < f.length; i++) f[i] = v.data[i]! * slope;
      return { ...v, data: f };
    });
  }
  return out;
}

/**
 * Normalised gamma-variate bolus passage as a function of seconds after injection: first pass arrives ~8 s after
 * the injection, peaks (value 1) ~4.5 s later, then a small recirculation plateau.
 */
function gammaVariate(secondsAfterInjection: number): number {
  const arrival = 8;
  if (secondsAfterInjection <= arrival) return 0;
  const x = (secondsAfterInjection - arrival) / 1.5;
  const alpha = 3;
  const peak = Math.pow(alpha, alpha) * Math.exp(-alpha);
  return (Math.pow(x, alpha) * Math.exp(-x)) / peak + (secondsAfterInjection > 25 ? 0.12 : 0);
}

/** ADC from the acquired DWI, or an MPR reformat of the acquired T1ce. */
function derive(sp: SeriesPlan, source: Acquired | undefined, r: Rng): Acquired | null {
  if (!source) return null;
  if (sp.kind === 'adc') {
    const st = source.stacks[0]!;
    const b0 = source.signal[0]!;
    const b1000 = source.signal[1]!;
    const ref = tissueSignal(b0);
    const adc = new Float32Array(b0.length);
    for (let i = 0; i < adc.length; i++) {
      // ADC (1e-6 mm2/s, as Siemens/GE store it) = ln(S0 / S1000) / b; background set to 0.
      adc[i] = b0[i]! > 0.15 * ref && b1000[i]! > 0 ? Math.min(4000, Math.max(0, (1e6 * Math.log(b0[i]! / b1000[i]!)) / 1000)) : 0;
    }
    return { plan: sp, stacks: [st], signal: [adc], volumes: [quantise(adc, st, 1, 4095)], sliceThickness: [st.spec.sliceThickness], stackAttrs: [{}], timeOffsets: [] };
  }
  // MPR: reslice the acquired T1ce (stored values) into the reformat stack.
  const src = source.volumes[0]!;
  const srcStack = source.stacks[0]!;
  const st = planStack(sp.stacks[0]!);
  const [sig] = sampleGrid({ dims: src.dims, affine: src.affine, resolution: Math.min(...srcStack.spacing) }, identity(), st, [src.data]);
  void r;
  const out: Acquired = { plan: sp, stacks: [st], signal: [sig!], volumes: [], sliceThickness: [st.spec.sliceThickness], stackAttrs: [{}], timeOffsets: [], rescale: source.rescale };
  if (source.rescale) {
    const slope = source.rescale.slope;
    const f = new Float32Array(sig!.length);
    for (let i = 0; i < f.length; i++) f[i] = Math.round(sig![i]! / slope) * slope;
    out.volumes.push({ dims: st.dims, spacing: st.spacing, affine: st.affine, data: f });
  } else {
    out.volumes.push(quantise(sig!, st, 1, 65535));
  }
  return out;
}

/** Screen save: axial reformats through the head centre of up to four acquired role series. */
function screenshot(acquired: Map<string, Acquired>, anat: Anatomy, pose: HeadPose, _c: CaseModel, header: NaturalDataset, uid: string, seed: string): Buffer | null {
  const sources = (['t1', 't1ce', 't2', 'flair'] as const).map((k) => acquired.get(k)).filter((a): a is Acquired => !!a);
  if (!sources.length) return null;
  const centre = headCentrePatient(anat, pose);
  const st = planStack({ orientation: 'axial', pixelSpacing: [1, 1], matrix: [256, 256], sliceThickness: 1, sliceGap: 0, slices: 1, centre });
  const tiles = sources.map((a) => {
    const v = a.volumes[0]!;
    return sampleGrid({ dims: v.dims, affine: v.affine, resolution: 1 }, identity(), st, [v.data])[0]!;
  });
  const base: NaturalDataset = {};
  for (const k of [
    'SpecificCharacterSet', 'PatientName', 'PatientID', 'IssuerOfPatientID', 'PatientBirthDate', 'PatientSex', 'PatientAge',
    'StudyInstanceUID', 'StudyDate', 'StudyTime', 'StudyID', 'AccessionNumber', 'ReferringPhysicianName', 'StudyDescription',
    'Manufacturer', 'InstitutionName', 'StationName', 'BodyPartExamined', 'SeriesNumber', 'SeriesDescription', 'SeriesDate', 'SeriesTime',
    'ContentDate', 'ContentTime',
  ]) {
    if (header[k] !== undefined) base[k] = header[k];
  }
  base.SeriesInstanceUID = uid;
  return screenshotDataset(montage(tiles, 256, 256), 512, 512, base, `${studyKey(seed)}/${uid}`);
}
