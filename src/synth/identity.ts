/**
 * Synthetic patient and study identity (no real names: "SYNTH^<hex>"), dates and times, and the per-series
 * DICOM header template handed to the series writer (patient, study, equipment, frame of reference, series and
 * acquisition attributes, contrast bolus on post-contrast series only).
 */
import { createHash } from 'node:crypto';
import type { NaturalDataset } from '../dicom/p10';
import { deterministicUid } from '../dicom/uids';
import type { SeriesPlan } from './protocol';
import type { Rng } from './random';
import type { Scanner } from './vendors';

export interface SyntheticPatient {
  name: string;
  id: string;
  birthDate: string;
  sex: 'M' | 'F';
  age: number;
  weightKg: number;
}

export interface StudyIdentity {
  studyInstanceUid: string;
  frameOfReferenceUid: string;
  /** YYYYMMDD */
  date: string;
  /** Seconds after midnight of the study start. */
  startSeconds: number;
  accessionNumber: string;
  studyId: string;
}

/** UID root key: everything about a study derives from the generator version and the seed. */
export function studyKey(seed: string): string {
  return `neuro-onc-node/synth/v1/${seed}`;
}

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

export function formatDate(d: Date): string {
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}`;
}

/** HHMMSS.ffffff-style DICOM time (seconds may exceed a day only by a few minutes; wrapped). */
export function formatTime(seconds: number): string {
  const s = ((seconds % 86400) + 86400) % 86400;
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s - hh * 3600 - mm * 60;
  const whole = Math.floor(ss);
  const frac = Math.round((ss - whole) * 1000);
  return `${pad(hh, 2)}${pad(mm, 2)}${pad(whole, 2)}${frac ? '.' + pad(frac, 3) : ''}`;
}

export function makePatient(seed: string, age: number, rng: Rng): SyntheticPatient {
  const hex = createHash('sha256').update(studyKey(seed)).digest('hex');
  const sex = rng.chance(0.5) ? 'M' : 'F';
  return {
    name: `SYNTH^${hex.slice(0, 8).toUpperCase()}`,
    id: `SYN${hex.slice(8, 16).toUpperCase()}`,
    birthDate: '',
    sex,
    age,
    weightKg: Math.round(sex === 'M' ? rng.uniform(65, 100) : rng.uniform(50, 85)),
  };
}

export function makeStudy(seed: string, patient: SyntheticPatient, rng: Rng): StudyIdentity {
  const key = studyKey(seed);
  const day = new Date(Date.UTC(2019, 0, 1) + rng.int(0, 6 * 365) * 86400000);
  const birth = new Date(day.getTime() - (patient.age * 365.25 + rng.int(0, 364)) * 86400000);
  patient.birthDate = formatDate(birth);
  return {
    studyInstanceUid: deterministicUid(key, 'study'),
    frameOfReferenceUid: deterministicUid(key, 'frame-of-reference'),
    date: formatDate(day),
    startSeconds: rng.int(7 * 3600, 17 * 3600),
    accessionNumber: `SA${rng.int(10000000, 99999999)}`,
    studyId: String(rng.int(1, 9999)),
  };
}

export function seriesUid(seed: string, seriesNumber: number, kind: string): string {
  return deterministicUid(studyKey(seed), 'series', String(seriesNumber), kind);
}

const RECEIVE_COIL: Record<Scanner['vendor'], string[]> = {
  siemens: ['Head_32', 'HeadNeck_20', 'HeadNeck_64'],
  ge: ['8HRBRAIN', 'HNS Head', '32Ch Head'],
  philips: ['SENSE-Head-32', 'dS HeadNeckSpine', 'SENSE-Head-8'],
};

/** Attributes shared by every series of the study (patient, study, equipment, frame of reference). */
export function studyAttributes(patient: SyntheticPatient, study: StudyIdentity, scanner: Scanner): NaturalDataset {
  return {
    SpecificCharacterSet: 'ISO_IR 100',
    PatientName: { Alphabetic: patient.name },
    PatientID: patient.id,
    IssuerOfPatientID: 'NEURO-ONC-SYNTH',
    PatientBirthDate: patient.birthDate,
    PatientSex: patient.sex,
    PatientAge: `${pad(patient.age, 3)}Y`,
    PatientWeight: patient.weightKg,
    StudyInstanceUID: study.studyInstanceUid,
    StudyDate: study.date,
    StudyTime: formatTime(study.startSeconds),
    StudyID: study.studyId,
    AccessionNumber: study.accessionNumber,
    ReferringPhysicianName: '',
    StudyDescription: scanner.studyDescription,
    Modality: 'MR',
    BodyPartExamined: scanner.vendor === 'siemens' ? 'HEAD' : 'BRAIN',
    PatientPosition: 'HFS',
    FrameOfReferenceUID: study.frameOfReferenceUid,
    PositionReferenceIndicator: '',
    Manufacturer: scanner.manufacturer,
    ManufacturerModelName: scanner.model,
    SoftwareVersions: scanner.software,
    StationName: scanner.stationName,
    InstitutionName: 'Synthetic Imaging Centre',
    DeviceSerialNumber: String(Math.abs(hashInt(scanner.stationName)) % 100000),
    MagneticFieldStrength: scanner.fieldStrength,
    ImagingFrequency: Number((42.577478 * scanner.fieldStrength).toFixed(6)),
    ImagedNucleus: '1H',
  };
}

function hashInt(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

export interface SeriesTiming {
  /** Seconds after midnight when the series (acquisition) started. */
  acquisitionSeconds: number;
  /** Seconds after midnight when the series object was created (derived series later than their acquisition). */
  seriesSeconds: number;
}

/** The series-level template for one planned series. */
export function seriesAttributes(
  plan: SeriesPlan,
  seriesInstanceUid: string,
  study: StudyIdentity,
  scanner: Scanner,
  timing: SeriesTiming,
  contrast: { agent: string; startSeconds: number } | null,
  rng: Rng,
): NaturalDataset {
  const h: NaturalDataset = {
    SeriesInstanceUID: seriesInstanceUid,
    SeriesNumber: plan.seriesNumber,
    SeriesDescription: plan.header.description,
    ProtocolName: plan.header.protocolName,
    SeriesDate: study.date,
    SeriesTime: formatTime(timing.seriesSeconds),
    AcquisitionDate: study.date,
    AcquisitionTime: formatTime(timing.acquisitionSeconds),
    ContentDate: study.date,
    ContentTime: formatTime(timing.seriesSeconds),
    AcquisitionNumber: 1,
    ...plan.header.attrs,
    AcquisitionContrast: plan.header.acquisitionContrast,
    NumberOfAverages: 1,
    EchoNumbers: 1,
    ReceiveCoilName: rng.pick(RECEIVE_COIL[scanner.vendor]),
    TransmitCoilName: 'Body',
    InPlanePhaseEncodingDirection: rng.chance(0.7) ? 'ROW' : 'COL',
    PercentSampling: 100,
    PercentPhaseFieldOfView: 100,
  };
  if (plan.postContrast && contrast) {
    Object.assign(h, {
      ContrastBolusAgent: contrast.agent,
      ContrastBolusRoute: 'IV',
      ContrastBolusVolume: contrast.agent === 'Gadovist' ? 7.5 : 15,
      ContrastBolusStartTime: formatTime(contrast.startSeconds),
    });
  }
  return h;
}
