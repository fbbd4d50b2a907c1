/**
 * VASARI-style features derived from the segmentation geometry and the T2/FLAIR intensities, without an atlas.
 * Implemented: F2 side, F5 proportion enhancing, F6+F7 proportion non-enhancing core/necrosis (one label in our
 * models), F9 multifocality, F14 proportion oedema, F22/F23 midline crossing (non-enhancing / enhancing), and the
 * T2-FLAIR mismatch sign (not a VASARI item). Not implemented (need an atlas or reader judgement): F1 location,
 * F3 eloquent cortex, F4 enhancement quality, F8 cysts, F10-F13, F16-F21, F24-F30.
 * Codes follow the VASARI feature guide (TCIA VASARI Research Project): proportions 1 n/a, 2 none (0%),
 * 3 <5%, 4 6-33%, 5 34-67%, 6 68-95%, 7 >95%, 8 all (100%); yes/no items 2 no, 3 yes; side 1 right, 2 centre or
 * bilateral, 3 left.
 */
import type { RadiomicFeature, RegionKey } from './findings';
import type { Vec3 } from '../imaging/volume';
import { connectedComponents } from './postprocess';

export interface VasariInput {
  dims: Vec3;
  spacing: Vec3;
  labels: Uint8Array;
  /** Label values of the glioma segments in this label map. */
  segments: { NCR?: number; ED?: number; ET?: number };
  t2?: Float32Array;
  flair?: Float32Array;
  /**
   * Midsagittal plane as a grid index along i, when the grid is patient-aligned (LPS: +i = patient left) and
   * centred on the head centroid; absent otherwise (side and midline items are then not reported).
   */
  midline?: { i: number; plusIIsLeft: boolean };
  /** Components smaller than this are ignored for multifocality. */
  minComponentVoxels?: number;
}

/** VASARI proportion code for a fraction p in [0, 1]. */
export function proportionCode(p: number | undefined): number {
  if (p === undefined || Number.isNaN(p)) return 1;
  if (p <= 0) return 2;
  if (p <= 0.05) return 3;
  if (p <= 0.33) return 4;
  if (p <= 0.67) return 5;
  if (p <= 0.95) return 6;
  if (p < 1) return 7;
  return 8;
}

/** Voxels of the mask at least `depth` voxels (6-connected erosion steps) inside its boundary. */
export function erode(mask: Uint8Array, dims: Vec3, depth: number): Uint8Array {
  const [nx, ny, nz] = dims;
  let cur = mask;
  for (let d = 0; d < depth; d++) {
    const next = new Uint8Array(cur.length);
    for (let z = 0, v = 0; z < nz; z++)
      for (let y = 0; y < ny; y++)
        for (let x = 0; x < nx; x++, v++) {
          if (!cur[v]) continue;
          if (x === 0 || y === 0 || z === 0 || x === nx - 1 || y === ny - 1 || z === nz - 1) continue;
          if (cur[v - 1] && cur[v + 1] && cur[v - nx] && cur[v + nx] && cur[v - nx * ny] && cur[v + nx * ny]) next[v] = 1;
        }
    cur = next;
  }
  return cur;
}

