import dcmjs from 'dcmjs';
import { syntheticMrStudy } from '../../src/testing/synthetic-mr';
import { SopClass, TransferSyntax } from '../../src/dicom/constants';
import { readP10, writeP10 } from '../../src/dicom/p10';
import { toDicomJson } from '../../src/store/dicom-json';
import { decodeInstanceJson } from '../../src/store/instance-json-decoder';
import { bufferSource } from '../../src/dicom/byte-source';
import { checkP10Structure } from '../../src/store/p10-structure';

/** The reference: dcmjs' parse, cleaned into DICOM JSON the same way. */
function viaDcmjs(buf: Buffer): { meta: unknown; dataset: unknown } {
  const p = readP10(buf, { headerOnly: true });
  return { meta: toDicomJson(dcmjs.data.DicomMetaDictionary.denaturalizeDataset(p.meta)), dataset: toDicomJson(p.raw) };
}

function fast(buf: Buffer): ReturnType<typeof decodeInstanceJson> {
  const s = checkP10Structure(bufferSource(buf));
  return decodeInstanceJson(buf, s.datasetOffset, s.transferSyntaxUid);
}

const rich = {
  SpecificCharacterSet: 'ISO_IR 192',
  SOPClassUID: SopClass.MRImage,
  SOPInstanceUID: '1.2.3.4.5',
  StudyInstanceUID: '1.2.3',
  SeriesInstanceUID: '1.2.3.4',
  PatientName: 'Müller^Jürgen=ミュラー',
  OtherPatientNames: ['A^B', 'C^D'],
  ImageType: ['ORIGINAL', 'PRIMARY', '', 'M'],
  EchoTime: 12.5,
  ImagePositionPatient: [-120.5, 3, 1e-3],
  SeriesNumber: 7,
  Rows: 2,
  Columns: 2,
  LargestImagePixelValue: 4095,
  ImageComments: 'a \\ comment with a backslash kept whole',
  ReferencedSeriesSequence: [{ SeriesInstanceUID: '1.2.9', ReferencedInstanceSequence: [{ ReferencedSOPInstanceUID: '1.2.9.1' }, { ReferencedSOPInstanceUID: '1.2.9.2' }] }],
  EmptySeq: undefined,
  PixelData: new Uint16Array(4).buffer,
  _vrMap: { PixelData: 'OW' },
};

describe('fast header decoder', () => {
  it.each([
    ['explicit VR LE', TransferSyntax.ExplicitVRLittleEndian],
    ['implicit VR LE', TransferSyntax.ImplicitVRLittleEndian],
  ])('gives the same DICOM JSON as dcmjs (%s, UTF-8, PN groups, sequences, numbers)', (_n, ts) => {
    const buf = writeP10(rich, { transferSyntaxUid: ts });
    const f = fast(buf)!;
    expect(f).toBeDefined();
    expect(f).toEqual(viaDcmjs(buf));
    expect(f.dataset['00100010']!.Value).toEqual([{ Alphabetic: 'Müller^Jürgen', Ideographic: 'ミュラー' }]);
  });

  it('matches dcmjs on the synthetic MR series used everywhere', () => {
    for (const i of syntheticMrStudy({ seed: 'decoder', series: 2, slicesPerSeries: 2 })) expect(fast(i.bytes)).toEqual(viaDcmjs(i.bytes));
  });

  it('declines what it does not handle (big endian, other character sets) so dcmjs takes over', () => {
    expect(fast(writeP10(rich as unknown as Record<string, unknown>, { transferSyntaxUid: TransferSyntax.ExplicitVRBigEndian }))).toBeUndefined();
    expect(fast(writeP10({ ...rich, SpecificCharacterSet: 'ISO_IR 144', PatientName: 'X' }))).toBeUndefined();
  });
});
