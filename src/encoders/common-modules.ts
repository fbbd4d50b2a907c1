/**
 * Modules every derived object shares: Patient and General Study copied from the source study (so a PACS files
 * results with their study and dcentvfy finds them consistent), equipment (the node), and SOP Common.
 */
import { PATIENT_STUDY, type StudyAttributes } from '../dicom/study-attributes';
import type { DicomJson } from '../dicom/part10-writer';
import { DEFAULT_MANUFACTURER, type EncoderOptions } from './options';

/** UTF-8 when any text is not ASCII: patient names may carry any script, and derived objects must not lose characters. */
export const UTF8_CHARACTER_SET = 'ISO_IR 192';

function hasNonAscii(v: unknown, depth = 0): boolean {
  if (typeof v === 'string') return /[\u0080-\uffff]/.test(v);
  if (depth > 64 || v == null || typeof v !== 'object' || ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return false;
  if (Array.isArray(v)) return v.some((x) => hasNonAscii(x, depth + 1));
  return Object.values(v).some((x) => hasNonAscii(x, depth + 1));
}

/**
 * Sets SpecificCharacterSet: absent (default repertoire) when every string is ASCII, ISO_IR 192 (UTF-8, which the
 * writer uses) otherwise. Keeps pure-ASCII objects free of the "character set not supported" notes some tools print.
 */
export function withCharacterSet(ds: DicomJson): DicomJson {
  if (hasNonAscii(ds)) ds.SpecificCharacterSet = UTF8_CHARACTER_SET;
  else delete ds.SpecificCharacterSet;
  return ds;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** DICOM DA (YYYYMMDD), local time. */
export function dicomDate(d: Date): string {
  return `${d.getFullYear()}${pad2(d.getMonth() + 1)}${pad2(d.getDate())}`;
}

/** DICOM TM (HHMMSS), local time. */
export function dicomTime(d: Date): string {
  return `${pad2(d.getHours())}${pad2(d.getMinutes())}${pad2(d.getSeconds())}`;
}

/** Patient, General Study and Patient Study modules from the source study. Empty strings stay empty (Type 2). */
export function patientAndStudy(h: StudyAttributes): DicomJson {
  const ds: DicomJson = {
    PatientName: h.PatientName,
    PatientID: h.PatientID,
    PatientBirthDate: h.PatientBirthDate,
    PatientSex: h.PatientSex,
    StudyInstanceUID: h.StudyInstanceUID,
    StudyDate: h.StudyDate,
    StudyTime: h.StudyTime,
    StudyID: h.StudyID,
    AccessionNumber: h.AccessionNumber,
    ReferringPhysicianName: h.ReferringPhysicianName,
  };
  if (h.IssuerOfPatientID) ds.IssuerOfPatientID = h.IssuerOfPatientID;
  if (h.StudyDescription) ds.StudyDescription = h.StudyDescription;
  // Patient Study module (Type 3): copied so the results carry the same study-level facts as the images.
  for (const k of PATIENT_STUDY) if (h[k]) ds[k] = h[k];
  return ds;
}

/** General Equipment (+ the Type 1 attributes of Enhanced General Equipment, which SEG requires). */
export function equipment(opts: EncoderOptions, modelName: string): DicomJson {
  const ds: DicomJson = {
    Manufacturer: opts.node.manufacturer ?? DEFAULT_MANUFACTURER,
    ManufacturerModelName: `neuro-onc-node ${modelName}`.slice(0, 64),
    DeviceSerialNumber: (opts.node.deviceSerialNumber ?? opts.node.name).slice(0, 64),
    SoftwareVersions: `neuro-onc-node ${opts.node.version}`.slice(0, 64),
  };
  if (opts.node.institutionName) ds.InstitutionName = opts.node.institutionName;
  return ds;
}

/** SOP Common + series/instance identification and content date/time. */
export function sopCommon(
  sopClassUid: string,
  sopInstanceUid: string,
  seriesInstanceUid: string,
  seriesNumber: number,
  instanceNumber: number,
  now: Date,
): DicomJson {
  return {
    SOPClassUID: sopClassUid,
    SOPInstanceUID: sopInstanceUid,
    InstanceCreationDate: dicomDate(now),
    InstanceCreationTime: dicomTime(now),
    SeriesInstanceUID: seriesInstanceUid,
    SeriesNumber: seriesNumber,
    SeriesDate: dicomDate(now),
    SeriesTime: dicomTime(now),
    InstanceNumber: instanceNumber,
    ContentDate: dicomDate(now),
    ContentTime: dicomTime(now),
  };
}
