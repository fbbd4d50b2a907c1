/**
 * Synthetic full-study header sets for Siemens, GE, Philips and Canon: realistic names, sequence names and timings
 * (published vendor naming), with the distractors a real brain-tumour exam has (localizers,
 * calibration, DWI/ADC, SWI, perfusion, MPR/MIP, screenshots, SEG) and the known traps. Each series lists the role
 * and selection the classifier must produce.
 */
import { SopClass } from '../../src/dicom/constants';
import { parseTimestamp, type SeriesDescriptor } from '../../src/series-id/series-descriptor';
import type { ModelRole, SeriesRole } from '../../src/series-id/roles';

export interface ExpectedSeries {
  role: SeriesRole;
  selected?: boolean;
  /** A regex every expected reason list must match somewhere (why the role / selection). */
  because?: RegExp;
}

export interface SyntheticStudy {
  name: string;
  headers: SeriesDescriptor[];
  expected: Map<string, ExpectedSeries>;
  missing: ModelRole[];
}

interface Scanner {
  manufacturer: string;
  model: string;
  /** As stored in the header (old GE: gauss). */
  fieldStrength: number;
  imageType: string[];
}

type Spec = Partial<SeriesDescriptor> & { n: number; sd: string; at: string; images?: number; expect: ExpectedSeries };

let studyCounter = 0;

function build(name: string, scanner: Scanner, specs: Spec[], missing: ModelRole[]): SyntheticStudy {
  const studyUid = `2.25.4${String(++studyCounter).padStart(3, '0')}`;
  const expected = new Map<string, ExpectedSeries>();
  const headers = specs.map(({ n, sd, at, images = 30, expect, ...rest }) => {
    const uid = `${studyUid}.${n}`;
    expected.set(uid, expect);
    const h: SeriesDescriptor = {
      seriesInstanceUid: uid,
      studyInstanceUid: studyUid,
      seriesNumber: n,
      modality: 'MR',
      sopClassUid: SopClass.MRImage,
      manufacturer: scanner.manufacturer,
      manufacturerModelName: scanner.model,
      magneticFieldStrength: scanner.fieldStrength > 100 ? scanner.fieldStrength / 10000 : scanner.fieldStrength,
      seriesDescription: sd,
      protocolName: sd,
      imageType: scanner.imageType,
      numberOfInstances: images,
      numberOfFrames: images,
      distinctOrientations: 1,
      distinctPositions: images,
      echoCount: 1,
      acquisitionStart: parseTimestamp('20240312', at.replace(':', '') + '00'),
      ...rest,
    };
    return h;
  });
  return { name, headers, expected, missing };
}

const SIEMENS_3T: Scanner = { manufacturer: 'SIEMENS', model: 'Skyra', fieldStrength: 3, imageType: ['ORIGINAL', 'PRIMARY', 'M', 'ND', 'NORM'] };
const GE_15T_GAUSS: Scanner = { manufacturer: 'GE MEDICAL SYSTEMS', model: 'Signa HDxt', fieldStrength: 15000, imageType: ['ORIGINAL', 'PRIMARY', 'OTHER'] };
const PHILIPS_3T: Scanner = { manufacturer: 'Philips Healthcare', model: 'Ingenia', fieldStrength: 3, imageType: ['ORIGINAL', 'PRIMARY', 'M_SE', 'M', 'SE'] };
const CANON_15T: Scanner = { manufacturer: 'CANON_MEC', model: 'Vantage Orian', fieldStrength: 1.5, imageType: ['ORIGINAL', 'PRIMARY'] };

const mprage = { sequenceName: '*tfl3d1_16ns', scanningSequence: ['GR', 'IR'], sequenceVariant: ['SK', 'SP', 'MP'], mrAcquisitionType: '3D', repetitionTime: 2300, echoTime: 2.32, inversionTime: 900, flipAngle: 8, minSliceThickness: 0.9 };

/**
 * Siemens 3 T glioma protocol with DSC perfusion. The post-contrast MPRAGE has the same name as the pre-contrast one:
 * only its acquisition after the perfusion bolus says it is post-contrast.
 */
