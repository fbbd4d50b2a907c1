/** Internal types shared by the rule files. The public result types live in classify.ts. */
import type { SeriesDescriptor } from './series-descriptor';
import type { SeriesText } from './text';
import type { FieldBand, Vendor } from './vendor';

/** What a series' image contrast is, before T1 vs T1ce is decided. Only T1, T2 and FLAIR are model inputs. */
export type BaseContrast = 'T1' | 'T2' | 'FLAIR' | 'PD' | 'STIR' | 'T2STAR' | 'DIFFUSION' | 'PERFUSION' | 'ANGIO' | 'OTHER';

export const MODEL_CONTRASTS: readonly BaseContrast[] = ['T1', 'T2', 'FLAIR'];

/** Where an opinion came from, in cascade order. */
export type OpinionSource = 'structured' | 'vendor-sequence' | 'keywords' | 'physics' | 'convention';

/** One source's view of the base contrast. */
export interface Opinion {
  contrast: BaseContrast;
  /** 0..1: how much this source alone would be trusted. */
  confidence: number;
  source: OpinionSource;
  /** Human-readable evidence, e.g. "description 'AX T1 POST': 'T1' (T1)". */
  reason: string;
  /** A FLAIR opinion that rests on a measured inversion time (can refine a plain T2 opinion). */
  byInversionTime?: boolean;
  /** Read from TR/TE/TI/flip: two such opinions are one piece of evidence, not two. */
  fromTimings?: boolean;
}

/** Broad pulse-sequence family from ScanningSequence / vendor names / Philips ImageType. */
export type SequenceFamily = 'SE' | 'IR' | 'GRE' | 'EPI';

/** Everything the rules need about one series, computed once. */
export interface SeriesContext {
  h: SeriesDescriptor;
  vendor: Vendor;
  tesla: number | undefined;
  band: FieldBand;
  /** SeriesDescription. */
  sd: SeriesText;
  /** ProtocolName when it says something about this series (not GE's exam name, not "anonymous", not = SD). */
  pn: SeriesText | undefined;
  /** The texts to read, description first. */
  texts: SeriesText[];
  family: SequenceFamily | undefined;
  /** Lower-case sequence name without the leading '*' (SequenceName, else PulseSequenceName). */
  sequence: string;
}

/** A rule that decided a series is not a model input. */
export interface Exclusion {
  /** Rule name, e.g. "diffusion". */
  kind: string;
  reason: string;
  confidence: number;
}
