/**
 * Base contrast from vendor sequence names: Siemens SequenceName (`*tfl3d1_16ns`, `*tir2d1_21`, `*spcir_278ns`),
 * GE SequenceName / private pulse sequence names / ScanOptions (`efgre3d`, `CubeT2flair`, `T2FLAIR_GEMS`),
 * Philips PulseSequenceName / private ScanningTechnique (`T1TFE`, `TSE`, `IR`). Catalogue: the
 * NILS SequenceName list, SWANe and MagickBox.
 *
 * Names that do not fix the contrast on their own (a TSE can be T1, T2 or PD) hand over to the physics helpers with
 * the family they imply, so the reason still names the sequence.
 */
import { gradientEchoOpinion, inversionOpinion, LIMITS, spinEchoOpinion } from './physics';
import type { Opinion, SeriesContext } from './types';

const named = (contrast: Opinion['contrast'], reason: string, confidence = 0.85): Opinion => ({
  contrast,
  confidence,
  source: 'vendor-sequence',
  reason,
});

/** Siemens (0018,0024) SequenceName. */
export function siemensSequenceOpinion(ctx: SeriesContext): Opinion | null {
  const s = ctx.sequence;
  if (!s || (ctx.vendor !== 'siemens' && ctx.vendor !== 'unknown')) return null;
  const label = `Siemens sequence '${ctx.h.sequenceName ?? ctx.h.pulseSequenceName}'`;
  const h = ctx.h;
  if (/^tfl3d/.test(s)) return named('T1', `${label}: 3D turbo-FLASH (MPRAGE) → T1`);
  if (/^spcir/.test(s)) {
    const ir = inversionOpinion(h, ctx.band, label);
    if (ir && ir.contrast === 'T1') return { ...ir, source: 'vendor-sequence' };
    return named('FLAIR', `${label}: SPACE with inversion (3D dark-fluid) → FLAIR`, 0.85);
  }
  if (/^tir/.test(s)) {
    const ir = inversionOpinion(h, ctx.band, `${label} (turbo inversion recovery)`);
    return ir ? { ...ir, source: 'vendor-sequence', confidence: Math.max(ir.confidence, 0.8) } : null;
  }
  if (/^spc/.test(s)) {
    if (h.echoTime != null && h.echoTime >= 90) return named('T2', `${label}: SPACE with TE ${h.echoTime} ms → T2`, 0.8);
    const se = spinEchoOpinion(h, ctx.band, `${label}:`, 0.75);
    return se ? { ...se, source: 'vendor-sequence' } : null;
  }
  if (/^(tse|se|h2d|h3d)/.test(s)) {
    const se = spinEchoOpinion(h, ctx.band, `${label}:`, 0.8);
    return se ? { ...se, source: 'vendor-sequence' } : null;
  }
  if (/^fl[23]d/.test(s)) {
    const gre = gradientEchoOpinion(h, ctx.band, `${label} (FLASH):`, 0.7);
    return gre ? { ...gre, source: 'vendor-sequence' } : null;
  }
  return null;
}

