/**
 * Secondary Capture Image Storage (1.2.840.10008.5.1.4.1.1.7), one RGB instance per key image, for PACS and
 * viewers that show neither SEG nor SR. BurnedInAnnotation YES: the images carry the research-use banner.
 */
import type { Findings } from '../../ai/findings';
import type { StudyAttributes } from '../../dicom/study-attributes';
import { SopClass } from '../../dicom/constants';
import { codeItem, DCM } from '../codes';
import { dicomDate, dicomTime, equipment, patientAndStudy, sopCommon, withCharacterSet } from '../common-modules';
import type { EncoderOptions } from '../options';
import { writePart10, type DicomJson } from '../../dicom/part10-writer';
import type { SegmentSpec } from '../seg/segment-catalog';
import type { OutputUids } from '../uid-scheme';
import { keySlices, renderPlaneImage } from './key-images';
import { orthogonalKeyPlanes, planeName, planeRaster, type KeyPlane, type PlaneRaster } from './key-planes';
import type { RgbImage } from './bitmap-font';

export interface EncodedKeyImage {
  bytes: Buffer;
  sopInstanceUid: string;
  seriesInstanceUid: string;
  /** The acquired slice shown, or for a reformatted plane the source slice holding most of its tumour. */
  slice: number;
  plane: KeyPlane;
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

function captionFor(findings: Findings, plane: KeyPlane, raster: PlaneRaster): string {
  const lm = findings.segmentation!.labelmap;
  const wt = findings.regions.find((r) => r.key === 'WT' || r.key === 'GTV');
  const parts = [`${findings.model.name.toUpperCase()} ${findings.model.version}`];
  if (wt) parts.push(`${wt.key} ${wt.volumeMl.toFixed(1)} ML`);
  if (plane.axis === 2) {
    parts.push(`THIS SLICE ${((plane.voxels * lm.spacing[0] * lm.spacing[1] * lm.spacing[2]) / 1000).toFixed(1)} ML`);
    return `${parts.join(' | ')} SLICE ${plane.index + 1}/${findings.referenceSeries.dims[2]}`;
  }
  // The plane's name instead of an area: the caption must fit the image's width.
  return `${parts.join(' | ')} | ${planeName(raster)} REFORMAT`;
}

/** The source slices (acquired planes) a key plane shows tumour from, in slice order. */
function sourceSlices(findings: Findings, plane: KeyPlane, raster: PlaneRaster): number[] {
  if (plane.axis === 2) return [plane.index];
  const lm = findings.segmentation!.labelmap.data;
  const frame = findings.referenceSeries.dims[0] * findings.referenceSeries.dims[1];
  const slices = new Set<number>();
  for (let y = 0; y < raster.height; y++) {
    for (let x = 0; x < raster.width; x++) {
      const v = raster.voxel(x, y);
      if (lm[v]) slices.add(Math.floor(v / frame));
    }
  }
  return [...slices].sort((a, b) => a - b);
}

/** Of the source slices a reformatted plane crosses, the one holding most of its tumour. */
function mostTumour(findings: Findings, raster: PlaneRaster, shown: number[]): number {
  const lm = findings.segmentation!.labelmap.data;
  const frame = findings.referenceSeries.dims[0] * findings.referenceSeries.dims[1];
  const count = new Map<number, number>();
  for (let y = 0; y < raster.height; y++) {
    for (let x = 0; x < raster.width; x++) {
      const v = raster.voxel(x, y);
      if (lm[v]) count.set(Math.floor(v / frame), (count.get(Math.floor(v / frame)) ?? 0) + 1);
    }
  }
  return shown.reduce((best, k) => ((count.get(k) ?? 0) > (count.get(best) ?? 0) ? k : best), shown[0]!);
}

/** The planes to show: three orthogonal planes through the tumour (default), or acquired slices spread over it. */
function keyPlanes(findings: Findings, options: EncoderOptions): KeyPlane[] {
  const ref = findings.referenceSeries;
  const labelmap = findings.segmentation!.labelmap.data;
  if ((options.keyImages?.planes ?? 'orthogonal') === 'orthogonal') return orthogonalKeyPlanes(labelmap, ref.dims);
  const [cols, rows, slices] = ref.dims;
  return keySlices(labelmap, cols * rows, slices, options.keyImages?.count ?? 3).map((k) => ({ axis: 2, index: k.slice, voxels: k.voxels }));
}

export function encodeKeyImages(
  findings: Findings,
  header: StudyAttributes,
  options: EncoderOptions,
  uids: OutputUids,
  segments: readonly SegmentSpec[],
): EncodedKeyImage[] {
  if (!findings.segmentation || options.keyImages?.enabled === false) return [];
  const ref = findings.referenceSeries;
  const now = options.now ?? new Date();
  return keyPlanes(findings, options).map((plane, n) => {
    const raster = planeRaster(ref, plane);
    const image = renderPlaneImage(findings, segments, raster, captionFor(findings, plane, raster));
    const shown = sourceSlices(findings, plane, raster);
    // The source slice with most of the plane's tumour first: a viewer that follows one reference lands there.
    const main = plane.axis === 2 ? plane.index : mostTumour(findings, raster, shown);
    const sourceItems: DicomJson[] = [main, ...shown.filter((k) => k !== main)].map((k) => {
      const src = ref.sources[k]!;
      const item: DicomJson = {
        ReferencedSOPClassUID: src.sopClassUid,
        ReferencedSOPInstanceUID: src.sopInstanceUid,
        PurposeOfReferenceCodeSequence: [codeItem(DCM.sourceImageForProcessing)],
      };
      if (src.frameNumber != null) item.ReferencedFrameNumber = src.frameNumber;
      return item;
    });
    const sopUid = uids.sc(n + 1);
    const ds: DicomJson = {
      ...sopCommon(SopClass.SecondaryCapture, sopUid, uids.series.sc, uids.seriesNumbers.sc, n + 1, now),
      ...patientAndStudy(header),
      ...equipment(options, findings.model.name),
      Modality: 'OT',
      ConversionType: 'WSD',
      SeriesDescription: 'AI key images - RESEARCH USE ONLY',
      ImageType: ['DERIVED', 'SECONDARY'],
      DerivationDescription:
        plane.axis === 2
          ? 'Automatic tumour segmentation burned into the source slice; research use only'
          : 'Automatic tumour segmentation burned into a plane reformatted from the source slices (nearest neighbour); research use only',
      ImageComments: 'RESEARCH USE ONLY - segmentation overlay burned in',
      BurnedInAnnotation: 'YES',
      // Brain is unpaired; without it dciodvfy asks for the General Series Laterality (Type 2C).
      ImageLaterality: 'U',
      PatientOrientation: [orientationLetters(raster.right), orientationLetters(raster.down)],
      DateOfSecondaryCapture: dicomDate(now),
      TimeOfSecondaryCapture: dicomTime(now),
      SourceImageSequence: sourceItems,
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
    return { bytes: writePart10(withCharacterSet(ds)), sopInstanceUid: sopUid, seriesInstanceUid: uids.series.sc, slice: main, plane, image };
  });
}
