/** The patient's age at the study, from the header (routing rules, survival heads' clinical input). Pure. */

/** Where an age came from, for the audit trail. */
export type AgeSource = 'PatientAge' | 'PatientBirthDate+StudyDate';

export interface PatientAge {
  years: number;
  source: AgeSource;
}

/** PatientAge ("045Y", "006M", "010W", "003D") in years, else from birth and study dates (YYYYMMDD); with its source. */
export function patientAge(patientAge: string | undefined, birthDate: string | undefined, studyDate: string | undefined): PatientAge | undefined {
  const m = /^(\d{3})([DWMY])$/.exec((patientAge ?? '').trim());
  if (m) {
    const n = Number(m[1]);
    const perYear = { D: 365.25, W: 52.1775, M: 12, Y: 1 }[m[2] as 'D' | 'W' | 'M' | 'Y'];
    return { years: n / perYear, source: 'PatientAge' };
  }
  const d = (s: string | undefined): Date | undefined => {
    const x = /^(\d{4})(\d{2})(\d{2})$/.exec((s ?? '').trim());
    return x ? new Date(Date.UTC(Number(x[1]), Number(x[2]) - 1, Number(x[3]))) : undefined;
  };
  const b = d(birthDate);
  const s = d(studyDate);
  if (!b || !s || s < b) return undefined;
  return { years: (s.getTime() - b.getTime()) / (365.25 * 86_400_000), source: 'PatientBirthDate+StudyDate' };
}

/** Age in years only (see patientAge). */
export function ageInYears(age: string | undefined, birthDate: string | undefined, studyDate: string | undefined): number | undefined {
  return patientAge(age, birthDate, studyDate)?.years;
}
