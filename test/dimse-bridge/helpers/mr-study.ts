/**
 * Synthetic MR studies as Part 10 files for the DIMSE tests: N series x M slices, 16-bit (12 stored) or 8-bit
 * pixels with a smooth pattern that the DCMTK codecs compress (JPEG baseline needs 8-bit). Test data only.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeP10 } from '../../../src/dicom/p10';
import { SopClass } from '../../../src/dicom/constants';
import { randomUid } from '../../../src/dicom/uids';

export interface MrStudyOptions {
  series: number;
  slices: number;
  rows?: number;
  columns?: number;
  bitsAllocated?: 8 | 16;
  studyUid?: string;
  /** Series descriptions, one per series (default T1/T1ce/T2/FLAIR-like names). */
  descriptions?: string[];
}

export interface WrittenInstance {
  path: string;
  studyUid: string;
  seriesUid: string;
  sopInstanceUid: string;
  sopClassUid: string;
}

const DEFAULT_DESCRIPTIONS = ['T1 SE AX', 'T1 SE AX +C', 'T2 TSE AX', 'FLAIR AX'];

function pixels(rows: number, columns: number, slice: number, bits: 8 | 16): ArrayBuffer {
  const n = rows * columns;
  const max = bits === 8 ? 255 : 4095;
  const arr = bits === 8 ? new Uint8Array(n) : new Uint16Array(n);
  const cx = columns / 2;
  const cy = rows / 2;
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < columns; x++) {
      const r = Math.hypot(x - cx, y - cy) / Math.min(cx, cy);
      arr[y * columns + x] = r < 0.9 ? Math.round(max * (0.3 + 0.4 * Math.cos(r * 3 + slice * 0.05))) : 0;
    }
  }
  return arr.buffer;
}

/** Writes the study under `dir/<series>/<n>.dcm` and returns every file with its UIDs. */
export function writeMrStudy(dir: string, o: MrStudyOptions): WrittenInstance[] {
  const rows = o.rows ?? 64;
  const columns = o.columns ?? 64;
  const bits = o.bitsAllocated ?? 16;
  const studyUid = o.studyUid ?? randomUid();
  const out: WrittenInstance[] = [];
  for (let s = 0; s < o.series; s++) {
    const seriesUid = randomUid();
    const sdir = join(dir, `s${s + 1}`);
    mkdirSync(sdir, { recursive: true });
    for (let i = 0; i < o.slices; i++) {
      const sopInstanceUid = randomUid();
      const ds = {
        SOPClassUID: SopClass.MRImage,
        SOPInstanceUID: sopInstanceUid,
        StudyInstanceUID: studyUid,
        SeriesInstanceUID: seriesUid,
        FrameOfReferenceUID: studyUid + '.1',
        PatientName: 'Test^Dimse',
        PatientID: 'DIMSE-TEST',
        PatientBirthDate: '19700101',
        PatientSex: 'O',
        StudyDate: '20240101',
        StudyTime: '120000',
        StudyID: '1',
        AccessionNumber: 'ACC1',
        ReferringPhysicianName: '',
        Modality: 'MR',
        Manufacturer: 'neuro-onc-node tests',
        SeriesNumber: s + 1,
        SeriesDescription: (o.descriptions ?? DEFAULT_DESCRIPTIONS)[s % 4] ?? `series ${s + 1}`,
        InstanceNumber: i + 1,
        ImageType: ['ORIGINAL', 'PRIMARY', 'M', 'NONE'],
        ScanningSequence: 'SE',
        SequenceVariant: 'NONE',
        ScanOptions: '',
        MRAcquisitionType: '2D',
        EchoTime: 10,
        RepetitionTime: 500,
        EchoTrainLength: 1,
        MagneticFieldStrength: 1.5,
        ImagePositionPatient: [-120, -120, -60 + i * 2],
        ImageOrientationPatient: [1, 0, 0, 0, 1, 0],
        PixelSpacing: [240 / rows, 240 / columns],
        SliceThickness: 2,
        PositionReferenceIndicator: '',
        SliceLocation: -60 + i * 2,
        SamplesPerPixel: 1,
        PhotometricInterpretation: 'MONOCHROME2',
        Rows: rows,
        Columns: columns,
        BitsAllocated: bits,
        BitsStored: bits === 8 ? 8 : 12,
        HighBit: bits === 8 ? 7 : 11,
        PixelRepresentation: 0,
        PixelData: [pixels(rows, columns, i, bits)],
        _vrMap: { PixelData: bits === 8 ? 'OB' : 'OW' },
      };
      const path = join(sdir, `${String(i + 1).padStart(4, '0')}.dcm`);
      writeFileSync(path, writeP10(ds));
      out.push({ path, studyUid, seriesUid, sopInstanceUid, sopClassUid: SopClass.MRImage });
    }
  }
  return out;
}
