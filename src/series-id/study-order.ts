/**
 * Acquisition order within a study and the "contrast events" in it: the series that show contrast was given by
 * then (a DSC/DCE perfusion bolus, a series carrying ContrastBolusAgent, a series labelled post-contrast, the
 * ContrastBolusStartTime). A T1 acquired after the first event is post-contrast; before it, pre-contrast.
 */
import type { SeriesDescriptor, SeriesTimestamp } from './series-descriptor';
import { ASL_WORDS, BOLUS_PERFUSION_WORDS, NEGATIVE_CONTRAST_MINUS, NEGATIVE_CONTRAST_WORDS, POSITIVE_CONTRAST_WORDS } from './keywords';
import { describeMatch, firstMatch, type SeriesText } from './text';
import type { SeriesContext } from './types';

export interface OrderKey {
  time?: SeriesTimestamp;
  seriesNumber?: number;
}

export function orderKey(h: SeriesDescriptor): OrderKey {
  return { time: h.acquisitionStart ?? h.seriesTime, seriesNumber: h.seriesNumber };
}

const DAY = 86400;

/**
 * < 0 when a was acquired before b, > 0 after, undefined when it cannot be told. Times win over series numbers
 * (renumbered derived series, e.g. Siemens XA 1001/2001); without dates, a gap over 12 h is read as a midnight
 * roll-over.
 */
export function compareOrder(a: OrderKey, b: OrderKey): number | undefined {
  if (a.time && b.time && a.time.hasDate === b.time.hasDate) {
    let d = a.time.seconds - b.time.seconds;
    if (!a.time.hasDate && Math.abs(d) > DAY / 2) d = -Math.sign(d) * (DAY - Math.abs(d));
    if (d !== 0) return d;
  }
  if (a.seriesNumber != null && b.seriesNumber != null && a.seriesNumber !== b.seriesNumber) return a.seriesNumber - b.seriesNumber;
  return undefined;
}

/** ContrastBolusAgent values that mean "none" (BRAINSia list plus common variants). */
const NO_AGENT = /^(?:|NONE|NO|N|NIL|NULL|0|-+|NA|N\/A|UNKNOWN|NO ?CONTRAST|NO_CONTRAST|WITHOUT|NATIVE?|OHNE|NONE GIVEN)$/;

/** The agent when ContrastBolusAgent names one, undefined for "", "NONE", "no", "n", ... */
export function meaningfulAgent(value: string | undefined): string | undefined {
  const v = (value ?? '').trim();
  if (NO_AGENT.test(v.toUpperCase())) return undefined;
  if (firstMatch(` ${v.toUpperCase()} `, NEGATIVE_CONTRAST_WORDS)) return undefined;
  return v;
}

/** A negative contrast word ("PRE", "nativ", "ohne KM", "-K") in the text, described. */
export function negativeContrastWord(text: SeriesText): string | undefined {
  const hit = firstMatch(text.norm, NEGATIVE_CONTRAST_WORDS);
  if (hit) return describeMatch(hit);
  const minus = NEGATIVE_CONTRAST_MINUS.re.exec(text.upper);
  return minus ? `'${minus[0].trim()}' (${NEGATIVE_CONTRAST_MINUS.means})` : undefined;
}

export function positiveContrastWord(text: SeriesText): string | undefined {
  const hit = firstMatch(text.norm, POSITIVE_CONTRAST_WORDS);
  return hit ? describeMatch(hit) : undefined;
}

export interface ContrastEvent {
  seriesInstanceUid: string;
  seriesNumber?: number;
  description: string;
  /** Why this shows contrast had been given by then. */
  why: string;
  order: OrderKey;
}

export interface StudyContrastFacts {
  events: ContrastEvent[];
  /** ContrastBolusAgent is filled on every series (even the first): an exam-level value that says nothing per series. */
  agentOnEverySeries: boolean;
}

function isImageSeries(ctx: SeriesContext): boolean {
  const m = (ctx.h.modality ?? 'MR').toUpperCase();
  return m === 'MR' && !/neuro-onc-node/i.test(ctx.h.softwareVersions ?? '');
}

/** Collects the study's contrast events. */
export function studyContrastFacts(ctxs: readonly SeriesContext[]): StudyContrastFacts {
  const images = ctxs.filter(isImageSeries);
  const withAgent = images.filter((c) => meaningfulAgent(c.h.contrastBolusAgent));
  const agentOnEverySeries = images.length >= 3 && withAgent.length === images.length;
  const events: ContrastEvent[] = [];
  for (const ctx of images) {
    const h = ctx.h;
    const base = { seriesInstanceUid: h.seriesInstanceUid, seriesNumber: h.seriesNumber, description: h.seriesDescription ?? '', order: orderKey(h) };
    const agent = meaningfulAgent(h.contrastBolusAgent);
    if (agent && !agentOnEverySeries) events.push({ ...base, why: `ContrastBolusAgent '${agent}'` });
    if (h.contrastBolusStart) events.push({ ...base, order: { time: h.contrastBolusStart }, why: 'ContrastBolusStartTime' });
    for (const text of ctx.texts) {
      if (negativeContrastWord(text)) break;
      const asl = firstMatch(text.norm, ASL_WORDS);
      const bolus = !asl && firstMatch(text.norm, BOLUS_PERFUSION_WORDS);
      if (bolus) {
        events.push({ ...base, why: `contrast perfusion ${describeMatch(bolus)} (bolus injection)` });
        break;
      }
      const pos = positiveContrastWord(text);
      if (pos) {
        events.push({ ...base, why: `labelled post-contrast ${pos}` });
        break;
      }
    }
  }
  return { events, agentOnEverySeries };
}
