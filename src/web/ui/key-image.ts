/**
 * The result page's key image: the slice of the display series with the largest segmented area, with the
 * segmentation blended in, as PNG. Reuses the Secondary Capture renderer (same colours, outlines and burned-in
 * "RESEARCH USE ONLY" banner as the key images sent to the PACS) and the report's PNG writer. Pure.
 */
import type { Findings } from '../../ai/findings';
import { encodePng } from '../../encoders/pdf/png';
import { keySlices, renderKeyImage } from '../../encoders/sc/key-images';
import { segmentCatalog } from '../../encoders/seg/segment-catalog';

export interface KeyImagePng {
  png: Buffer;
  /** 0-based slice index on the display series. */
  slice: number;
  slices: number;
  /** Segmented voxels on that slice (0 when nothing was segmented: the middle slice is shown). */
  tumourVoxels: number;
  /** Segmented area on that slice in mm². */
  areaMm2: number;
}

/** The key image, or undefined when the model produced no segmentation at all. */
export function keyImagePng(findings: Findings): KeyImagePng | undefined {
  const at = keySliceOf(findings);
  if (!at) return undefined;
  const caption = `${findings.model.name} ${findings.model.version} | ${at.tumourVoxels ? 'LARGEST TUMOUR AREA' : 'NOTHING SEGMENTED'}`;
  const image = renderKeyImage(findings, segmentCatalog(findings, false), at.slice, caption);
  return { png: encodePng(image), ...at };
}

/** The slice the key image shows, without rendering it (for the page's caption). */
export function keySliceOf(findings: Findings): { slice: number; slices: number; tumourVoxels: number; areaMm2: number } | undefined {
  const seg = findings.segmentation;
  if (!seg || !seg.segments.length) return undefined;
  const [cols, rows, slices] = findings.referenceSeries.dims;
  const best = keySlices(seg.labelmap.data, cols * rows, slices, 1)[0];
  const tumourVoxels = best?.voxels ?? 0;
  return { slice: best?.slice ?? Math.floor(slices / 2), slices, tumourVoxels, areaMm2: tumourVoxels * seg.labelmap.spacing[0] * seg.labelmap.spacing[1] };
}
