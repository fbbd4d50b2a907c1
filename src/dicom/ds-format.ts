/**
 * Decimal String (DS) formatting: at most 16 characters per value (PS3.5 6.2). The writer uses the formatted value
 * for its own arithmetic too (e.g. rescale slope), so what a reader parses is exactly what the pixels were made with.
 */
export function formatDS(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`DS value ${x} is not finite`);
  if (Object.is(x, -0)) x = 0;
  const plain = String(x);
  if (plain.length <= 16) return plain;
  for (let p = 15; p >= 1; p--) {
    const s = String(Number(x.toPrecision(p)));
    if (s.length <= 16) return s;
  }
  return x.toExponential(6);
}

/** The number a reader gets back from formatDS(x). */
export function roundDS(x: number): number {
  return Number(formatDS(x));
}
