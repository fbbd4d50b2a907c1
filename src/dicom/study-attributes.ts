/**
 * Patient/study attributes that derived objects (SEG, SR, SC, PDF) copy from their source images, so that a PACS
 * files them under the same patient and study. Held in memory only; never logged.
 */
import { str, type NaturalDataset } from './p10';

export interface StudyAttributes {
  PatientName: string;
  PatientID: string;
  PatientBirthDate: string;
  PatientSex: string;
  StudyInstanceUID: string;
  StudyDate: string;
  StudyTime: string;
  StudyID: string;
  AccessionNumber: string;
  ReferringPhysicianName: string;
  StudyDescription: string;
  /** Issuer of Patient ID, when the source had one. */
  IssuerOfPatientID: string;
  /** Patient Study module, when the source had them (DS values as the source wrote them). */
  PatientAge?: string;
  PatientSize?: string;
  PatientWeight?: string;
}

/** Patient Study module attributes copied into the derived objects. */
export const PATIENT_STUDY = ['PatientAge', 'PatientSize', 'PatientWeight'] as const;

export function studyAttributesFrom(ds: NaturalDataset): StudyAttributes {
  const patientStudy: Partial<StudyAttributes> = {};
  for (const k of PATIENT_STUDY) if (str(ds, k)) patientStudy[k] = str(ds, k);
  return {
    ...patientStudy,
    PatientName: str(ds, 'PatientName'),
    PatientID: str(ds, 'PatientID'),
    PatientBirthDate: str(ds, 'PatientBirthDate'),
    PatientSex: str(ds, 'PatientSex'),
    StudyInstanceUID: str(ds, 'StudyInstanceUID'),
    StudyDate: str(ds, 'StudyDate'),
    StudyTime: str(ds, 'StudyTime'),
    StudyID: str(ds, 'StudyID'),
    AccessionNumber: str(ds, 'AccessionNumber'),
    ReferringPhysicianName: str(ds, 'ReferringPhysicianName'),
    StudyDescription: str(ds, 'StudyDescription'),
    IssuerOfPatientID: str(ds, 'IssuerOfPatientID'),
  };
}
