/**
 * A "screen save" distractor: a Secondary Capture image (8-bit MONOCHROME2) of a 2x2 montage of axial reformats
 * with burned-in marks, as a workstation would push to PACS. Series identification must ignore it.
 */
import type { NaturalDataset } from '../dicom/p10';
import { writeP10 } from '../dicom/p10';
import { SopClass, TransferSyntax } from '../dicom/constants';
import { deterministicUid } from '../dicom/uids';

/** Builds the montage from up to four 2-D images (float, any range) of size w x h each. */
export function montage(tiles: Float32Array[], w: number, h: number): Uint8Array {
  const W = 2 * w;
  const H = 2 * h;
  const out = new Uint8Array(W * H);
  tiles.slice(0, 4).forEach((t, n) => {
    const sorted = t.filter((v) => v > 0).sort();
    const hi = sorted[Math.floor(sorted.length * 0.995)] || 1;
    const ox = (n % 2) * w;
    const oy = Math.floor(n / 2) * h;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) out[(oy + y) * W + ox + x] = Math.max(0, Math.min(255, Math.round((255 * t[y * w + x]!) / hi)));
    }
  });
  // Burned-in annotation: a frame and a measurement-like line in each tile.
  for (let n = 0; n < 4; n++) {
    const ox = (n % 2) * w;
    const oy = Math.floor(n / 2) * h;
    for (let x = 0; x < w; x++) {
      out[oy * W + ox + x] = 255;
      out[(oy + h - 1) * W + ox + x] = 255;
    }
    for (let y = 0; y < h; y++) {
      out[(oy + y) * W + ox] = 255;
      out[(oy + y) * W + ox + w - 1] = 255;
    }
    for (let x = Math.floor(w * 0.1); x < Math.floor(w * 0.35); x++) out[(oy + Math.floor(h * 0.9)) * W + ox + x] = 255;
  }
  return out;
}

export function screenshotDataset(
  pixels: Uint8Array,
  columns: number,
  rows: number,
  base: NaturalDataset,
  key: string,
): Buffer {
  const sop = deterministicUid(key, 'screenshot-instance');
  const ds: NaturalDataset = {
    ...base,
    SOPClassUID: SopClass.SecondaryCapture,
    SOPInstanceUID: sop,
    Modality: 'OT',
    ConversionType: 'WSD',
    InstanceNumber: 1,
    ImageType: ['DERIVED', 'SECONDARY', 'SCREEN SAVE'],
    PatientOrientation: '',
    BurnedInAnnotation: 'YES',
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: rows,
    Columns: columns,
    BitsAllocated: 8,
    BitsStored: 8,
    HighBit: 7,
    PixelRepresentation: 0,
    PixelData: [pixels.buffer.slice(pixels.byteOffset, pixels.byteOffset + pixels.byteLength)],
    _vrMap: { PixelData: 'OB' },
  };
  return writeP10(ds, { transferSyntaxUid: TransferSyntax.ExplicitVRLittleEndian });
}
