/** Vendor and field strength, the two facts that change how names and physics are read. */
import type { SeriesDescriptor } from './series-descriptor';

export type Vendor = 'siemens' | 'ge' | 'philips' | 'canon' | 'other' | 'unknown';

export function vendorOf(manufacturer: string | undefined): Vendor {
  const m = (manufacturer ?? '').toUpperCase();
  if (!m.trim()) return 'unknown';
  if (m.includes('SIEMENS')) return 'siemens';
  if (/\bGE\b|GENERAL ELECTRIC|GE MEDICAL|GEMS/.test(m)) return 'ge';
  if (m.includes('PHILIPS')) return 'philips';
  if (/CANON|TOSHIBA/.test(m)) return 'canon';
  return 'other';
}

/** Scanner models whose field strength is known when the header lacks it (names seen in UPENN-GBM and elsewhere). */
const MODEL_FIELD: Array<[RegExp, number]> = [
  [/TRIO|VERIO|SKYRA|PRISMA|VIDA|MAGNETOM 7T|DISCOVERY MR750|MR750|SIGNA PREMIER|ARCHITECT|INGENIA 3|ACHIEVA 3|ACHIEVA TX|VANTAGE TITAN 3T|GALAN/i, 3],
  [/AVANTO|ESPREE|SYMPHONY|AERA|SOLA|AMIRA|ALTEA|SIGNA HDXT 1\.5|OPTIMA MR450|EXPLORER|ARTIST|INGENIA 1\.5|ACHIEVA 1\.5|VANTAGE TITAN|ORIAN/i, 1.5],
];

/** Tesla: the header value, else a known scanner model, else undefined. */
export function fieldStrength(h: SeriesDescriptor): number | undefined {
  if (h.magneticFieldStrength != null && h.magneticFieldStrength > 0) return h.magneticFieldStrength;
  if (h.imagingFrequency != null && h.imagingFrequency > 1) return Math.round((h.imagingFrequency / 42.577) * 10) / 10;
  const model = h.manufacturerModelName ?? '';
  for (const [re, t] of MODEL_FIELD) if (re.test(model)) return t;
  return undefined;
}

/** Field band for the physics ranges: relaxation times (and so sequence timings) differ between 1.5 T and 3 T. */
export type FieldBand = 'low' | 'high' | 'unknown';

export function fieldBand(tesla: number | undefined): FieldBand {
  if (tesla == null) return 'unknown';
  return tesla >= 2.2 ? 'high' : 'low';
}