export function siemensGliomaStudy(): SyntheticStudy {
  return build('Siemens 3T glioma, post-contrast MPRAGE known only by acquisition order', SIEMENS_3T, [
    { n: 1, sd: 'AAHead_Scout_64ch-head-coil', at: '08:00', images: 128, sequenceName: '*fl3d1_ns', scanningSequence: ['GR'], repetitionTime: 3.15, echoTime: 1.37, flipAngle: 8, distinctOrientations: 1, expect: { role: 'other', because: /localizer|scout/i } },
    { n: 2, sd: 'AAHead_Scout_64ch-head-coil_MPR_sag', at: '08:01', images: 3, imageType: ['DERIVED', 'PRIMARY', 'MPR', 'ND'], expect: { role: 'other' } },
    { n: 3, sd: 't1_mprage_sag_p2_iso', at: '08:03', images: 176, ...mprage, expect: { role: 't1', selected: true, because: /pre-contrast by acquisition order/ } },
    { n: 4, sd: 't2_tse_tra_p2', at: '08:09', images: 27, sequenceName: '*tse2d1_15', scanningSequence: ['SE'], sequenceVariant: ['SK', 'SP', 'OSP'], mrAcquisitionType: '2D', repetitionTime: 6000, echoTime: 99, flipAngle: 150, minSliceThickness: 5, expect: { role: 't2', selected: true } },
    { n: 5, sd: 't2_tirm_tra_dark-fluid', at: '08:12', images: 27, sequenceName: '*tir2d1_21', scanningSequence: ['SE', 'IR'], sequenceVariant: ['SK', 'SP', 'MP'], mrAcquisitionType: '2D', repetitionTime: 9000, echoTime: 81, inversionTime: 2500, flipAngle: 150, minSliceThickness: 5, expect: { role: 'flair', selected: true } },
    { n: 6, sd: 'ep2d_diff_3scan_trace_p2', at: '08:16', images: 54, sequenceName: '*ep_b0_1000', scanningSequence: ['EP'], repetitionTime: 5800, echoTime: 94, imageType: ['ORIGINAL', 'PRIMARY', 'DIFFUSION', 'NONE', 'ND'], distinctPositions: 27, expect: { role: 'other', because: /diffusion/i } },
    { n: 7, sd: 'ep2d_diff_3scan_trace_p2_ADC', at: '08:16', images: 27, imageType: ['DERIVED', 'PRIMARY', 'DIFFUSION', 'ADC', 'ND'], expect: { role: 'other', because: /diffusion|ADC/i } },
    { n: 8, sd: 'ep2d_perf', at: '08:20', images: 1250, sequenceName: '*epfid2d1_128', scanningSequence: ['EP'], repetitionTime: 1500, echoTime: 32, temporalPositions: 50, distinctPositions: 25, imageType: ['ORIGINAL', 'PRIMARY', 'PERFUSION', 'NONE', 'ND'], expect: { role: 'other', because: /perfusion/i } },
    { n: 9, sd: 't1_mprage_sag_p2_iso', at: '08:24', images: 176, ...mprage, expect: { role: 't1ce', selected: true, because: /acquired after series 8 'ep2d_perf'/ } },
    { n: 10, sd: 't1_mprage_sag_p2_iso_MPR_tra', at: '08:30', images: 60, imageType: ['DERIVED', 'PRIMARY', 'MPR', 'ND'], mrAcquisitionType: '3D', minSliceThickness: 3, expect: { role: 'other', because: /reformat|MPR/i } },
    { n: 11, sd: 't1_tse_tra_KM', at: '08:27', images: 27, sequenceName: '*tse2d1_3', scanningSequence: ['SE'], mrAcquisitionType: '2D', repetitionTime: 650, echoTime: 9.8, flipAngle: 150, minSliceThickness: 5, expect: { role: 't1ce', selected: false, because: /3D acquisition beats 2D/ } },
    { n: 12, sd: 'SWI_Images', at: '08:33', images: 72, sequenceName: '*swi3d1r', scanningSequence: ['GR'], mrAcquisitionType: '3D', repetitionTime: 27, echoTime: 20, flipAngle: 15, expect: { role: 'other', because: /susceptibility|SWI/i } },
    { n: 13, sd: 'Pha_Images', at: '08:33', images: 72, imageType: ['ORIGINAL', 'PRIMARY', 'P', 'ND'], sequenceName: '*swi3d1r', expect: { role: 'other' } },
    { n: 14, sd: 'rCBV colour map', at: '08:50', images: 1, sopClassUid: SopClass.SecondaryCapture, modality: 'OT', expect: { role: 'other' } },
    { n: 15, sd: 'AI tumour segmentation', at: '09:10', images: 1, sopClassUid: SopClass.Segmentation, modality: 'SEG', softwareVersions: 'neuro-onc-node 0.1.0', expect: { role: 'other' } },
  ], []);
}

