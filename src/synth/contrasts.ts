/**
 * Relative MR signal per tissue compartment and per weighting, and the synthesis of a weighting on the anatomy grid
 * from the compartment fractions. Values are relative to white matter on T1 (= 1) and follow the textbook appearance
 * at 1.5-3 T (docs/synthetic-data.md, "Contrasts"):
 *   T1 (MPRAGE-like):  WM > GM > CSF; oedema and tumour hypointense; calcification dark.
 *   T1ce:              T1 + enhancement of enhancing tumour, dura, venous sinuses and choroid plexus.
 *   T2 (TSE):          CSF > oedema/tumour > GM > WM, with oedema and non-enhancing tumour clearly bright (about
 *                      2.5x white matter, as PD * exp(-TE/T2) gives for T2 ~ 200 ms vs 75 ms at TE ~ 100 ms);
 *                      calcification dark.
 *   FLAIR:             CSF suppressed; oedema and tumour bright; GM > WM; the IDH-mutant astrocytoma
 *                      "T2-FLAIR mismatch" core is relatively hypointense.
 *   T2* (SWI/GRE):     calcification and blood products dark.
 *   DWI b0 / ADC:      ADC high in CSF, necrosis and oedema, low in cellular enhancing tumour.
 *   CBV (DSC):         enhancing GBM/metastasis rim high, IDH-mutant astrocytoma low.
 * Per case every value is jittered (log-normal) while keeping the orderings above, so that a model cannot memorise
 * one intensity set.
 */
import type { TissueMaps } from './anatomy';
import type { TumourFields } from './tumour';
import type { Rng } from './random';

export const WEIGHTINGS = ['t1', 't1ce', 't2', 'flair', 't2star', 'b0', 'adc', 'cbv'] as const;
export type Weighting = (typeof WEIGHTINGS)[number];

export type SignalRow = Record<Weighting, number>;

/** What can be synthesised: the table's weightings plus the b = 1000 s/mm2 diffusion-weighted trace image. */
export type SynthWeighting = Weighting | 'b1000';

/** Signal of one compartment row for a weighting (b1000 = b0 * exp(-b * ADC), ADC in 1e-3 mm2/s). */
export function rowSignal(r: SignalRow, w: SynthWeighting): number {
  return w === 'b1000' ? r.b0 * Math.exp(-r.adc) : r[w];
}

/** Compartments whose signal the tables define. `soft` rows are multiplied by the soft tissue's T1 brightness. */
export const COMPARTMENTS = ['csf', 'gm', 'wm', 'bone', 'soft', 'ed', 'ncr', 'et', 'net', 'calc'] as const;
export type Compartment = (typeof COMPARTMENTS)[number];

export type SignalTable = Record<Compartment, SignalRow> & {
  /** Extra T1ce (and CBV) signal of dura, venous sinus and choroid plexus. */
  enhancement: { dura: number; sinus: number; choroid: number; duraCbv: number; sinusCbv: number; choroidCbv: number };
  /** Fraction of the normal tissue signal oedema replaces (the rest of the anatomy shows through). */
  oedemaStrength: number;
  /** Texture amplitude (relative) per tumour compartment. */
  texture: { ed: number; ncr: number; et: number; net: number };
};

const row = (t1: number, t1ce: number, t2: number, flair: number, t2star: number, b0: number, adc: number, cbv: number): SignalRow => ({
  t1, t1ce, t2, flair, t2star, b0, adc, cbv,
});

/** Normal tissue. `soft` is per unit of soft-tissue T1 brightness (handled specially, see softSignal). */
export const NORMAL_TISSUE: Record<'csf' | 'gm' | 'wm' | 'bone', SignalRow> = {
  //            t1    t1ce  t2    flair t2*   b0    adc   cbv
  csf: row(0.22, 0.22, 1.0, 0.06, 1.0, 1.0, 3.0, 0),
  gm: row(0.68, 0.7, 0.44, 0.62, 0.62, 0.55, 0.85, 1.0),
  wm: row(1.0, 1.0, 0.28, 0.48, 0.5, 0.42, 0.72, 0.45),
  bone: row(0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0, 0),
};

