/**
 * Secondary Capture Image Storage (1.2.840.10008.5.1.4.1.1.7), one RGB instance per key image, for PACS and
 * viewers that show neither SEG nor SR. BurnedInAnnotation YES: the images carry the research-use banner.
 */
import type { Findings } from '../../ai/findings';
import type { StudyHeader } from '../../dicom/study-header';
import { SopClass } from '../../dicom/constants';
import { codeItem, DCM } from '../codes';
import { dicomDate, dicomTime, equipment, patientAndStudy, sopCommon, withCharacterSet } from '../common-modules';
import { DEFAULT_SERIES_NUMBERS, type EncoderOptions } from '../options';
import { writePart10, type DicomJson } from '../part10-writer';
import type { SegmentSpec } from '../seg/segment-catalog';
import type { OutputUids } from '../uid-scheme';
import { keySlices, renderKeyImage } from './key-images';
import type { RgbImage } from './bitmap-font';

export interface EncodedKeyImage {
  bytes: Buffer;
  sopInstanceUid: string;
  seriesInstanceUid: string;
  slice: number;
  image: RgbImage;
}

/** Patient orientation letters of a direction cosine (PS3.3 C.7.6.1.1.1), e.g. [1,0,0] -> "L". */
export function orientationLetters(v: readonly number[]): string {
  const axes = [
    { c: v[0]!, pos: 'L', neg: 'R' },
    { c: v[1]!, pos: 'P', neg: 'A' },
    { c: v[2]!, pos: 'H', neg: 'F' },
  ]
    .filter((a) => Math.abs(a.c) > 0.25)
    .sort((a, b) => Math.abs(b.c) - Math.abs(a.c));
  return axes.map((a) => (a.c > 0 ? a.pos : a.neg)).join('') || 'L';
}

function captionFor(findings: Findings, slice: number): string {
  const frameSize = findings.referenceSeries.dims[0] * findings.referenceSeries.dims[1];
  const lm = findings.segmentation!.labelmap;
  const voxelMl = (lm.spacing[0] * lm.spacing[1] * lm.spacing[2]) / 1000;
  const wt = findings.regions.find((r) => r.key === 'WT' || r.key === 'GTV');
  let n = 0;
  for (let i = slice * frameSize; i < (slice + 1) * frameSize; i++) if (lm.data[i]) n++;
  const parts = [`${findings.model.name.toUpperCase()} ${findings.model.version}`];
  if (wt) parts.push(`${wt.key} ${wt.volumeMl.toFixed(1)} ML`);
  parts.push(`THIS SLICE ${(n * voxelMl).toFixed(1)} ML`);
  return parts.join(' | ');
}

export function encodeKeyImages(
  findings: Findings,
  header: StudyHeader,
  options: EncoderOptions,
  uids: OutputUids,
  segments: readonly SegmentSpec[],
): EncodedKeyImage[] {
  if (!findings.segmentation || options.keyImages?.enabled === false) return [];
  const ref = findings.referenceSeries;
  const [cols, rows, slices] = ref.dims;
  const chosen = keySlices(findings.segmentation.labelmap.data, cols * rows, slices, options.keyImages?.count ?? 3);
  const now = options.now ?? new Date();
  const iop = ref.imageOrientationPatient;
  return chosen.map(({ slice }, n) => {
    const image = renderKeyImage(findings, segments, slice, captionFor(findings, slice));
    const src = ref.sources[slice]!;
    const sourceItem: DicomJson = {
      ReferencedSOPClassUID: src.sopClassUid,
      ReferencedSOPInstanceUID: src.sopInstanceUid,
      PurposeOfReferenceCodeSequence: [codeItem(DCM.sourceImageForProcessing)],
    };
    if (src.frameNumber != null) sourceItem.ReferencedFrameNumber = src.frameNumber;
    const sopUid = uids.sc(n + 1);
    const ds: DicomJson = {
      ...sopCommon(SopClass.SecondaryCapture, sopUid, uids.series.sc, options.seriesNumbers?.sc ?? DEFAULT_SERIES_NUMBERS.sc, n + 1, now),
      ...patientAndStudy(header),
      ...equipment(options, findings.model.name),
      Modality: 'OT',
      ConversionType: 'WSD',
      SeriesDescription: 'AI key images - RESEARCH USE ONLY',
      ImageType: ['DERIVED', 'SECONDARY'],
      DerivationDescription: 'Automatic tumour segmentation burned into the source slice; research use only',
      ImageComments: 'RESEARCH USE ONLY - segmentation overlay burned in',
      BurnedInAnnotation: 'YES',
      // Brain is unpaired; without it dciodvfy asks for the General Series Laterality (Type 2C).
      ImageLaterality: 'U',
      PatientOrientation: [orientationLetters(iop.slice(0, 3)), orientationLetters(iop.slice(3, 6))],
      DateOfSecondaryCapture: dicomDate(now),
      TimeOfSecondaryCapture: dicomTime(now),
      SourceImageSequence: [sourceItem],
      SamplesPerPixel: 3,
      PhotometricInterpretation: 'RGB',
      PlanarConfiguration: 0,
      Rows: image.height,
      Columns: image.width,
      BitsAllocated: 8,
      BitsStored: 8,
      HighBit: 7,
      PixelRepresentation: 0,
      LossyImageCompression: '00',
      PixelData: image.data,
      _vrMap: { PixelData: 'OB' },
    };
    return { bytes: writePart10(withCharacterSet(ds)), sopInstanceUid: sopUid, seriesInstanceUid: uids.series.sc, slice, image };
  });
}