function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function vasariFeatures(input: VasariInput): RadiomicFeature[] {
  const { labels, segments: seg, dims } = input;
  const out: RadiomicFeature[] = [];
  // A value that cannot be assessed (a proportion of an empty region) is left out, not written as 0 or NaN; its
  // VASARI code says "n/a" (1).
  const add = (region: RegionKey, name: string, value: number, unit?: string): void => {
    if (!Number.isFinite(value)) return;
    out.push({ region, family: 'vasari', name, value, ...(unit ? { unit } : {}) });
  };
  let nNCR = 0, nED = 0, nET = 0;
  for (const l of labels) {
    if (l === seg.NCR) nNCR++;
    else if (l === seg.ED) nED++;
    else if (l === seg.ET) nET++;
  }
  const tc = nNCR + nET;
  const wt = tc + nED;
  const pET = tc ? nET / tc : undefined;
  const pNCR = tc ? nNCR / tc : undefined;
  const pED = wt ? nED / wt : undefined;
  add('ET', 'F5_proportion_enhancing', pET ?? NaN, 'fraction of TC');
  add('ET', 'F5_proportion_enhancing_code', proportionCode(pET));
  add('NCR', 'F6F7_proportion_ncet_necrosis', pNCR ?? NaN, 'fraction of TC');
  add('NCR', 'F6F7_proportion_ncet_necrosis_code', proportionCode(pNCR));
  add('ED', 'F14_proportion_oedema', pED ?? NaN, 'fraction of WT');
  add('ED', 'F14_proportion_oedema_code', proportionCode(pED));

  const wtMask = Uint8Array.from(labels, (l) => (l && (l === seg.NCR || l === seg.ED || l === seg.ET) ? 1 : 0));
  const comps = connectedComponents(wtMask, dims, 26).sizes.filter((s) => s >= (input.minComponentVoxels ?? 1));
  add('WT', 'F9_component_count', comps.length);
  add('WT', 'F9_multifocal_code', wt ? (comps.length > 1 ? 3 : 2) : 1);

  if (input.midline && wt) {
    const { i: mid, plusIIsLeft } = input.midline;
    // A region crosses when it reaches at least 3 mm beyond the plane on both sides.
    const margin = Math.max(1, Math.ceil(3 / input.spacing[0]));
    const sides = (sel: (l: number) => boolean): { left: number; right: number; comI: number } => {
      let lo = 0, hi = 0, sum = 0, n = 0;
      for (let z = 0, v = 0; z < dims[2]; z++)
        for (let y = 0; y < dims[1]; y++)
          for (let x = 0; x < dims[0]; x++, v++) {
            if (!sel(labels[v]!)) continue;
            if (x <= mid - margin) lo++;
            if (x >= mid + margin) hi++;
            sum += x;
            n++;
          }
      return plusIIsLeft ? { left: hi, right: lo, comI: n ? sum / n : NaN } : { left: lo, right: hi, comI: n ? sum / n : NaN };
    };
    const nonEnh = sides((l) => l !== 0 && (l === seg.NCR || l === seg.ED));
    const enh = sides((l) => l !== 0 && l === seg.ET);
    add('WT', 'F22_ncet_crosses_midline_code', nonEnh.left && nonEnh.right ? 3 : 2);
    add('ET', 'F23_enhancing_crosses_midline_code', nET ? (enh.left && enh.right ? 3 : 2) : 1);
    const all = sides((l) => l !== 0 && (l === seg.NCR || l === seg.ED || l === seg.ET));
    const bilateral = all.left > 0.1 * wt && all.right > 0.1 * wt;
    const offsetMm = (all.comI - mid) * input.spacing[0] * (plusIIsLeft ? 1 : -1); // + = towards patient left
    add('WT', 'F2_side_code', bilateral || Math.abs(offsetMm) < 5 ? 2 : offsetMm > 0 ? 3 : 1);
    add('WT', 'centroid_offset_from_midline', offsetMm, 'mm (+ = left)');
  }

  if (input.t2 && input.flair && wt) {
    // T2-FLAIR mismatch: lesion core bright on T2 but suppressed on FLAIR, with a FLAIR-bright rim (IDH-mutant
    // astrocytoma sign). On normalised intensities: core = WT eroded by 2 voxels, rim = the rest of WT.
    const core = erode(wtMask, dims, 2);
    const coreFlair: number[] = [];
    const rimFlair: number[] = [];
    let mismatched = 0;
    let nCore = 0;
    for (let v = 0; v < wtMask.length; v++) {
      if (!wtMask[v]) continue;
      if (core[v]) {
        nCore++;
        coreFlair.push(input.flair[v]!);
        if (input.t2[v]! > 1 && input.t2[v]! - input.flair[v]! > 1) mismatched++;
      } else {
        rimFlair.push(input.flair[v]!);
      }
    }
    const index = nCore ? mismatched / nCore : NaN; // no core left after erosion: not assessable
    const rimContrast = median(rimFlair) - median(coreFlair);
    add('WT', 'T2FLAIR_mismatch_index', index, 'fraction of core');
    add('WT', 'T2FLAIR_rim_minus_core_flair', rimContrast, 'normalised units');
    add('WT', 'T2FLAIR_mismatch_sign', index >= 0.5 && rimContrast > 0.5 && (pET ?? 0) <= 0.05 ? 1 : 0);
  }
  return out;
}
