/**
 * Vendor private tags, read by private creator (never by a fixed element number: the block xx in (gggg,xxee) is
 * assigned per file). dcmjs keeps unknown tags under their 8-hex-digit key; values are strings/numbers when the VR
 * was explicit and ArrayBuffers when it was UN or implicit, so both are decoded here.
 */
import type { NaturalDataset } from '../dicom/p10';

function decodeValue(v: unknown): unknown[] {
  const arr = Array.isArray(v) ? v : [v];
  const out: unknown[] = [];
  for (const x of arr) {
    if (x instanceof ArrayBuffer || ArrayBuffer.isView(x)) {
      const bytes = x instanceof ArrayBuffer ? new Uint8Array(x) : new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
      const text = Buffer.from(bytes).toString('latin1').replace(/\0+$/, '');
      out.push(...text.split('\\').map((s) => s.trim()));
    } else if (x != null) {
      out.push(typeof x === 'string' ? x.trim() : x);
    }
  }
  return out;
}

/** The element key (gggg xx ee) for `creator`'s block in `group`, or undefined when the creator is absent. */
function privateKey(ds: NaturalDataset, group: string, creator: string, element: string): string | undefined {
  const want = creator.trim().toUpperCase();
  for (let block = 0x10; block <= 0xff; block++) {
    const bb = block.toString(16).toUpperCase().padStart(2, '0');
    const v = decodeValue(ds[`${group}00${bb}`] ?? ds[`${group.toLowerCase()}00${bb.toLowerCase()}`]);
    if (v.length && String(v[0]).trim().toUpperCase() === want) return `${group}${bb}${element}`.toUpperCase();
  }
  return undefined;
}

/** All values of a private element, decoded; [] when the creator or element is absent. */
export function privateValues(ds: NaturalDataset, group: string, creator: string, element: string): unknown[] {
  const key = privateKey(ds, group, creator, element);
  if (!key) return [];
  return decodeValue(ds[key] ?? ds[key.toLowerCase()]);
}

export function privateString(ds: NaturalDataset, group: string, creator: string, element: string): string | undefined {
  const v = privateValues(ds, group, creator, element);
  const s = v.length ? String(v[0]).trim() : '';
  return s || undefined;
}

export function privateNumber(ds: NaturalDataset, group: string, creator: string, element: string): number | undefined {
  const v = privateValues(ds, group, creator, element);
  const n = v.length ? Number(v[0]) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** GE (0019,xx9C) pulse sequence name, e.g. "fse-xl", "efgre3d". */
export function gePulseSequenceName(ds: NaturalDataset): string | undefined {
  return privateString(ds, '0019', 'GEMS_ACQU_01', '9C');
}

/** GE (0019,xx9E) internal pulse sequence name, e.g. "EFGRE3D", "CubeT2flair", "MP-RAGE". */
export function geInternalPulseSequenceName(ds: NaturalDataset): string | undefined {
  return privateString(ds, '0019', 'GEMS_ACQU_01', '9E');
}

/**
 * GE (0043,xx39) slop_int_6..9: the first value is the b-value, sometimes offset by 1e9 (a flag in the high
 * digits on some software versions).
 */
export function geBValue(ds: NaturalDataset): number | undefined {
  const b = privateNumber(ds, '0043', 'GEMS_PARM_01', '39');
  if (b == null) return undefined;
  return b >= 1e9 ? b % 1e9 : b;
}

/** Philips (2001,xx03) DiffusionBValue. */
export function philipsBValue(ds: NaturalDataset): number | undefined {
  return privateNumber(ds, '2001', 'Philips Imaging DD 001', '03');
}

/** Philips (2001,xx20) ScanningTechnique, e.g. "T1TFE", "TSE", "IR", "FFE". */
export function philipsScanningTechnique(ds: NaturalDataset): string | undefined {
  return privateString(ds, '2001', 'Philips Imaging DD 001', '20');
}