/**
 * GE 1.5 T (field strength in gauss) with contrast. ProtocolName is the exam ("BRAIN WITH AND WITHOUT P") on every
 * series and must be ignored. Three post-contrast T1s: the 3D BRAVO wins over the 2D SE and over its PU: copy.
 */
export function geContrastStudy(): SyntheticStudy {
  const exam = { protocolName: 'BRAIN WITH AND WITHOUT P' };
  return build('GE 1.5T with contrast, exam-level ProtocolName, PU: copy', GE_15T_GAUSS, [
    { n: 1, sd: '3Plane Loc SSFSE', at: '10:00', images: 15, ...exam, distinctOrientations: 3, distinctPositions: 15, sequenceName: 'ssfse', expect: { role: 'other', because: /loc/i } },
    { n: 2, sd: 'ASSET Calibration', at: '10:01', images: 60, ...exam, expect: { role: 'other', because: /calibration/ } },
    { n: 3, sd: 'Ax T1 SE', at: '10:03', images: 24, ...exam, sequenceName: 'se', scanningSequence: ['SE'], mrAcquisitionType: '2D', repetitionTime: 500, echoTime: 14, flipAngle: 90, minSliceThickness: 5, expect: { role: 't1', selected: true } },
    { n: 4, sd: 'Ax T2 FRFSE', at: '10:06', images: 24, ...exam, sequenceName: 'frfse', gePulseSequenceName: 'frfse', scanningSequence: ['SE'], mrAcquisitionType: '2D', repetitionTime: 4000, echoTime: 102, minSliceThickness: 5, expect: { role: 't2', selected: true } },
    { n: 5, sd: 'Ax T2 FLAIR', at: '10:09', images: 24, ...exam, sequenceName: 'flair', scanningSequence: ['SE', 'IR'], scanOptions: ['FAST_GEMS', 'T2FLAIR_GEMS'], mrAcquisitionType: '2D', repetitionTime: 9000, echoTime: 120, inversionTime: 2200, minSliceThickness: 5, expect: { role: 'flair', selected: true } },
    { n: 6, sd: 'Ax DWI 1000b', at: '10:13', images: 48, ...exam, sequenceName: 'epi', scanningSequence: ['EP'], scanOptions: ['EPI_GEMS'], diffusionBValue: 1000, repetitionTime: 8000, echoTime: 85, distinctPositions: 24, expect: { role: 'other', because: /diffusion|b-value/i } },
    { n: 7, sd: 'Apparent Diffusion Coefficient (mm2/s)', at: '10:13', images: 24, ...exam, imageType: ['DERIVED', 'SECONDARY', 'ADC'], expect: { role: 'other' } },
    { n: 8, sd: 'Ax T2* GRE', at: '10:16', images: 24, ...exam, sequenceName: 'gre', scanningSequence: ['GR'], repetitionTime: 650, echoTime: 20, flipAngle: 20, expect: { role: 'other', because: /T2\*/ } },
    { n: 9, sd: 'Ax T1 +C', at: '10:25', images: 24, ...exam, sequenceName: 'se', scanningSequence: ['SE'], mrAcquisitionType: '2D', repetitionTime: 500, echoTime: 14, minSliceThickness: 5, expect: { role: 't1ce', selected: false } },
    { n: 10, sd: '+C 3D BRAVO', at: '10:29', images: 156, ...exam, sequenceName: 'efgre3d', geInternalPulseSequenceName: 'EFGRE3D', scanningSequence: ['GR', 'IR'], mrAcquisitionType: '3D', repetitionTime: 8.2, echoTime: 3.2, inversionTime: 450, flipAngle: 12, minSliceThickness: 1, contrastBolusAgent: 'MAGNEVIST', expect: { role: 't1ce', selected: true, because: /preferred over series 9 'Ax T1 \+C': 3D acquisition beats 2D/ } },
    { n: 11, sd: 'PU:+C 3D BRAVO', at: '10:29', images: 156, ...exam, sequenceName: 'efgre3d', scanningSequence: ['GR', 'IR'], mrAcquisitionType: '3D', repetitionTime: 8.2, echoTime: 3.2, inversionTime: 450, flipAngle: 12, minSliceThickness: 1, expect: { role: 't1ce', selected: false, because: /copy/ } },
    { n: 12, sd: 'Cor T1 +C', at: '10:35', images: 24, ...exam, sequenceName: 'se', scanningSequence: ['SE'], mrAcquisitionType: '2D', repetitionTime: 520, echoTime: 14, minSliceThickness: 4, expect: { role: 't1ce', selected: false } },
  ], []);
}

