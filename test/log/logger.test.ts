import { scrubPhi } from '../../src/log/logger';

describe('PHI scrubbing', () => {
  it('removes patient identifiers at any depth but keeps UIDs', () => {
    const out = scrubPhi({
      StudyInstanceUID: '1.2.3',
      PatientName: 'DOE^JANE',
      nested: { patient_id: 'MRN123', list: [{ PatientBirthDate: '19700101', SOPInstanceUID: '1.2.3.4' }] },
    }) as Record<string, unknown>;
    const text = JSON.stringify(out);
    expect(text).not.toMatch(/DOE\^JANE|MRN123|19700101/);
    expect(text).toMatch(/1\.2\.3\.4/);
    expect(out.StudyInstanceUID).toBe('1.2.3');
  });
});
