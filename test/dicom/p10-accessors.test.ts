import { readP10, str, writeP10 } from '../../src/dicom/p10';

describe('P10 accessors', () => {
  it('str() reads a Person Name the same whether built in memory or read back from a file', () => {
    const ds = { SOPClassUID: '1.2.840.10008.5.1.4.1.1.7', SOPInstanceUID: '1.2.3.4', PatientName: 'DOE^JANE', StudyDescription: 'BRAIN' };
    const back = readP10(writeP10(ds)).dataset;
    expect(str(back, 'PatientName')).toBe('DOE^JANE');
    expect(str(ds, 'PatientName')).toBe('DOE^JANE');
    expect(str(back, 'StudyDescription')).toBe('BRAIN');
    expect(str(back, 'AccessionNumber')).toBe('');
  });
});
