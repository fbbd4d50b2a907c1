/**
 * GET /ui/jobs/{id}/patient: the plain-language version for the patient (served only with http.pages.patientPage).
 * Large type, short sentences, no codes, no identifiers, no percentages without words; says what the program is,
 * what it guessed, how sure it is (one statement for the whole page, certaintyOf) and, just as prominently, what
 * the result is not. Every guess says in the same sentence that it comes from a research program that learned from
 * computer-made pictures and is not a diagnosis. Pure: JobResults in, HTML out.
 */
import type { Findings } from '../../ai/findings';
import { keySliceOf } from './key-image';
import { html, type SafeHtml } from './html';
import type { JobResults } from './job-results';
import { page } from './layout';
import { outlinedArea, overallSureness, plainGuess, sizeComparison } from '../../encoders/narrative/plain-language';

const PATIENT_BANNER = html`<strong>For research only.</strong> This result comes from a computer program that is still being tested.
It learned from computer-made pictures, not from real patients. It is not a diagnosis.`;

type Level = 'low' | 'moderate' | 'high';
const RANK: Record<Level, number> = { low: 0, moderate: 1, high: 2 };

/** The uncertainty a head's own confidence stands for (same thresholds as sureWords: 0.85 and 0.65). */
function headLevel(confidence: number): Level {
  return confidence >= 0.85 ? 'low' : confidence >= 0.65 ? 'moderate' : 'high';
}

/**
 * The one certainty the page states: the least certain of the case's uncertainty summary and every decided
 * head. A head may give its answer 9 in 10 while the checks on the scan say the result is shaky; the patient then
 * reads "not very sure" everywhere, never "fairly sure" next to "not very sure". Pure.
 */
export function certaintyOf(f: Findings): { level: Level; words: string } {
  let level: Level = f.uncertaintySummary.level;
  for (const h of f.heads) if (!h.indeterminate && RANK[headLevel(h.confidence)] > RANK[level]) level = headLevel(h.confidence);
  return { level, words: overallSureness(level) };
}

const dateOnly = (ms: number): string => new Date(ms).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

function scanTypes(n: number): string {
  return n === 1 ? 'one kind of picture' : `${['no', 'one', 'two', 'three', 'four', 'five', 'six'][n] ?? n} kinds of pictures`;
}

function whatWasDone(f: Findings): SafeHtml {
  const used = f.inputs.length;
  const missing = f.missingModalities.length;
  return html`<section class="panel">
<h2>What the program did</h2>
<p>A computer program looked at your MRI brain scan. It used ${scanTypes(used)} from the scan.</p>
${missing
    ? html`<p data-missing>${missing === 1 ? 'One of the usual kinds of pictures was' : `${scanTypes(missing).replace(/^\w/, (c) => c.toUpperCase())} that are usually taken were`} not available. This makes the program’s results less reliable.</p>`
    : ''}
</section>`;
}

function whatWasFound(f: Findings): SafeHtml {
  const area = outlinedArea(f.regions);
  let text: SafeHtml;
  if (f.segmentationWithheld) text = html`<p data-withheld>The program did not outline any area on this scan, because a kind of picture it needs to do that reliably was not available. Your doctors will look at the scan themselves.</p>`;
  else if (!f.segmentation) text = html`<p>This program does not outline areas on the scan.</p>`;
  else if (!area || area.voxelCount === 0) {
    text = html`<p>The program did not outline any area that it would call a tumour. This does not prove that there is no tumour: the program can miss things.</p>`;
  } else {
    const v = area.volumeMl;
    text = html`<p data-size>The research program outlined an area on your scan that may be a tumour, together with the swelling around it.
This area measures about <strong>${v < 1 ? 'less than 1' : Math.round(v)} millilitre${v >= 1.5 ? 's' : ''}</strong>, which is ${sizeComparison(v)}.</p>
<p>The outline is drawn by the program, not by a doctor. Your doctors will look at the scan themselves.</p>`;
  }
  return html`<section class="panel"><h2>What the program found</h2>${text}</section>`;
}

function picture(jobId: number, model: string, f: Findings): SafeHtml {
  const key = keySliceOf(f);
  if (!key || !key.tumourVoxels || f.segmentationWithheld) return html``;
  return html`<section class="panel">
<h2>A picture from your scan</h2>
<figure class="patient-picture" data-picture>
<img class="keyimage" src="/ui/jobs/${jobId}/key-image.png?model=${encodeURIComponent(model)}" alt="One slice of your brain scan, with the area the program outlined shown in colour" width="384">
<figcaption>One slice of your scan. The coloured area is the program’s outline, not a doctor’s. The words “research use only” are written on the picture because it comes from a research program.</figcaption>
</figure>
</section>`;
}

function guesses(f: Findings, sure: { level: Level; words: string }): SafeHtml {
  const items = f.heads.map(plainGuess).filter((g) => g != null);
  const unexplained = f.heads.length - items.length;
  if (!items.length && !unexplained) return html``;
  const caveat = sure.level === 'low' ? '' : html`, but overall it is <strong>${sure.words}</strong> about this scan (see “How sure is the program?” below)`;
  return html`<section class="panel">
<h2>The program’s guesses about the tumour</h2>
<p>Some features of a tumour are normally found by testing a small piece of it in a laboratory. The program tried to guess them from the pictures alone. <strong>These are guesses, not test results.</strong></p>
${items.map(
    (g) => html`<div class="guess" data-guess>
<p class="what">${g.topic}</p>
<p>${g.answer
      ? html`The best guess of this research program, which learned only from computer-made pictures and does not give a diagnosis: <strong>${g.answer}</strong>. It gives this answer a chance of ${g.chance}${caveat}.`
      : html`The program <strong>could not decide</strong> about this.`}</p>
</div>`,
  )}
${unexplained ? html`<p>The program also looked at ${unexplained === 1 ? 'one other feature' : `${unexplained} other features`}. Your doctors can explain ${unexplained === 1 ? 'it' : 'them'}.</p>` : ''}
</section>`;
}