/** GE: ScanOptions flags, then internal/pulse sequence names, then SequenceName. */
export function geSequenceOpinion(ctx: SeriesContext): Opinion | null {
  if (ctx.vendor !== 'ge') return null;
  const h = ctx.h;
  const opts = h.scanOptions ?? [];
  if (opts.includes('T2FLAIR_GEMS')) return named('FLAIR', 'GE ScanOptions T2FLAIR_GEMS → FLAIR');
  if (opts.includes('T1FLAIR_GEMS')) return named('T1', 'GE ScanOptions T1FLAIR_GEMS → T1-FLAIR is T1');
  const names = [h.geInternalPulseSequenceName, h.gePulseSequenceName, h.sequenceName].filter((x): x is string => !!x);
  const all = names.join(' ').toLowerCase();
  const label = `GE sequence '${names.join("' / '")}'`;
  if (!all) return null;
  if (/cubet2flair|cube ?flair/.test(all)) return named('FLAIR', `${label}: CUBE FLAIR → FLAIR`);
  if (/flair/.test(all)) {
    // GE calls both T1- and T2-FLAIR "flair": TE decides (NILS: T1-FLAIR TE < 40).
    if (h.echoTime != null && h.echoTime < LIMITS.t1IrTeMax) return named('T1', `${label} with TE ${h.echoTime} ms → T1-FLAIR is T1`, 0.8);
    return named('FLAIR', `${label} → FLAIR${h.inversionTime == null ? ' (no inversion time recorded, as on old GE)' : ''}`);
  }
  if (/efgre3d|bravo|mp-?rage|fspgr|irspgr|spgr/.test(all)) return named('T1', `${label}: 3D spoiled/IR-prepared gradient echo → T1`);
  if (/cube/.test(all)) {
    if (h.echoTime != null && h.echoTime >= 90) return named('T2', `${label}: CUBE with TE ${h.echoTime} ms → T2`, 0.8);
    if (h.echoTime != null && h.echoTime < LIMITS.shortTeMax) return named('T1', `${label}: CUBE with TE ${h.echoTime} ms → T1`, 0.75);
    return null;
  }
  if (/(^|\s)(fse|frfse|fsexl|fse-xl|fse_xl|propeller|se)/.test(all)) {
    const se = spinEchoOpinion(h, ctx.band, `${label}:`, 0.8);
    return se ? { ...se, source: 'vendor-sequence' } : null;
  }
  if (/fgre|gre|spgr/.test(all)) {
    const gre = gradientEchoOpinion(h, ctx.band, `${label}:`, 0.7);
    return gre ? { ...gre, source: 'vendor-sequence' } : null;
  }
  return null;
}

/** Philips: PulseSequenceName (Enhanced MR) or private ScanningTechnique. 3D TFE reports TR ≈ 7.6 ms and TI 0. */
export function philipsSequenceOpinion(ctx: SeriesContext): Opinion | null {
  if (ctx.vendor !== 'philips') return null;
  const h = ctx.h;
  const name = (h.pulseSequenceName ?? h.philipsScanningTechnique ?? '').toUpperCase().trim();
  if (!name) return null;
  const label = `Philips sequence '${name}'`;
  if (/FLAIR/.test(name)) return named('FLAIR', `${label} → FLAIR`);
  if (/^(T1)?TFE|T1FFE|T1_?TFE/.test(name)) return named('T1', `${label}: turbo field echo (TI reported as ${h.inversionTime ?? 'absent'}) → T1`);
  if (/IR/.test(name)) {
    const ir = inversionOpinion(h, ctx.band, label);
    return ir ? { ...ir, source: 'vendor-sequence' } : null;
  }
  if (/TSE|SE/.test(name)) {
    const se = spinEchoOpinion(h, ctx.band, `${label}:`, 0.8);
    return se ? { ...se, source: 'vendor-sequence' } : null;
  }
  if (/FFE/.test(name)) {
    const gre = gradientEchoOpinion(h, ctx.band, `${label}:`, 0.7);
    return gre ? { ...gre, source: 'vendor-sequence' } : null;
  }
  return null;
}

/** A vendor's sequence-name rule: an opinion when the vendor's names decide the contrast, else null. */
export interface VendorSequenceRule {
  vendor: string;
  opinion(ctx: SeriesContext): Opinion | null;
}

/**
 * The vendor rules, tried in this order; the first opinion wins (Siemens first: its rule also reads series of an
 * unknown vendor). Adding a vendor: write its rule and add one line here.
 */
export const VENDOR_SEQUENCE_RULES: readonly VendorSequenceRule[] = [
  { vendor: 'siemens', opinion: siemensSequenceOpinion },
  { vendor: 'ge', opinion: geSequenceOpinion },
  { vendor: 'philips', opinion: philipsSequenceOpinion },
];

/** The vendor-sequence step of the cascade: whichever vendor rule applies. */
export function vendorSequenceOpinion(ctx: SeriesContext): Opinion | null {
  for (const rule of VENDOR_SEQUENCE_RULES) {
    const opinion = rule.opinion(ctx);
    if (opinion) return opinion;
  }
  return null;
}
