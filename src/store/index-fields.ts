/**
 * Index fields: what the index keeps of one instance, extracted from its instance JSON (the DICOM JSON of every
 * element before Pixel Data, store/instance-json-decoder.ts). Pure: no I/O.
 * Patient attributes are indexed for QIDO but never logged.
 */
import { jsonNumbers, jsonString } from './instance-json-decoder';
import type { DicomJson } from './types';

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

const T = {
  PatientID: '00100020',
  IssuerOfPatientID: '00100021',
  PatientName: '00100010',
  PatientBirthDate: '00100030',
  PatientSex: '00100040',
  StudyInstanceUID: '0020000D',
  StudyDate: '00080020',
  StudyTime: '00080030',
  StudyID: '00200010',
  AccessionNumber: '00080050',
  StudyDescription: '00081030',
  ReferringPhysicianName: '00080090',
  SeriesInstanceUID: '0020000E',
  Modality: '00080060',
  SeriesNumber: '00200011',
  SeriesDescription: '0008103E',
  ProtocolName: '00181030',
  FrameOfReferenceUID: '00200052',
  Manufacturer: '00080070',
  BodyPartExamined: '00180015',
  SeriesDate: '00080021',
  SeriesTime: '00080031',
  SOPInstanceUID: '00080018',
  SOPClassUID: '00080016',
  InstanceNumber: '00200013',
  ImagePositionPatient: '00200032',
  ImageOrientationPatient: '00200037',
  PixelSpacing: '00280030',
  SliceThickness: '00180050',
  Rows: '00280010',
  Columns: '00280011',
  NumberOfFrames: '00280008',
  BitsAllocated: '00280100',
  AcquisitionTime: '00080032',
  AcquisitionNumber: '00200012',
  ContentDate: '00080023',
  ContentTime: '00080033',
} as const;

/** Extracts the indexed fields from an instance JSON in the DICOM JSON model (tags, not keywords). */
export function extractIndexFields(ds: DicomJson): IndexFields {
  const s = (tag: string): string => jsonString(ds, tag).trim();
  const n = (tag: string): number | undefined => jsonNumbers(ds, tag)?.[0];
  const i = (tag: string): number | undefined => {
    const v = n(tag);
    return v === undefined ? undefined : Math.trunc(v);
  };
  return {
    patient: { patientId: s(T.PatientID), issuerOfPatientId: s(T.IssuerOfPatientID), patientName: s(T.PatientName), patientBirthDate: s(T.PatientBirthDate), patientSex: s(T.PatientSex) },
    study: {
      studyInstanceUid: s(T.StudyInstanceUID),
      studyDate: s(T.StudyDate),
      studyTime: s(T.StudyTime),
      studyId: s(T.StudyID),
      accessionNumber: s(T.AccessionNumber),
      studyDescription: s(T.StudyDescription),
      referringPhysicianName: s(T.ReferringPhysicianName),
    },
    series: {
      seriesInstanceUid: s(T.SeriesInstanceUID),
      modality: s(T.Modality),
      seriesNumber: i(T.SeriesNumber),
      seriesDescription: s(T.SeriesDescription),
      protocolName: s(T.ProtocolName),
      frameOfReferenceUid: s(T.FrameOfReferenceUID),
      manufacturer: s(T.Manufacturer),
      bodyPartExamined: s(T.BodyPartExamined),
      seriesDate: s(T.SeriesDate),
      seriesTime: s(T.SeriesTime),
    },
    instance: {
      sopInstanceUid: s(T.SOPInstanceUID),
      sopClassUid: s(T.SOPClassUID),
      instanceNumber: i(T.InstanceNumber),
      imagePositionPatient: jsonNumbers(ds, T.ImagePositionPatient),
      imageOrientationPatient: jsonNumbers(ds, T.ImageOrientationPatient),
      pixelSpacing: jsonNumbers(ds, T.PixelSpacing),
      sliceThickness: n(T.SliceThickness),
      rows: i(T.Rows),
      columns: i(T.Columns),
      numberOfFrames: i(T.NumberOfFrames),
      bitsAllocated: i(T.BitsAllocated),
      acquisitionTime: s(T.AcquisitionTime),
      acquisitionNumber: i(T.AcquisitionNumber),
      contentDate: s(T.ContentDate),
      contentTime: s(T.ContentTime),
    },
  };
}