function howSure(f: Findings, sure: { level: Level; words: string }): SafeHtml {
  return html`<section class="panel">
<h2>How sure is the program?</h2>
<p>The program checks itself by looking at the pictures in slightly different ways. Taking those checks and all its guesses together, it is <strong data-overall>${sure.words}</strong> about this result.</p>
<p>Even when it says it is sure, it can be wrong. ${f.heads.some((h) => !h.indeterminate) ? 'The chances above come from a program that' : 'The program'} has only been tested on computer-made pictures, so nobody knows yet how often it is right for real patients.</p>
</section>`;
}

/** "1 year", "5 years". */
const yearsText = (months: number): string => (months % 12 === 0 ? `${months / 12} year${months === 12 ? '' : 's'}` : `${months} months`);

/**
 * Survival figures in plain words (only where the site enables them, http.pages.patientSurvival): out of 100
 * people, how many lived how long; said first and last that these are figures for groups, not a prediction.
 */
function survivalFigures(f: Findings): SafeHtml {
  const shown = (f.survival ?? []).filter((s) => s.status !== 'not-applicable');
  if (!shown.length) return html``;
  return html`${shown.map((s) => html`<section class="panel" data-survival="${s.head}">
<h2>Figures about survival for groups of people</h2>
<p><strong>These numbers are not a prediction for you.</strong> They describe large groups of people whose scans look like this one${s.ageYears != null ? ' and who are about your age' : ''}. Nobody can say from a scan how long one person will live.</p>
${s.status === 'reported'
    ? html`<ul>${s.timePoints.map((t) => html`<li data-months="${t.months}">After ${yearsText(t.months)}: about <strong>${Math.round(t.probability * 100)} out of 100</strong> people in such a group were alive.</li>`)}</ul>
${s.uncertainty?.estimated ? html`<p>When the program looked at the pictures in slightly different ways, these numbers changed by up to ${Math.round(Math.max(...s.timePoints.map((t) => (t.max ?? t.probability) - (t.min ?? t.probability))) * 100)} in 100.</p>` : html`<p>The program did not check how much these numbers could change.</p>`}`
    : html`<p>The program could not give these figures, because ${s.reason?.startsWith('patient age unknown') ? 'your age was not recorded with the scan' : 'some information it needs was missing'}.</p>`}
<p>${s.outcomes === 'synthetic' ? 'The program learned these figures from computer-made (synthetic) records based on published statistics, not from real patients’ records. ' : ''}${s.statement}</p>
</section>`)}`;
}

function notTold(survivalShown: boolean): SafeHtml {
  return html`<section class="panel">
<h2>What this result does not tell you</h2>
<ul>
<li>It is <strong>not a diagnosis</strong>. Only your doctors can tell you what your scan shows.</li>
<li>The type of a tumour can only be known for sure by testing a small piece of it (a biopsy or an operation).</li>
<li>${survivalShown ? 'It says nothing about treatment, and the survival figures above describe groups of people: they do not say what will happen to you.' : 'It says nothing about treatment or about what will happen next.'}</li>
</ul>
</section>
${QUESTIONS}`;
}

const QUESTIONS = html`<section class="panel">
<h2>Questions you could ask your care team</h2>
<ul>
<li>What do you see on my scan?</li>
<li>Do you agree with what the program outlined?</li>
<li>Which tests will tell us more, and when will I get the results?</li>
<li>Who can I contact if I have more questions?</li>
</ul>
</section>`;

export interface PatientPageOptions {
  /** Show survival heads' population figures (http.pages.patientSurvival, default off). */
  survival: boolean;
}

export function renderPatientPage(r: JobResults, node: { name: string; version: string }, o: PatientPageOptions = { survival: false }): string {
  const model = r.models.find((m) => m.findings);
  const f = model?.findings;
  const sure = f ? certaintyOf(f) : undefined;
  const survivalShown = !!(o.survival && f?.survival?.some((s) => s.status !== 'not-applicable'));
  const body = f && sure
    ? html`<h1>Your brain scan: research analysis</h1>
<p class="sub">Analysed on ${r.analysedAt ? dateOnly(r.analysedAt) : 'an unknown date'}. Reference for your care team: job ${r.job.id}.</p>
${whatWasDone(f)}
${whatWasFound(f)}
${picture(r.job.id, model.model, f)}
${guesses(f, sure)}
${o.survival ? survivalFigures(f) : ''}
${howSure(f, sure)}
${notTold(survivalShown)}`
    : html`<h1>Your brain scan: research analysis</h1>
<section class="panel"><p>There is no result to show yet. ${r.job.state === 'failed' ? 'The program could not finish its analysis.' : 'The analysis has not finished.'} Your care team can tell you more.</p></section>
${notTold(false)}`;
  return page({ title: 'Your scan: research analysis', node, body, bodyClass: 'patient', banner: PATIENT_BANNER, plain: true });
}
