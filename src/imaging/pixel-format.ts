/** The Image Pixel module of a naturalized data set, in the shape the pixel codecs take. Pure function. */
import { str, type NaturalDataset } from '../dicom/p10';
import type { PixelFormat } from '../dicom/pixel-codecs';

export function pixelFormatOf(ds: NaturalDataset): PixelFormat {
  const n = (k: string): number => Number(Array.isArray(ds[k]) ? (ds[k] as unknown[])[0] : ds[k]);
  const bitsAllocated = n('BitsAllocated');
  return {
    rows: n('Rows'),
    columns: n('Columns'),
    bitsAllocated,
    bitsStored: Number.isFinite(n('BitsStored')) ? n('BitsStored') : bitsAllocated,
    pixelRepresentation: n('PixelRepresentation') === 1 ? 1 : 0,
    samplesPerPixel: Number.isFinite(n('SamplesPerPixel')) ? n('SamplesPerPixel') : 1,
    photometricInterpretation: str(ds, 'PhotometricInterpretation') || 'MONOCHROME2',
  };
}