/** Tumour compartments by phenotype variant. */
export const TUMOUR_SIGNAL = {
  oedema: row(0.62, 0.64, 0.82, 0.95, 0.78, 0.75, 1.45, 0.35),
  necrosisGbm: row(0.3, 0.32, 0.88, 0.55, 0.45, 0.85, 2.2, 0.05),
  necrosisMet: row(0.32, 0.34, 0.85, 0.5, 0.5, 0.8, 2.0, 0.05),
  enhancingGbm: row(0.62, 1.75, 0.56, 0.78, 0.55, 0.6, 1.0, 3.2),
  enhancingMet: row(0.6, 1.75, 0.54, 0.72, 0.55, 0.6, 0.95, 2.5),
  enhancingOligo: row(0.55, 1.2, 0.66, 0.85, 0.6, 0.7, 1.05, 2.0),
  coreAstroMismatch: row(0.48, 0.49, 0.88, 0.5, 0.85, 0.88, 1.55, 0.55),
  coreAstro: row(0.5, 0.51, 0.8, 0.88, 0.8, 0.8, 1.35, 0.6),
  coreOligo: row(0.55, 0.57, 0.72, 0.82, 0.7, 0.72, 1.1, 1.5),
  calcification: row(0.28, 0.28, 0.12, 0.15, 0.05, 0.12, 0.6, 0.1),
  // Fluid-filled cystic core (training variety 'cystic'): near-CSF signal, partly suppressed on FLAIR (protein).
  cyst: row(0.26, 0.27, 0.96, 0.22, 0.9, 0.92, 2.7, 0.02),
} as const satisfies Record<string, SignalRow>;

export type TumourSignalVariant = keyof typeof TUMOUR_SIGNAL;

/** Soft tissue (scalp, fat, muscle) signal given its T1 brightness s: fat stays bright on fast spin echo. */
export function softSignal(w: SynthWeighting, s: number): number {
  switch (w) {
    case 'b1000':
      return 0.08 * Math.exp(-1);
    case 't1':
      return s;
    case 't1ce':
      return s * 1.04;
    case 't2':
      // Fat (s > 1) stays bright on fast spin echo; muscle (s ~ 0.6, short T2) is darker than white matter.
      return Math.max(0.05, 0.65 * s - 0.25);
    case 'flair':
      return 0.08 + 0.33 * s;
    case 't2star':
      return 0.12 + 0.25 * s;
    case 'b0':
      return 0.08; // EPI with fat saturation
    case 'adc':
      return 1.0;
    case 'cbv':
      return 0.3;
  }
}

export interface TumourSignalChoice {
  ncr: TumourSignalVariant;
  et: TumourSignalVariant;
  net: TumourSignalVariant;
  texture: { ed: number; ncr: number; et: number; net: number };
}

/** The base table for a case: normal tissue plus the phenotype's tumour variants. */
export function baseTable(choice: TumourSignalChoice): SignalTable {
  return {
    ...NORMAL_TISSUE,
    soft: row(1, 1, 1, 1, 1, 1, 1, 1),
    ed: { ...TUMOUR_SIGNAL.oedema },
    ncr: { ...TUMOUR_SIGNAL[choice.ncr] },
    et: { ...TUMOUR_SIGNAL[choice.et] },
    net: { ...TUMOUR_SIGNAL[choice.net] },
    calc: { ...TUMOUR_SIGNAL.calcification },
    enhancement: { dura: 0.22, sinus: 0.8, choroid: 0.6, duraCbv: 1.0, sinusCbv: 6, choroidCbv: 2.5 },
    oedemaStrength: 0.85,
    texture: { ...choice.texture },
  };
}

/** Orderings every jittered table must keep (the published appearance the tests check). */
export function tableKeepsOrderings(t: SignalTable): boolean {
  const { csf, gm, wm } = t;
  return (
    wm.t1 > gm.t1 * 1.12 && gm.t1 > csf.t1 * 1.6 &&
    csf.t2 > gm.t2 * 1.25 && gm.t2 > wm.t2 * 1.08 &&
    gm.flair > wm.flair * 1.06 && wm.flair > csf.flair * 3 &&
    t.et.t1ce > wm.t1ce * 1.08 &&
    t.ed.flair > gm.flair * 1.15 && t.ed.t2 > gm.t2 * 1.4 && t.ed.t2 > wm.t2 * 2 && csf.t2 > t.ed.t2 * 1.08 &&
    t.ed.t1 < wm.t1 * 0.85 &&
    t.calc.t2 < wm.t2 * 0.6 && t.calc.t1 < gm.t1 * 0.7
  );
}

