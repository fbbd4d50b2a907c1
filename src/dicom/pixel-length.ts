/**
 * How many bytes native (uncompressed) Pixel Data must hold, and the one message that names a shortfall. The store
 * refuses such an instance at receipt; WADO-RS and the volume builder use the same rule for an instance an older
 * node version stored. Pure functions.
 */

/** The Image Pixel module attributes that fix the size of native Pixel Data. */
export interface PixelGeometry {
  rows?: number;
  columns?: number;
  samplesPerPixel?: number;
  bitsAllocated?: number;
  numberOfFrames?: number;
  photometricInterpretation?: string;
}

/**
 * Bytes that Rows × Columns × SamplesPerPixel × BitsAllocated × NumberOfFrames need (PS3.5 8.1.1, 8.2): 1-bit data
 * is packed across frames, YBR_FULL_422 stores two samples per pixel. Undefined when the attributes needed are
 * missing or not positive (nothing to check).
 */
export function expectedPixelDataBytes(g: PixelGeometry): number | undefined {
  const { rows, columns, bitsAllocated } = g;
  if (!isPositive(rows) || !isPositive(columns) || !isPositive(bitsAllocated)) return undefined;
  const frames = isPositive(g.numberOfFrames) ? Math.floor(g.numberOfFrames) : 1;
  const samples = isPositive(g.samplesPerPixel) ? g.samplesPerPixel : 1;
  const perPixel = g.photometricInterpretation?.trim() === 'YBR_FULL_422' ? 2 : samples;
  const bits = rows * columns * perPixel * frames * bitsAllocated;
  return bitsAllocated === 1 ? Math.ceil(bits / 8) : bits / 8;
}

/** The reason text when `actual` bytes of native Pixel Data are fewer than the geometry needs; undefined when enough. */
export function shortPixelDataMessage(g: PixelGeometry, actual: number): string | undefined {
  const expected = expectedPixelDataBytes(g);
  if (expected === undefined || actual >= expected) return undefined;
  const frames = isPositive(g.numberOfFrames) ? Math.floor(g.numberOfFrames) : 1;
  return (
    `Pixel Data holds ${actual} bytes, fewer than the ${expected} that Rows ${g.rows} × Columns ${g.columns} × ` +
    `SamplesPerPixel ${g.samplesPerPixel ?? 1} × BitsAllocated ${g.bitsAllocated} × NumberOfFrames ${frames} need`
  );
}

function isPositive(n: number | undefined): n is number {
  return typeof n === 'number' && Number.isFinite(n) && n > 0;
}
