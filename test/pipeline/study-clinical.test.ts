/** The study's clinical values for survival heads, read from a real instance header on disk. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePart10 } from '../../src/dicom/part10-writer';
import { studyClinical, type StudySeriesFiles } from '../../src/pipeline/prepare';

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'clinical-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function instance(name: string, attrs: Record<string, string>): string {
  const path = join(dir, name);
  writeFileSync(path, writePart10({ SOPClassUID: '1.2.840.10008.5.1.4.1.1.4', SOPInstanceUID: `2.25.${name.length}${Date.now()}`, StudyInstanceUID: '2.25.1', PatientName: 'DOE^JANE', ...attrs }));
  return path;
}
const study = (files: string[]): StudySeriesFiles => ({ studyInstanceUid: '2.25.1', studyDescription: '', reasonForStudy: '', series: { '2.25.2': files } });

describe('studyClinical', () => {
  it('takes PatientAge', async () => {
    expect(await studyClinical(study([instance('a.dcm', { PatientAge: '054Y', PatientBirthDate: '19000101', StudyDate: '20260101' })]))).toEqual({ age: { years: 54, source: 'PatientAge' } });
  });

  it('falls back to the birth and study dates; skips an unreadable file first', async () => {
    const junk = join(dir, 'junk.dcm');
    writeFileSync(junk, 'not dicom');
    const c = await studyClinical(study([junk, instance('b.dcm', { PatientBirthDate: '19700615', StudyDate: '20260615' })]));
    expect(c.age?.source).toBe('PatientBirthDate+StudyDate');
    expect(Math.floor(c.age!.years)).toBe(56);
  });

  it('is empty when the header has no age', async () => {
    expect(await studyClinical(study([instance('c.dcm', { StudyDate: '20260615' })]))).toEqual({});
  });
});