/**
 * Per-case log-normal jitter (sd `sd`, default 7 %) of every value, redrawn until the orderings hold (the
 * un-jittered table is the fallback; it satisfies them).
 */
export function jitterTable(base: SignalTable, rng: Rng, sd = 0.07): SignalTable {
  for (let attempt = 0; attempt < 50; attempt++) {
    const t = structuredClone(base);
    for (const c of COMPARTMENTS) {
      if (c === 'soft' || c === 'bone') continue;
      for (const w of WEIGHTINGS) t[c][w] = base[c][w] * Math.exp(sd * rng.normal());
    }
    t.oedemaStrength = Math.min(0.95, Math.max(0.7, base.oedemaStrength + 0.07 * rng.normal()));
    t.enhancement.dura *= Math.exp(0.2 * rng.normal());
    t.enhancement.choroid *= Math.exp(0.2 * rng.normal());
    if (tableKeepsOrderings(t)) return t;
  }
  return structuredClone(base);
}

/**
 * One weighting on the anatomy grid: per voxel, the fraction-weighted sum of compartment signals. Oedema replaces
 * `oedemaStrength` of the normal tissue signal; tumour compartments replace tissue outright and carry texture.
 * For 'adc' the mixture is of ADC values (a mixed voxel has an intermediate ADC), for 'cbv' of blood volumes;
 * 'b1000' mixes each compartment's own attenuated signal (the physically right multi-compartment model).
 */
export function synthesise(maps: TissueMaps, fields: TumourFields | null, t: SignalTable, w: SynthWeighting): Float32Array {
  const n = maps.csf.length;
  const out = new Float32Array(n);
  const vc = rowSignal(t.csf, w);
  const vg = rowSignal(t.gm, w);
  const vw = rowSignal(t.wm, w);
  const vb = rowSignal(t.bone, w);
  const enh = w === 't1ce' ? [t.enhancement.dura, t.enhancement.sinus, t.enhancement.choroid]
    : w === 'cbv' ? [t.enhancement.duraCbv, t.enhancement.sinusCbv, t.enhancement.choroidCbv]
    : null;
  const s = t.oedemaStrength;
  const ved = rowSignal(t.ed, w);
  const vn = rowSignal(t.ncr, w);
  const ve = rowSignal(t.et, w);
  const vt = rowSignal(t.net, w);
  const vk = rowSignal(t.calc, w);
  const tx = t.texture;
  const { csf, gm, wm, soft, softT1, bone, dura, sinus, choroid } = maps;
  for (let i = 0; i < n; i++) {
    let normal = csf[i]! * vc + gm[i]! * vg + wm[i]! * vw + bone[i]! * vb;
    const sf = soft[i]!;
    if (sf > 0) normal += sf * softSignal(w, softT1[i]!);
    if (enh) normal += dura[i]! * enh[0]! + sinus[i]! * enh[1]! + choroid[i]! * enh[2]!;
    if (!fields) {
      out[i] = normal;
      continue;
    }
    const ed = fields.ed[i]! / 255;
    const ncr = fields.ncr[i]! / 255;
    const et = fields.et[i]! / 255;
    const net = fields.net[i]! / 255;
    const calc = fields.calc[i]! / 255;
    const tum = Math.min(1, ncr + et + net + calc);
    if (tum === 0 && ed === 0) {
      out[i] = normal;
      continue;
    }
    const h = fields.texture[i]! / 127;
    const edMix = s * ed;
    const tissue = (1 - edMix) * normal + edMix * ved * (1 + tx.ed * h);
    out[i] =
      (1 - tum) * tissue +
      ncr * vn * (1 + tx.ncr * h) +
      et * ve * (1 + tx.et * h) +
      net * vt * (1 + tx.net * h) +
      calc * vk;
  }
  return out;
}
