/**
 * The facts routing rules look at, read from the store's index: who sent the study, its series' modalities and body
 * parts, its description, the stations and the patient's age. One header per series (the index keeps each instance's
 * header as DICOM JSON), so this stays cheap for a study of thousands of instances.
 */
import { jsonString } from '../store/instance-json-decoder';
import type { InstanceStore } from '../store/store';
import { ageInYears } from '../dicom/patient-age';
import type { StudyFacts } from './rules';

const STATION_NAME = '00081010';
const PATIENT_AGE = '00101010';

const distinct = (xs: Iterable<string | undefined>): string[] => [...new Set([...xs].filter((x): x is string => !!x))].sort();

export function studyFacts(store: InstanceStore, studyInstanceUid: string): StudyFacts {
  const study = store.getStudy(studyInstanceUid);
  const series = store.listSeries(studyInstanceUid);
  const instances = store.listInstances({ studyInstanceUid });
  const headers = series.map((s) => store.index.representativeMetadata({ seriesUid: s.seriesInstanceUid })).filter((h) => h !== undefined);
  const age = headers.map((h) => jsonString(h, PATIENT_AGE)).find((a) => a) ?? undefined;
  const patientAgeYears = ageInYears(age, study?.patientBirthDate, study?.studyDate);
  return {
    studyInstanceUid,
    callingAeTitles: distinct(instances.map((i) => i.callingAeTitle)),
    users: distinct(instances.map((i) => i.user)),
    modalities: distinct(series.map((s) => s.modality)),
    bodyParts: distinct(series.map((s) => s.bodyPartExamined.toUpperCase())),
    studyDescription: study?.studyDescription ?? '',
    stationNames: distinct(headers.map((h) => jsonString(h, STATION_NAME))),
    ...(patientAgeYears !== undefined ? { patientAgeYears } : {}),
  };
}