/** Philips 3 T without contrast: the 3D TFE reports TR 7.6 ms and TI 0; no T1ce, which must be reported missing. */
export function philipsNonContrastStudy(): SyntheticStudy {
  return build('Philips 3T non-contrast (t1ce missing), TFE with TI 0', PHILIPS_3T, [
    { n: 101, sd: 'Survey_SHC', at: '14:00', images: 9, distinctOrientations: 3, expect: { role: 'other', because: /survey|localizer/i } },
    { n: 201, sd: 'SENSE-Refscan', at: '14:01', images: 40, expect: { role: 'other' } },
    { n: 301, sd: 'sT1W_3D_TFE', at: '14:03', images: 180, sopClassUid: SopClass.EnhancedMRImage, acquisitionContrast: 'T1', pulseSequenceName: 'T1TFE', scanningSequence: ['GR'], sequenceVariant: ['MP'], mrAcquisitionType: '3D', repetitionTime: 7.6, echoTime: 3.5, inversionTime: 0, flipAngle: 8, minSliceThickness: 1, imageType: ['ORIGINAL', 'PRIMARY', 'T1', 'NONE'], expect: { role: 't1', selected: true, because: /no contrast evidence/ } },
    { n: 401, sd: 'T2W_TSE', at: '14:09', images: 28, scanningSequence: ['SE'], mrAcquisitionType: '2D', repetitionTime: 3000, echoTime: 80, flipAngle: 90, minSliceThickness: 4, expect: { role: 't2', selected: true } },
    { n: 501, sd: '3D_Brain_VIEW_FLAIR', at: '14:12', images: 180, scanningSequence: ['SE', 'IR'], mrAcquisitionType: '3D', repetitionTime: 4800, echoTime: 320, inversionTime: 1650, flipAngle: 90, minSliceThickness: 1.1, expect: { role: 'flair', selected: true } },
    { n: 502, sd: 'T2W_FLAIR', at: '14:18', images: 28, scanningSequence: ['SE', 'IR'], mrAcquisitionType: '2D', repetitionTime: 11000, echoTime: 125, inversionTime: 2800, minSliceThickness: 4, expect: { role: 'flair', selected: false, because: /3D acquisition beats 2D/ } },
    { n: 601, sd: 'DWI_b1000', at: '14:22', images: 56, scanningSequence: ['SE', 'EP'], diffusionBValue: 1000, distinctPositions: 28, expect: { role: 'other' } },
    { n: 602, sd: 'dADC', at: '14:22', images: 28, imageType: ['DERIVED', 'PRIMARY', 'ADC', 'ADC'], expect: { role: 'other' } },
    { n: 701, sd: 'T2*_FFE', at: '14:25', images: 28, scanningSequence: ['GR'], repetitionTime: 700, echoTime: 16, flipAngle: 18, expect: { role: 'other', because: /T2\*/ } },
  ], ['t1ce']);
}

