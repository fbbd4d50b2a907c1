import { SopClass, TransferSyntax } from '../../src/dicom/constants';
import { writeP10 } from '../../src/dicom/p10';
import { bufferSource } from '../../src/dicom/byte-source';
import { checkP10Structure, P10StructureError } from '../../src/store/p10-structure';

function reasonOf(buf: Buffer): string {
  try {
    checkP10Structure(bufferSource(buf));
    return 'ok';
  } catch (e) {
    return e instanceof P10StructureError ? e.reason : 'other';
  }
}

const base = {
  SOPClassUID: SopClass.MRImage,
  SOPInstanceUID: '1.2.3.4.5',
  StudyInstanceUID: '1.2.3',
  SeriesInstanceUID: '1.2.3.4',
  Modality: 'MR',
  ReferencedSeriesSequence: [{ SeriesInstanceUID: '1.2.9', ReferencedInstanceSequence: [{ ReferencedSOPInstanceUID: '1.2.9.1' }] }],
  Rows: 4,
  Columns: 4,
  BitsAllocated: 16,
  PixelData: new Uint16Array(16).fill(7).buffer,
  _vrMap: { PixelData: 'OW' },
};

describe('P10 structural walk', () => {
  it.each([
    ['explicit VR little endian', TransferSyntax.ExplicitVRLittleEndian],
    ['implicit VR little endian', TransferSyntax.ImplicitVRLittleEndian],
  ])('accepts a whole %s file and finds Pixel Data; every cut-off is caught', (_n, ts) => {
    const buf = writeP10(base, { transferSyntaxUid: ts });
    const s = checkP10Structure(bufferSource(buf));
    expect(s.transferSyntaxUid).toBe(ts);
    expect(buf.readUInt16LE(s.pixelDataOffset)).toBe(0x7fe0);
    // A cut inside any element is caught; a cut exactly between two elements leaves a well-formed (shorter) file,
    // which is only possible before Pixel Data (the store then refuses an image without Pixel Data).
    let boundaryCuts = 0;
    for (let cut = 132; cut < buf.length; cut++) {
      const r = reasonOf(buf.subarray(0, cut));
      if (r === 'ok') {
        boundaryCuts++;
        expect(cut).toBeLessThanOrEqual(s.pixelDataOffset!);
        expect(checkP10Structure(bufferSource(buf.subarray(0, cut))).hasPixelData).toBe(false);
      } else expect([cut, r]).toEqual([cut, expect.stringMatching(/^(truncated|invalid)$/)]);
    }
    expect(boundaryCuts).toBeLessThan(25);
  });

  it('accepts encapsulated pixel data and catches a cut fragment', () => {
    const frag = new Uint8Array(64).fill(1);
    const buf = writeP10({ ...base, PixelData: [frag.buffer], _vrMap: { PixelData: 'OB' } }, { transferSyntaxUid: TransferSyntax.JpegBaseline });
    expect(checkP10Structure(bufferSource(buf)).pixelDataOffset).toBeGreaterThan(0);
    expect(reasonOf(buf.subarray(0, buf.length - 10))).toBe('truncated');
  });

  it('tolerates a few zero padding bytes, not garbage', () => {
    const buf = writeP10(base);
    expect(reasonOf(Buffer.concat([buf, Buffer.alloc(3)]))).toBe('ok');
    expect(reasonOf(Buffer.concat([buf, Buffer.from('xyz')]))).toBe('truncated');
    expect(reasonOf(Buffer.from('not dicom at all'))).toBe('not-dicom');
  });
});
