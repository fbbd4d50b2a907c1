/**
 * What the index keeps of one instance's header, extracted from a parsed data set. Pure: no I/O.
 * Patient attributes are indexed for QIDO but never logged.
 */
import { num, nums, str, type NaturalDataset } from '../dicom/p10';

export interface PatientFields {
  patientId: string;
  issuerOfPatientId: string;
  patientName: string;
  patientBirthDate: string;
  patientSex: string;
}

export interface StudyFields {
  studyInstanceUid: string;
  studyDate: string;
  studyTime: string;
  studyId: string;
  accessionNumber: string;
  studyDescription: string;
  referringPhysicianName: string;
}

export interface SeriesFields {
  seriesInstanceUid: string;
  modality: string;
  seriesNumber?: number;
  seriesDescription: string;
  protocolName: string;
  frameOfReferenceUid: string;
  manufacturer: string;
  bodyPartExamined: string;
  seriesDate: string;
  seriesTime: string;
}

export interface InstanceFields {
  sopInstanceUid: string;
  sopClassUid: string;
  instanceNumber?: number;
  imagePositionPatient?: number[];
  imageOrientationPatient?: number[];
  pixelSpacing?: number[];
  sliceThickness?: number;
  rows?: number;
  columns?: number;
  numberOfFrames?: number;
  bitsAllocated?: number;
  acquisitionTime: string;
  acquisitionNumber?: number;
  contentDate: string;
  contentTime: string;
}

export interface IndexFields {
  patient: PatientFields;
  study: StudyFields;
  series: SeriesFields;
  instance: InstanceFields;
}

function trimmed(ds: NaturalDataset, keyword: string): string {
  return str(ds, keyword).trim();
}

/** Person Name as its Alphabetic group; dcmjs gives [{ Alphabetic }] (src/dicom/p10 str() reads only the bare object). */
function personName(ds: NaturalDataset, keyword: string): string {
  const v = ds[keyword];
  const first = Array.isArray(v) ? v[0] : v;
  if (first && typeof first === 'object') return String((first as { Alphabetic?: unknown }).Alphabetic ?? '').trim();
  return first == null ? '' : String(first).trim();
}

/** Integer-or-undefined (IS values arrive as numbers or strings). */
function int(ds: NaturalDataset, keyword: string): number | undefined {
  const n = num(ds, keyword);
  return n === undefined ? undefined : Math.trunc(n);
}

export function extractIndexFields(ds: NaturalDataset): IndexFields {
  return {
    patient: {
      patientId: trimmed(ds, 'PatientID'),
      issuerOfPatientId: trimmed(ds, 'IssuerOfPatientID'),
      patientName: personName(ds, 'PatientName'),
      patientBirthDate: trimmed(ds, 'PatientBirthDate'),
      patientSex: trimmed(ds, 'PatientSex'),
    },
    study: {
      studyInstanceUid: trimmed(ds, 'StudyInstanceUID'),
      studyDate: trimmed(ds, 'StudyDate'),
      studyTime: trimmed(ds, 'StudyTime'),
      studyId: trimmed(ds, 'StudyID'),
      accessionNumber: trimmed(ds, 'AccessionNumber'),
      studyDescription: trimmed(ds, 'StudyDescription'),
      referringPhysicianName: personName(ds, 'ReferringPhysicianName'),
    },
    series: {
      seriesInstanceUid: trimmed(ds, 'SeriesInstanceUID'),
      modality: trimmed(ds, 'Modality'),
      seriesNumber: int(ds, 'SeriesNumber'),
      seriesDescription: trimmed(ds, 'SeriesDescription'),
      protocolName: trimmed(ds, 'ProtocolName'),
      frameOfReferenceUid: trimmed(ds, 'FrameOfReferenceUID'),
      manufacturer: trimmed(ds, 'Manufacturer'),
      bodyPartExamined: trimmed(ds, 'BodyPartExamined'),
      seriesDate: trimmed(ds, 'SeriesDate'),
      seriesTime: trimmed(ds, 'SeriesTime'),
    },
    instance: {
      sopInstanceUid: trimmed(ds, 'SOPInstanceUID'),
      sopClassUid: trimmed(ds, 'SOPClassUID'),
      instanceNumber: int(ds, 'InstanceNumber'),
      imagePositionPatient: nums(ds, 'ImagePositionPatient'),
      imageOrientationPatient: nums(ds, 'ImageOrientationPatient'),
      pixelSpacing: nums(ds, 'PixelSpacing'),
      sliceThickness: num(ds, 'SliceThickness'),
      rows: int(ds, 'Rows'),
      columns: int(ds, 'Columns'),
      numberOfFrames: int(ds, 'NumberOfFrames'),
      bitsAllocated: int(ds, 'BitsAllocated'),
      acquisitionTime: trimmed(ds, 'AcquisitionTime'),
      acquisitionNumber: int(ds, 'AcquisitionNumber'),
      contentDate: trimmed(ds, 'ContentDate'),
      contentTime: trimmed(ds, 'ContentTime'),
    },
  };
}