/** Canon 1.5 T with contrast, Spanish descriptions ("sin contraste" / "con contraste"). */
export function canonSpanishStudy(): SyntheticStudy {
  return build('Canon 1.5T with contrast, Spanish', CANON_15T, [
    { n: 1, sd: 'Localizador', at: '16:00', images: 12, distinctOrientations: 3, expect: { role: 'other' } },
    { n: 2, sd: 'T1 SE AX sin contraste', at: '16:02', images: 20, scanningSequence: ['SE'], mrAcquisitionType: '2D', repetitionTime: 500, echoTime: 12, minSliceThickness: 5, expect: { role: 't1', selected: true, because: /sin contraste/i } },
    { n: 3, sd: 'T2 FSE AX', at: '16:05', images: 20, scanningSequence: ['SE'], mrAcquisitionType: '2D', repetitionTime: 4500, echoTime: 100, minSliceThickness: 5, expect: { role: 't2', selected: true } },
    { n: 4, sd: 'FastFLAIR AX', at: '16:08', images: 20, scanningSequence: ['IR'], mrAcquisitionType: '2D', repetitionTime: 9000, echoTime: 105, inversionTime: 2200, minSliceThickness: 5, expect: { role: 'flair', selected: true } },
    { n: 5, sd: 'DWI AX', at: '16:11', images: 40, scanningSequence: ['EP'], distinctPositions: 20, expect: { role: 'other' } },
    { n: 6, sd: 'T1 SE AX con contraste', at: '16:20', images: 20, scanningSequence: ['SE'], mrAcquisitionType: '2D', repetitionTime: 500, echoTime: 12, minSliceThickness: 5, expect: { role: 't1ce', selected: false } },
    { n: 7, sd: 'T1 3D FFE con contraste', at: '16:24', images: 160, scanningSequence: ['GR'], mrAcquisitionType: '3D', repetitionTime: 9, echoTime: 4, flipAngle: 12, minSliceThickness: 1, expect: { role: 't1ce', selected: true, because: /3D acquisition beats 2D/ } },
  ], []);
}

/** Typos and traps: "AX TI", "AX T 2", T1-FLAIR (TIRM with TI 900), an old GE FLAIR with ScanningSequence RM and no TI. */
export function trapsStudy(): SyntheticStudy {
  const scanner: Scanner = { manufacturer: 'GE MEDICAL SYSTEMS', model: 'GENESIS_SIGNA', fieldStrength: 15000, imageType: ['ORIGINAL', 'PRIMARY'] };
  return build('typos and traps (GE 1.5T, gauss)', scanner, [
    { n: 2, sd: 'AX TI', at: '11:00', images: 22, mrAcquisitionType: '2D', repetitionTime: 550, echoTime: 10, minSliceThickness: 5, expect: { role: 't1', selected: false, because: /typo/ } },
    { n: 3, sd: 'Sag T1 FLAIR', at: '11:03', images: 24, scanningSequence: ['SE', 'IR'], scanOptions: ['T1FLAIR_GEMS'], mrAcquisitionType: '2D', repetitionTime: 2100, echoTime: 24, inversionTime: 750, minSliceThickness: 4, expect: { role: 't1', selected: true, because: /thinner slices/ } },
    { n: 4, sd: 'AX T 2', at: '11:06', images: 22, mrAcquisitionType: '2D', repetitionTime: 4000, echoTime: 100, minSliceThickness: 5, expect: { role: 't2', selected: true } },
    { n: 5, sd: 'FLAIR', at: '11:09', images: 22, sequenceName: 'flair', scanningSequence: ['RM'], sequenceVariant: ['NONE'], mrAcquisitionType: '2D', repetitionTime: 10002, echoTime: 159.5, flipAngle: 90, contrastBolusAgent: 'NONE', minSliceThickness: 5, expect: { role: 'flair', selected: true, because: /no inversion time recorded/ } },
    { n: 6, sd: 'AX TI POST', at: '11:20', images: 22, mrAcquisitionType: '2D', repetitionTime: 550, echoTime: 10, minSliceThickness: 5, expect: { role: 't1ce', selected: true, because: /POST/ } },
  ], []);
}

export function allSyntheticStudies(): SyntheticStudy[] {
  return [siemensGliomaStudy(), geContrastStudy(), philipsNonContrastStudy(), canonSpanishStudy(), trapsStudy()];
}
