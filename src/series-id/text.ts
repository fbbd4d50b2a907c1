/**
 * Free-text normalisation for SeriesDescription / ProtocolName, and a tiny keyword matcher.
 *
 * `norm` is upper case, without diacritics, with separators (_ - . / ( ) : etc.) turned into single spaces and
 * padded with one space at each end; `+` and `*` are kept because they carry meaning ("T1+C", "T2*").
 * Keyword patterns use `w()` so that "POST" does not match POSTERIOR and "LOC" does not match BLOCK.
 */

export interface SeriesText {
  /** The original string, for reasons. */
  raw: string;
  /** Upper case, diacritics removed, vendor prefixes/suffixes removed, separators kept ("-K" is meaningful). */
  upper: string;
  /** `upper` with separators collapsed to single spaces, padded: " AX T1 POST ". */
  norm: string;
  /** GE `PU:` (PURE) / `SC:` (SCENIC) intensity-corrected copy of another series. */
  intensityCorrectedCopy: boolean;
  /** A processed copy (e.g. UPENN-GBM ": Processed_CaPTk"). */
  processedCopy: boolean;
  /** Siemens `_ND` suffix: the copy without distortion correction. */
  nonDistortionCorrected: boolean;
}

const SEPARATORS = /[_\-.,:;/\\()[\]{}<>|"'=~#!?&^%$@`]+/g;

/** Upper case without diacritics (é → E, ü → U); letters without a decomposition (ø, ß) stay as they are. */
export function foldCase(s: string): string {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toUpperCase();
}

export function normaliseText(raw: string | undefined): SeriesText {
  const original = (raw ?? '').trim();
  let upper = foldCase(original).replace(/\s+/g, ' ').trim();
  let intensityCorrectedCopy = false;
  let processedCopy = false;
  const prefix = /^(PU|SC)\s*:\s*/.exec(upper);
  if (prefix) {
    intensityCorrectedCopy = true;
    upper = upper.slice(prefix[0].length);
  }
  upper = upper.replace(/^POSDISP\s*:\s*\[\d+\]\s*/, '');
  const processed = /\s*:\s*PROCESSED[_ ]?\w*\s*$/.exec(upper);
  if (processed) {
    processedCopy = true;
    upper = upper.slice(0, processed.index);
  }
  const nonDistortionCorrected = /[_ ]ND$/.test(upper);
  const norm = ` ${upper.replace(SEPARATORS, ' ').replace(/\s+/g, ' ').trim()} `;
  return { raw: original, upper, norm, intensityCorrectedCopy, processedCopy, nonDistortionCorrected };
}

/** Whole-"word" pattern: not preceded or followed by a letter or digit. */
export function w(pattern: string): RegExp {
  return new RegExp(`(?<![A-Z0-9])(?:${pattern})(?![A-Z0-9])`);
}

/** A named keyword pattern: the name says in a reason what the match means. */
export interface Keyword {
  re: RegExp;
  /** What a match means, e.g. "post-contrast word". */
  means: string;
}

/** The first keyword that matches `text`, with the matched text; undefined when none does. */
export function firstMatch(text: string, keywords: readonly Keyword[]): { keyword: Keyword; match: string } | undefined {
  for (const keyword of keywords) {
    const m = keyword.re.exec(text);
    if (m) return { keyword, match: m[0].trim() };
  }
  return undefined;
}

/** "'POST' (post-contrast word)". */
export function describeMatch(hit: { keyword: Keyword; match: string }): string {
  return `'${hit.match}' (${hit.keyword.means})`;
}
