/**
 * Key images for PACS/viewers that cannot show SEG: slices spread over the tumour, windowed to 8 bits, the
 * segmentation blended in with outlines, and "RESEARCH USE ONLY" plus a caption burned in. Pure raster work.
 */
import type { Findings } from '../../ai/findings';
import { drawText, textWidth, GLYPH_HEIGHT, type RgbImage } from './bitmap-font';
import { dicomLabToRgb, type SegmentSpec } from '../seg/segment-catalog';
import { planeRaster, type PlaneRaster } from './key-planes';

export const RESEARCH_BANNER = 'RESEARCH USE ONLY - NOT FOR DIAGNOSIS';

export interface KeyImage {
  /** Slice index k on the reference grid. */
  slice: number;
  image: RgbImage;
  /** Foreground voxels on this slice. */
  tumourVoxels: number;
}

/**
 * `count` key slices spread over the tumour, in slice order; none when nothing is segmented. The slices that hold
 * tumour are split into `count` equal runs and each run gives its fullest slice, so the images show the tumour's
 * extent (and its fullest slice overall) instead of three adjacent slices through its middle.
 */
export function keySlices(labelmap: Uint8Array, frameSize: number, slices: number, count: number): Array<{ slice: number; voxels: number }> {
  const perSlice: number[] = [];
  for (let k = 0; k < slices; k++) {
    let n = 0;
    const end = (k + 1) * frameSize;
    for (let i = k * frameSize; i < end; i++) if (labelmap[i]) n++;
    perSlice.push(n);
  }
  const first = perSlice.findIndex((n) => n > 0);
  if (first < 0 || count < 1) return [];
  let last = slices - 1;
  while (!perSlice[last]) last--;
  const span = last - first + 1;
  const out: Array<{ slice: number; voxels: number }> = [];
  for (let b = 0; b < count; b++) {
    let best: { slice: number; voxels: number } | undefined;
    for (let k = first + Math.floor((b * span) / count); k < first + Math.floor(((b + 1) * span) / count); k++) {
      if (perSlice[k]! > (best?.voxels ?? 0)) best = { slice: k, voxels: perSlice[k]! };
    }
    if (best) out.push(best);
  }
  return out;
}

/** 1st..99.5th percentile window of the non-zero voxels of a plane. */
function window(values: number[]): [number, number] {
  const vals = values.filter((v) => v);
  if (!vals.length) return [0, 1];
  vals.sort((a, b) => a - b);
  const lo = vals[Math.floor(vals.length * 0.01)]!;
  const hi = vals[Math.min(vals.length - 1, Math.floor(vals.length * 0.995))]!;
  return hi > lo ? [lo, hi] : [lo, lo + 1];
}

function fitScale(text: string, width: number, max: number): number {
  for (let s = max; s > 1; s--) if (textWidth(text, s) + 8 <= width) return s;
  return 1;
}

/** Renders the acquired slice `slice` of the display series as a key image (caption + "SLICE k/n"). */
export function renderKeyImage(findings: Findings, segments: readonly SegmentSpec[], slice: number, caption: string): RgbImage {
  const ref = findings.referenceSeries;
  const raster = planeRaster(ref, { axis: 2, index: slice, voxels: 0 });
  return renderPlaneImage(findings, segments, raster, `${caption} SLICE ${slice + 1}/${ref.dims[2]}`);
}

/**
 * Renders one plane of the display series as a key image: upscaled (nearest neighbour, integer factor) so text stays
 * legible on small matrices, with a black band above (banner) and below (caption + legend).
 */
export function renderPlaneImage(findings: Findings, segments: readonly SegmentSpec[], raster: PlaneRaster, text: string): RgbImage {
  const ref = findings.referenceSeries;
  const labelmap = findings.segmentation!.labelmap.data;
  const { width: cols, height: rows } = raster;
  const scale = Math.max(1, Math.min(8, Math.ceil(384 / Math.max(cols, rows))));
  const width = cols * scale;
  const textScale = Math.max(1, Math.min(3, Math.floor(width / 240)));
  const band = (GLYPH_HEIGHT + 4) * textScale + 4;
  const height = rows * scale + 3 * band;
  const img: RgbImage = { width, height, data: new Uint8Array(width * height * 3) };

  // Colour of each label value: plain segments only (composites overlap them).
  const colour = new Map<number, [number, number, number]>();
  for (const s of segments) if (s.labelValues.length === 1) colour.set(s.labelValues[0]!, dicomLabToRgb(s.cielab));

  const index = new Int32Array(cols * rows);
  for (let y = 0; y < rows; y++) for (let x = 0; x < cols; x++) index[y * cols + x] = raster.voxel(x, y);
  const [lo, hi] = window(Array.from(index, (i) => ref.data[i]!));
  const labelAt = (x: number, y: number): number => labelmap[index[y * cols + x]!]!;
  const top = band;
  for (let j = 0; j < rows; j++) {
    for (let i = 0; i < cols; i++) {
      const idx = index[j * cols + i]!;
      const g = Math.max(0, Math.min(255, Math.round(((ref.data[idx]! - lo) / (hi - lo)) * 255)));
      const label = labelmap[idx]!;
      let rgb: [number, number, number] = [g, g, g];
      const c = label ? colour.get(label) : undefined;
      if (c) {
        const edge =
          (i > 0 && labelAt(i - 1, j) !== label) || (i < cols - 1 && labelAt(i + 1, j) !== label) ||
          (j > 0 && labelAt(i, j - 1) !== label) || (j < rows - 1 && labelAt(i, j + 1) !== label);
        const a = edge ? 1 : 0.35;
        rgb = [Math.round(g * (1 - a) + c[0] * a), Math.round(g * (1 - a) + c[1] * a), Math.round(g * (1 - a) + c[2] * a)];
      }
      for (let dy = 0; dy < scale; dy++) {
        let o = ((top + j * scale + dy) * width + i * scale) * 3;
        for (let dx = 0; dx < scale; dx++, o += 3) {
          img.data[o] = rgb[0];
          img.data[o + 1] = rgb[1];
          img.data[o + 2] = rgb[2];
        }
      }
    }
  }
  const yellow: [number, number, number] = [255, 210, 0];
  const white: [number, number, number] = [235, 235, 235];
  drawText(img, RESEARCH_BANNER, 4, 4, fitScale(RESEARCH_BANNER, width, textScale), yellow);
  drawText(img, text, 4, top + rows * scale + 4, fitScale(text, width, textScale), white);
  // Legend: "NCR ED ET" in their colours.
  let x = 4;
  const legendScale = textScale;
  for (const s of segments) {
    if (s.labelValues.length !== 1) continue;
    drawText(img, s.key, x, top + rows * scale + band + 4, legendScale, dicomLabToRgb(s.cielab));
    x += textWidth(`${s.key} `, legendScale);
  }
  return img;
}
