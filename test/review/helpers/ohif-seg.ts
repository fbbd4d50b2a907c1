/**
 * A corrected SEG written the way OHIF writes one: dcmjs' Cornerstone segmentation adapter
 * (adapters.Cornerstone.Segmentation.generateSegmentation) over the source images and a cornerstone Labelmap3D,
 * bit-packed BINARY (rleEncode off, as OHIF exports; the adapter's RLE FRACTIONAL form is not decoded).
 */
import * as dcmjs from 'dcmjs';
import type { SegmentDefinition } from '../../../src/ai/findings';
import { readP10 } from '../../../src/dicom/p10';

/** Distance of a slice along the normal of its orientation. */
function along(p10: Buffer): number {
  const ds = readP10(p10, { headerOnly: true }).dataset;
  const o = (ds.ImageOrientationPatient as number[]).map(Number);
  const p = (ds.ImagePositionPatient as number[]).map(Number);
  const n = [o[1]! * o[5]! - o[2]! * o[4]!, o[2]! * o[3]! - o[0]! * o[5]!, o[0]! * o[4]! - o[1]! * o[3]!];
  return p[0]! * n[0]! + p[1]! * n[1]! + p[2]! * n[2]!;
}

export async function ohifStyleSeg(sources: readonly Buffer[], labels: Uint8Array, plane: number, segments: readonly SegmentDefinition[]): Promise<Buffer> {
  // The adapter's normaliser stacks the images by descending position along the normal, and the labelmap's
  // 2D planes are indexed in that stack (as in the viewer's display set): give both in that order.
  const order = sources.map((p10, k) => ({ k, d: along(p10) })).sort((a, b) => b.d - a.d).map((x) => x.k);
  const images = order.map((k) => ({ imageId: `wadouri:source-${k}`, data: { byteArray: new Uint8Array(sources[k]!.buffer.slice(sources[k]!.byteOffset, sources[k]!.byteOffset + sources[k]!.byteLength)) } }));
  const labelmaps2D = order.map((k) => {
    const pixelData = new Uint16Array(labels.subarray(k * plane, (k + 1) * plane));
    return { pixelData, segmentsOnLabelmap: [0, ...new Set(pixelData)].filter((v, i, a) => a.indexOf(v) === i) };
  });
  const metadata: unknown[] = [undefined];
  for (const s of segments) {
    metadata[s.labelValue] = {
      SegmentedPropertyCategoryCodeSequence: { CodeValue: s.category.value, CodingSchemeDesignator: s.category.scheme, CodeMeaning: s.category.meaning },
      SegmentNumber: String(s.labelValue),
      SegmentLabel: s.label,
      SegmentAlgorithmType: 'MANUAL',
      RecommendedDisplayCIELabValue: [43802, 26566, 37721],
      SegmentedPropertyTypeCodeSequence: { CodeValue: s.type.value, CodingSchemeDesignator: s.type.scheme, CodeMeaning: s.type.meaning },
    };
  }
  const adapters = (dcmjs as unknown as { adapters: unknown }).adapters as { Cornerstone: { Segmentation: { generateSegmentation(i: unknown, l: unknown, o: unknown): Blob } } };
  const blob = adapters.Cornerstone.Segmentation.generateSegmentation(images, { labelmaps2D, metadata }, { rleEncode: false });
  return Buffer.from(await blob.arrayBuffer());
}
