/**
 * The linear Part 10 writer against three independent readers: dcmjs, DCMTK dcmdump and dicom-parser.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dicomParser from 'dicom-parser';
import { readP10 } from '../../src/dicom/p10';
import { DicomWriteError, formatDS, writePart10 } from '../../src/dicom/part10-writer';
import { runTool } from '../helpers/dcmtk';

const ds = {
  SOPClassUID: '1.2.840.10008.5.1.4.1.1.7',
  SOPInstanceUID: '1.2.3.4.5',
  PatientName: { Alphabetic: 'DOE^JANE' },
  PatientID: 'ODD', // odd length -> space padded
  StudyInstanceUID: '1.2.345', // odd length -> NUL padded
  ImagePositionPatient: [-120.5, 0.1 + 0.2, 1e-7],
  InstanceNumber: 7,
  Rows: 2,
  Columns: 3,
  RecommendedDisplayCIELabValue: [65535, 0, 32768],
  DimensionIndexPointer: 'ImagePositionPatient',
  FloatingPointValue: [Math.PI],
  ReferencedFrameNumber: [1, 2],
  TextValue: 'line one\nline two',
  ReferencedSeriesSequence: [{ SeriesInstanceUID: '1.2.3', ReferencedInstanceSequence: [] }, { SeriesInstanceUID: '1.2.4' }],
  ReferencedPerformedProcedureStepSequence: [],
  PixelData: new Uint8Array([1, 2, 3]),
  _vrMap: { PixelData: 'OB' },
};

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'p10w-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('dcmjs reads back every value', () => {
  const back = readP10(writePart10(ds));
  expect(back.meta.TransferSyntaxUID).toBe('1.2.840.10008.1.2.1');
  expect(back.meta.MediaStorageSOPInstanceUID).toBe('1.2.3.4.5');
  const d = back.dataset;
  expect(d.PatientName).toEqual([{ Alphabetic: 'DOE^JANE' }]);
  expect(d.PatientID).toBe('ODD');
  expect(d.StudyInstanceUID).toBe('1.2.345');
  expect((d.ImagePositionPatient as number[]).map(Number)).toEqual([-120.5, 0.3, 1e-7]);
  expect(d.InstanceNumber).toBe(7);
  expect(d.RecommendedDisplayCIELabValue).toEqual([65535, 0, 32768]);
  expect(d.DimensionIndexPointer).toBe(0x00200032);
  expect(d.FloatingPointValue).toBe(Math.PI);
  expect(d.ReferencedFrameNumber).toEqual([1, 2]);
  expect(d.TextValue).toBe('line one\nline two');
  expect((d.ReferencedSeriesSequence as unknown[]).length).toBe(2);
  expect(d.ReferencedPerformedProcedureStepSequence).toEqual([]);
  expect(Array.from(new Uint8Array((d.PixelData as ArrayBuffer[])[0]!)).slice(0, 3)).toEqual([1, 2, 3]);
});

test('DCMTK and dicom-parser parse the same file', async () => {
  const file = join(dir, 'w.dcm');
  const bytes = writePart10(ds);
  writeFileSync(file, bytes);
  const dump = await runTool('dcmdump', ['-q', file]);
  expect(dump.code).toBe(0);
  expect(dump.stderr).toBe('');
  expect(dump.stdout).toContain('(0020,0032) DS [-120.5\\0.3\\1e-07]'.replace('1e-07', '1e-7'));
  expect(dump.stdout).toContain('(0020,9165) AT (0020,0032)');
  expect(dump.stdout).toContain('(0008,1115) SQ (Sequence with undefined length #=2)');
  const p = dicomParser.parseDicom(new Uint8Array(bytes));
  expect(p.string('x00100020')).toBe('ODD');
  expect(p.uint16('x00280010')).toBe(2);
  expect(p.elements.x00081115!.items).toHaveLength(2);
});

test('specific errors', () => {
  expect(() => writePart10({ ...ds, NotAKeyword: 1 })).toThrow(/unknown DICOM keyword "NotAKeyword"/);
  expect(() => writePart10({ ...ds, PatientID: 'x'.repeat(70000) })).toThrow(DicomWriteError);
  expect(() => writePart10({ PatientID: 'x' })).toThrow(/SOPClassUID and SOPInstanceUID/);
  expect(() => writePart10({ ...ds, InstanceNumber: 1.5 })).toThrow(/not an integer/);
});

test('formatDS keeps at most 16 characters', () => {
  for (const x of [Math.PI, -Math.PI * 1e-9, 123456789.123456, 1 / 3, -0, 1e21, -120.5]) {
    const s = formatDS(x);
    expect(s.length).toBeLessThanOrEqual(16);
    expect(Math.abs(Number(s) - x)).toBeLessThanOrEqual(Math.abs(x) * 1e-9 + 1e-300);
  }
  expect(formatDS(-0)).toBe('0');
  expect(() => formatDS(NaN)).toThrow(/not finite/);
});
