/**
 * Writes MR series as real Part 10 files (src/dicom/p10 writeP10) with tiny 8×8 pixel data, so that the CLI and the
 * file reader run on actual DICOM. Attributes per series come from the test; geometry is a plain axial stack.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SopClass } from '../../../src/dicom/constants';
import { writeP10, type NaturalDataset } from '../../../src/dicom/p10';

export interface SeriesToWrite {
  uid: string;
  number: number;
  description: string;
  /** Extra attributes (DICOM keywords), e.g. RepetitionTime, ScanningSequence, ContrastBolusAgent. */
  attrs?: NaturalDataset;
  slices?: number;
  /** HHMMSS of the first slice. */
  time: string;
  /** Slice orientations cycle through these (a 3-plane localizer has three). */
  orientations?: number[][];
}

const AXIAL = [1, 0, 0, 0, 1, 0];

export function writeSeriesFiles(dir: string, studyUid: string, series: readonly SeriesToWrite[]): string[] {
  const files: string[] = [];
  for (const s of series) {
    const sdir = join(dir, `series-${s.number}`);
    mkdirSync(sdir, { recursive: true });
    const n = s.slices ?? 12;
    for (let i = 0; i < n; i++) {
      const orientations = s.orientations ?? [AXIAL];
      const ds: NaturalDataset = {
        SOPClassUID: SopClass.MRImage,
        SOPInstanceUID: `${s.uid}.${i + 1}`,
        StudyInstanceUID: studyUid,
        SeriesInstanceUID: s.uid,
        FrameOfReferenceUID: `${studyUid}.0`,
        PatientName: 'Series^Id',
        PatientID: 'SERIES-ID-TEST',
        StudyDate: '20240312',
        StudyTime: '080000',
        Modality: 'MR',
        Manufacturer: 'SIEMENS',
        ManufacturerModelName: 'Skyra',
        MagneticFieldStrength: 3,
        SeriesNumber: s.number,
        SeriesDescription: s.description,
        ProtocolName: s.description,
        InstanceNumber: i + 1,
        SeriesDate: '20240312',
        SeriesTime: s.time,
        AcquisitionDate: '20240312',
        AcquisitionTime: s.time,
        ImageType: ['ORIGINAL', 'PRIMARY', 'M', 'ND'],
        ImageOrientationPatient: orientations[i % orientations.length],
        ImagePositionPatient: [-120, -120, -60 + 5 * i],
        SliceThickness: 5,
        PixelSpacing: [30, 30],
        Rows: 8,
        Columns: 8,
        SamplesPerPixel: 1,
        PhotometricInterpretation: 'MONOCHROME2',
        BitsAllocated: 16,
        BitsStored: 12,
        HighBit: 11,
        PixelRepresentation: 0,
        PixelData: new Uint16Array(64).fill(100 + i).buffer,
        _vrMap: { PixelData: 'OW' },
        ...s.attrs,
      };
      const path = join(sdir, `${String(i + 1).padStart(3, '0')}.dcm`);
      writeFileSync(path, writeP10(ds));
      files.push(path);
    }
  }
  return files;
}
