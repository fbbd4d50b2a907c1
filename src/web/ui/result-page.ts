/**
 * GET /ui/jobs/{id}: the clinician's result page. Pure: JobResults (job-results.ts) in, HTML out.
 * Shows identified series with roles, confidence and reasons; per model the key image, tumour volumes, the layered
 * diagnosis with per-head probabilities and uncertainty, missing modalities, provenance and the clinician
 * narrative; then the result files and their delivery. At the top, whose scan it is (name, ID, accession, study
 * date): a result read against the wrong patient is the worst error this page could cause, so, unlike the
 * dashboard, it shows them (docs/security.md). Birth date is not shown.
 */
import type { Findings, HeadResult, RegionKey } from '../../ai/findings';
import { monthsText } from '../../encoders/narrative/survival-text';
import { templateNarrative } from '../../encoders/narrative/templates';
import { notAssessableRegions, regionText } from '../../encoders/seg/segment-catalog';
import { ROLE_NAMES } from '../../encoders/codes';
import { bidimensionalPlace } from '../../ai/bidimensional';
import { isModelRole } from '../../series-id/roles';
import { STAGE_LABELS } from './dashboard-page';
import { bytes, ml, pct, shortUid, when } from './format';
import { html, type SafeHtml } from './html';
import type { DestinationView, JobResults, ModelResult, ResultFile } from './job-results';
import { keySliceOf } from './key-image';
import { page } from './layout';
import type { StudyRecord } from '../../store/types';
import type { ResultReview } from '../../review/service';
import { reviewPanel } from './review-panel';

/** Whose scan this is, from the store's study record. */
export interface PatientContext {
  name: string;
  id: string;
  accession: string;
  /** YYYY-MM-DD, or '' when the study has no date. */
  studyDate: string;
}

export interface ResultPageOptions {
  /** Absent when the node no longer holds the study (deleted): the page says so. */
  patient?: PatientContext;
  /** The study in the site's OHIF (http.pages.ohifUrl), when configured. */
  ohifUrl?: string;
  /** Whether the patient page is served (http.pages.patientPage). */
  patientPage: boolean;
  /** Review state of the job's results (docs/review.md); absent: no review panel. */
  reviews?: ResultReview[];
  /** Whether the viewer may press Accept / Reject (the `review` scope). */
  canReview?: boolean;
}

/** DICOM PN "Doe^Jane^^Dr" -> "Doe, Jane Dr"; DA "20260101" -> "2026-01-01". Pure. */
export function patientContextOf(s: Pick<StudyRecord, 'patientName' | 'patientId' | 'accessionNumber' | 'studyDate'>): PatientContext {
  const [family = '', given = '', middle = '', prefix = '', suffix = ''] = s.patientName.split('=')[0]!.split('^');
  const rest = [prefix, given, middle, suffix].filter(Boolean).join(' ');
  const name = family && rest ? `${family}, ${rest}` : family || rest;
  const d = /^(\d{4})(\d{2})(\d{2})$/.exec(s.studyDate);
  return { name, id: s.patientId, accession: s.accessionNumber, studyDate: d ? `${d[1]}-${d[2]}-${d[3]}` : s.studyDate };
}

const REGION_ORDER: RegionKey[] = ['WT', 'TC', 'ET', 'NCR', 'ED', 'GTV'];
const KIND_NAMES: Record<string, string> = { seg: 'Segmentation (SEG)', sr: 'Structured report (SR, TID 1500)', sc: 'Key image (Secondary Capture)', pdf: 'Report (Encapsulated PDF)' };

function roleName(role: string): string {
  return isModelRole(role) ? ROLE_NAMES[role] : role;
}

/** A probability bar (width class in 5% steps: inline styles are blocked by the Content-Security-Policy). */
function bar(p: number): SafeHtml {
  const w = Math.max(0, Math.min(100, Math.round((p * 100) / 5) * 5));
  return html`<span class="bar" aria-hidden="true"><span class="w${w}"></span></span>`;
}

function swatch(f: Findings, key: RegionKey): SafeHtml | string {
  const def = f.segmentation?.segments.find((s) => s.key === key);
  // The CSS colours are the encoder defaults; a model with its own colours gets no swatch rather than a wrong one.
  return def && !def.recommendedDisplayCIELab ? html`<span class="swatch c-${key}"></span>` : '';
}

function volumes(f: Findings): SafeHtml {
  const regions = REGION_ORDER.map((k) => f.regions.find((r) => r.key === k)).filter((r) => r != null);
  if (f.segmentationWithheld) return html`<p class="warn" data-withheld>${f.segmentationWithheld.reason.replace(/^segmentation withheld/, 'Segmentation withheld')}.</p>`;
  if (!f.segmentation) return html`<p class="muted">This model produces no segmentation.</p>`;
  if (!regions.length) return html`<p class="muted">No regions reported.</p>`;
  // Not assessable is not zero: no volume for a region the inputs cannot support (e.g. enhancement without T1ce).
  const na = new Map(notAssessableRegions(f).map((n) => [n.key, n.reason]));
  return html`<table class="volumes">
<thead><tr><th>Region</th><th class="num">Volume</th><th class="num">Voxels</th><th class="num">Mean uncertainty</th></tr></thead>
<tbody>${regions.map((r) =>
    na.has(r.key)
      ? html`<tr data-region="${r.key}" data-not-assessable><td>${regionText(r.key)} <span class="muted">(${r.key})</span></td><td colspan="3" class="muted">not assessable: ${na.get(r.key)}</td></tr>`
      : html`<tr data-region="${r.key}"><td>${swatch(f, r.key)}${regionText(r.key)} <span class="muted">(${r.key})</span></td><td class="num" data-volume-ml="${r.volumeMl.toFixed(1)}">${ml(r.volumeMl)}</td><td class="num">${r.voxelCount}</td><td class="num">${r.meanUncertainty != null ? r.meanUncertainty.toFixed(2) : '–'}</td></tr>`,
  )}</tbody>
</table>${volumeBar(f)}${bidimensional(f)}`;
}

/** The parts of the tumour that add up to the whole, in the order a stacked bar shows them. */
const STACK: RegionKey[] = ['NCR', 'ED', 'ET'];

/** Widths in whole percent that add up to 100 (largest remainder), for the p0..p100 classes. */
export function stackWidths(values: number[]): number[] {
  const total = values.reduce((a, b) => a + b, 0);
  if (total <= 0) return values.map(() => 0);
  const exact = values.map((v) => (v / total) * 100);
  const out = exact.map(Math.floor);
  const order = exact.map((e, i) => ({ i, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r);
  for (let n = 100 - out.reduce((a, b) => a + b, 0), k = 0; n > 0; n--, k++) out[order[k % order.length]!.i]!++;
  return out;
}

/** A stacked bar of NCR / ED / ET volumes (CSS classes only: inline styles are blocked). */
function volumeBar(f: Findings): SafeHtml {
  const parts = STACK.map((k) => f.regions.find((r) => r.key === k)).filter((r) => r != null);
  if (!parts.length || parts.every((r) => r.volumeMl <= 0)) return html``;
  // A part that is not assessable is not zero: drawing the others as the whole would mislead.
  const na = notAssessableRegions(f).filter((n) => parts.some((r) => r.key === n.key));
  if (na.length) return html`<p class="muted" data-volume-bar-withheld>No NCR / ED / ET bar: ${na.map((n) => n.key).join(', ')} not assessable.</p>`;
  const widths = stackWidths(parts.map((r) => r.volumeMl));
  return html`<div class="stack" data-volume-bar role="img" aria-label="${parts.map((r) => `${regionText(r.key)} ${ml(r.volumeMl)}`).join(', ')}">${parts.map(
    (r, i) => html`<span class="c-${r.key} p${widths[i]}" data-stack="${r.key}" title="${regionText(r.key)} ${ml(r.volumeMl)}"></span>`,
  )}</div>
<p class="legend">${parts.map((r) => html`<span class="nowrap"><span class="swatch c-${r.key}"></span>${r.key} ${ml(r.volumeMl)}</span> `)}</p>`;
}

/** The RANO-style diameters (also in the SR as lines on the image). */
function bidimensional(f: Findings): SafeHtml {
  const b = f.bidimensional;
  if (!b) return html``;
  const na = notAssessableRegions(f).find((n) => n.key === b.region);
  if (na) return html`<p data-bidimensional>Bidimensional (RANO-style, ${regionText(b.region)}): not assessable (${na.reason}).</p>`;
  const where = bidimensionalPlace(b);
  return html`<p data-bidimensional>Bidimensional (RANO-style, ${regionText(b.region)}, ${where} of the display series): <strong>${b.long.lengthMm.toFixed(1)} × ${b.short.lengthMm.toFixed(1)} mm</strong>, product ${b.productMm2.toFixed(0)} mm²; ${b.measurable ? 'measurable' : 'not measurable'} (both diameters ≥ 10 mm).</p>`;
}

function diagnosis(f: Findings): SafeHtml {
  const dx = f.diagnosis;
  if (!dx && f.noTumourDetected) {
    return html`<p data-no-tumour>No tumour detected: nothing was segmented, so no diagnosis is given and ${f.noTumourDetected.headsNotApplicable.map((h) => h.title).join(', ') || 'no classification'} ${f.noTumourDetected.headsNotApplicable.length === 1 ? 'is' : 'are'} not applicable. This does not exclude a tumour the model cannot see.</p>`;
  }
  if (!dx) return html`<p class="muted">This model gives no layered diagnosis${f.heads.length ? ' (its heads are listed below)' : ''}.</p>`;
  const layers: SafeHtml[] = [];
  if (dx.histology) layers.push(html`<dt>Histology</dt><dd>${dx.histology.label} (${pct(dx.histology.probability)})</dd>`);
  if (dx.grade) layers.push(html`<dt>Grade</dt><dd>${dx.grade.label} (${pct(dx.grade.probability)})</dd>`);
  for (const m of dx.molecular) layers.push(html`<dt>${m.name}</dt><dd>${m.status} (${pct(m.probability)})</dd>`);
  return html`<p class="dx ${dx.integrated.indeterminate ? 'indeterminate' : ''}" data-diagnosis>${dx.integrated.label}</p>
<p class="muted">Integrated diagnosis (WHO CNS5 layers, model-based, not histopathology): probability ${pct(dx.integrated.probability)}${dx.integrated.indeterminate ? ' — indeterminate' : ''}.</p>
<dl class="facts">${layers}</dl>
<h3>Diagnostic branches</h3>
<table><tbody>${dx.branches.map((b) => html`<tr><td>${b.label}</td><td class="num nowrap">${bar(b.probability)}${pct(b.probability)}</td></tr>`)}</tbody></table>
<h3>Reasoning</h3>
<ul class="reasons">${dx.reasoning.map((r) => html`<li>${r}</li>`)}</ul>`;
}

function headRow(h: HeadResult): SafeHtml {
  const u = h.uncertainty;
  return html`<tr data-head="${h.head}">
<td>${h.title}</td>
<td>${h.indeterminate ? html`<span class="pill s-retrying">indeterminate</span>` : html`<strong>${h.predicted}</strong>`}</td>
<td class="num">${pct(h.confidence)}</td>
<td>${h.classes.map((c) => html`<div>${bar(c.probability)}${c.name} ${pct(c.probability)}</div>`)}</td>
<td class="num">${u.normalisedEntropy.toFixed(2)}</td>
<td class="num">${u.ttaVariance != null ? u.ttaVariance.toFixed(3) : '–'}</td>
<td class="num">${u.mutualInformation != null ? u.mutualInformation.toFixed(3) : '–'}</td>
</tr>`;
}

function heads(f: Findings): SafeHtml {
  if (!f.heads.length) return html``;
  return html`<h3>Per-head predictions</h3>
<table class="heads">
<thead><tr><th>Head</th><th>Prediction</th><th class="num">Confidence</th><th>Class probabilities</th><th class="num">Norm. entropy</th><th class="num">TTA variance</th><th class="num">Mutual info.</th></tr></thead>
<tbody>${f.heads.map(headRow)}</tbody>
</table>
<p class="muted">Calibrated (temperature-scaled) probabilities averaged over test-time augmentation. Normalised entropy 0 = certain, 1 = uniform.</p>`;
}

/** Survival heads: S at the reported times with the TTA spread, the risk group, the age used, and the statement. */
function survival(f: Findings): SafeHtml {
  if (!f.survival?.length) return html``;
  return html`${f.survival.map((s) => {
    const statement = html`<p class="statement" data-survival-statement><strong>${s.outcomes === 'synthetic' ? 'Synthetic outcomes; population figures.' : 'Population figures.'}</strong> ${s.statement}</p>`;
    if (s.status !== 'reported') {
      return html`<section data-survival="${s.head}" data-status="${s.status}"><h3>${s.title}</h3>
<p class="muted">${s.status === 'not-applicable' ? 'Not applicable' : 'Not assessable'}: ${s.reason ?? ''}</p>${statement}</section>`;
    }
    return html`<section data-survival="${s.head}" data-status="reported"><h3>${s.title} <span class="muted">(population statistics, not a prediction for this patient)</span></h3>
<table class="heads">
<thead><tr><th>Time</th><th class="num">Survival probability</th><th class="num">TTA SD</th><th class="num">TTA min–max</th></tr></thead>
<tbody>${s.timePoints.map((t) => html`<tr data-months="${t.months}"><td>${monthsText(t.months)}</td><td class="num nowrap">${bar(t.probability)}${pct(t.probability)}</td><td class="num">${t.std != null ? pct(t.std) : '–'}</td><td class="num">${t.min != null && t.max != null ? `${pct(t.min)}–${pct(t.max)}` : '–'}</td></tr>`)}</tbody>
</table>
<p>${s.riskGroup ? html`Risk group: <strong data-risk-group>${s.riskGroup.name}</strong> (mean survival at ${monthsText(s.riskGroup.atMonths)} ${pct(s.riskGroup.survivalProbability)}). ` : ''}${s.uncertainty?.estimated ? `Uncertainty: ${s.uncertainty.method}.` : 'Uncertainty not estimated (no test-time augmentation).'}${s.ageYears != null ? ` Age used: ${s.ageYears} years (${s.ageSource ?? 'header'}).` : ''} Sequences used: ${s.modalitiesUsed.join(', ') || 'none'}.</p>
${s.notes.map((n) => html`<p class="muted">${n}</p>`)}
${statement}</section>`;
  })}`;
}

function inputs(f: Findings): SafeHtml {
  return html`<dl class="facts">
<dt>Inputs used</dt><dd>${f.inputs.map((s, i) => html`${i ? ', ' : ''}${roleName(s.role)}${s.seriesNumber != null ? ` (series ${s.seriesNumber})` : ''}`)}</dd>
<dt>Missing modalities</dt><dd data-missing>${f.missingModalities.length ? f.missingModalities.map(roleName).join(', ') : 'none'}</dd>
<dt>Uncertainty</dt><dd><span class="pill s-${f.uncertaintySummary.level === 'low' ? 'ok' : f.uncertaintySummary.level === 'moderate' ? 'retrying' : 'failed'}">${f.uncertaintySummary.level}</span>${f.uncertaintySummary.meanSegmentationUncertainty != null ? ` mean segmentation uncertainty ${f.uncertaintySummary.meanSegmentationUncertainty.toFixed(2)}` : ''}${f.uncertaintySummary.notes.length ? html`<ul class="reasons">${f.uncertaintySummary.notes.map((n) => html`<li>${withHeadTitles(f, n)}</li>`)}</ul>` : ''}</dd>
</dl>`;
}

/** The engine's note "indeterminate heads: idh, codeletion_1p19q" with the heads' titles instead of their ids. Pure. */
export function withHeadTitles(f: Pick<Findings, 'heads'>, note: string): string {
  const m = /^indeterminate heads: (.*)$/.exec(note);
  if (!m) return note;
  return `indeterminate: ${m[1]!.split(', ').map((id) => f.heads.find((h) => h.head === id)?.title ?? id).join(', ')}`;
}

/** Colour step of a change of probability (0 = none .. 5 = 0.35 or more), for the heatmap's h0..h5 classes. */
export function heatStep(delta: number): number {
  const d = Math.abs(delta);
  return d < 0.02 ? 0 : d < 0.05 ? 1 : d < 0.1 ? 2 : d < 0.2 ? 3 : d < 0.35 ? 4 : 5;
}

/** Leave-one-out importance as a heatmap: sequences down, heads across (by their titles, not their ids). */
function modalityImportance(f: Findings): SafeHtml {
  if (!f.modalityImportance?.length) return html``;
  const ids = [...new Set(f.modalityImportance.flatMap((m) => Object.keys(m.headDeltas)))];
  const title = (id: string): string => f.heads.find((h) => h.head === id)?.title ?? id;
  const dice = f.modalityImportance.some((m) => m.diceToFull != null);
  return html`<h3>Modality importance (leave one out)</h3>
<p class="muted">How much the predicted-class probability changes when a sequence is left out; darker = the model leans on that sequence more.</p>
<table class="heatmap" data-heatmap><thead><tr><th>Without</th>${ids.map((h) => html`<th data-head-title="${h}">${title(h)}</th>`)}${dice ? html`<th class="num">Whole-tumour overlap (Dice) with all sequences</th>` : ''}</tr></thead>
<tbody>${f.modalityImportance.map(
    (m) => html`<tr><th scope="row">${roleName(m.role)}</th>${ids.map((h) => {
      const d = m.headDeltas[h];
      return d == null ? html`<td class="heat">–</td>` : html`<td class="heat h${heatStep(d)} num">${d >= 0 ? '+' : ''}${d.toFixed(2)}</td>`;
    })}${dice ? html`<td class="num">${m.diceToFull != null ? m.diceToFull.toFixed(2) : '–'}</td>` : ''}</tr>`,
  )}</tbody></table>`;
}

function provenance(f: Findings): SafeHtml {
  const m = f.model;
  return html`<dl class="facts" data-provenance>
<dt>Model</dt><dd>${m.name}</dd>
<dt>Version</dt><dd>${m.version}</dd>
<dt>sha256 (model.onnx)</dt><dd class="mono">${m.sha256}</dd>
<dt>Execution provider</dt><dd>${m.executionProvider}</dd>
<dt>Intended use</dt><dd>${m.intendedUse}</dd>
<dt>Training data</dt><dd>${m.trainingData}</dd>
${f.timings.total != null ? html`<dt>Inference time</dt><dd>${(f.timings.total / 1000).toFixed(1)} s</dd>` : ''}
</dl>`;
}

/** The slice viewer (viewer-script.ts draws it from viewer-data.ts); controls are plain form elements. */
function viewer(jobId: number, model: string): SafeHtml {
  return html`<h3>Images</h3>
<div class="viewer" data-viewer="/ui/jobs/${jobId}/viewer-data?model=${encodeURIComponent(model)}">
<div class="viewer-bar">
<span role="group" aria-label="Plane"><button type="button" data-plane="axial">Axial</button> <button type="button" class="secondary" data-plane="coronal">Coronal</button> <button type="button" class="secondary" data-plane="sagittal">Sagittal</button></span>
<label>Window <select data-wl><option value="128,256">Full range</option><option value="120,170">Brain</option><option value="150,110">High contrast</option><option value="100,320">Low contrast</option></select></label>
<label><input type="checkbox" data-overlay checked> Overlay</label>
</div>
<canvas data-view tabindex="0" width="384" height="384" aria-label="Display series with the segmentation overlay: mouse wheel or arrow keys change the slice, drag changes window and level"></canvas>
<input type="range" data-slice min="0" max="0" value="0" aria-label="Slice">
<p class="muted" data-viewer-status>Loading the images…</p>
<p class="muted">Display series with the model’s segmentation (necrotic core red, oedema green, enhancing tumour yellow) and the bidimensional measurement (cyan long, magenta short axis) on its slice. Wheel, arrow keys or the slider scroll; drag on the image for window and level. Large series are shown subsampled to at most 256 voxels per axis.</p>
</div>`;
}

function patientContext(p: PatientContext | undefined): SafeHtml {
  if (!p) return html`<section class="panel ctx" data-patient-context><p class="warn">The node no longer holds this study’s record, so the patient cannot be shown: check the patient in the PACS before reading the result.</p></section>`;
  return html`<section class="panel ctx" data-patient-context aria-label="Patient">
<dl class="ctx">
<div><dt>Patient</dt><dd data-patient-name>${p.name || '–'}</dd></div>
<div><dt>Patient ID</dt><dd data-patient-id>${p.id || '–'}</dd></div>
<div><dt>Accession</dt><dd data-accession>${p.accession || '–'}</dd></div>
<div><dt>Study date</dt><dd data-study-date>${p.studyDate || '–'}</dd></div>
</dl>
</section>`;
}

function modelSection(jobId: number, m: ModelResult, supersedes: string[], delivered?: { clinician: string }): SafeHtml {
  if (!m.findings) return html`<section class="panel"><h2>Model ${m.model}</h2><p class="error">${m.error ?? 'no findings'}</p></section>`;
  const f = m.findings;
  const key = keySliceOf(f);
  // The text that went into the SR/PDF (saved by the encoding stage); older jobs fall back to the template.
  const narrative = delivered ?? templateNarrative(f, { supersedes });
  const image = key
    ? html`<figure>
<img class="keyimage" src="/ui/jobs/${jobId}/key-image.png?model=${encodeURIComponent(m.model)}" alt="Key image: slice ${key.slice + 1} of ${key.slices} of the display series with the segmentation overlaid" width="384">
<figcaption class="muted">${key.tumourVoxels ? `Slice ${key.slice + 1} of ${key.slices}, largest segmented area (${(key.areaMm2 / 100).toFixed(1)} cm²).` : `Nothing segmented; middle slice ${key.slice + 1} of ${key.slices}.`} Colours: necrotic core red, oedema green, enhancing tumour yellow (model defaults).</figcaption>
</figure>`
    : html`<p class="muted">No segmentation, so no key image.</p>`;
  return html`<section class="panel" data-model="${m.model}">
<h2>Model ${f.model.name} <span class="muted">${f.model.version}</span></h2>
<div class="grid2">
<div>${f.segmentation ? viewer(jobId, m.model) : image}</div>
<div>
<h3>Diagnosis</h3>
${diagnosis(f)}
</div>
</div>
<div class="grid2">
<div><h3>Tumour volumes</h3>${volumes(f)}
<h3>Inputs and uncertainty</h3>${inputs(f)}</div>
<div>${f.segmentation ? html`<h3>Key image (as sent to the PACS)</h3>${image}` : ''}</div>
</div>
${heads(f)}
${survival(f)}
${modalityImportance(f)}
${f.warnings.length ? html`<h3>Warnings</h3><ul class="reasons">${f.warnings.map((w) => html`<li>${w}</li>`)}</ul>` : ''}
<h3>Model provenance</h3>
${provenance(f)}
<h3>Report text (clinician)</h3>
<pre class="narrative" data-narrative>${narrative.clinician}</pre>
</section>`;
}

function seriesSection(r: JobResults): SafeHtml {
  const id = r.identify;
  if (!id) return html``;
  return html`<section class="panel">
<h2>Series identification</h2>
<p class="sub">Selected: ${Object.entries(id.selected).map(([role], i) => `${i ? ', ' : ''}${roleName(role)}`) || 'none'}${id.missing.length ? ` · missing: ${id.missing.map(roleName).join(', ')}` : ''} · models routed: ${id.routed.join(', ') || 'none'}${id.skipped.length ? ` · not routed: ${id.skipped.join('; ')}` : ''}</p>
<table class="series">
<thead><tr><th class="num">#</th><th>Description</th><th>Role</th><th class="num">Confidence</th><th>Used</th><th>Reasons</th></tr></thead>
<tbody>${[...id.series]
    .sort((a, b) => (a.seriesNumber ?? 1e9) - (b.seriesNumber ?? 1e9))
    .map(
      (s) => html`<tr data-series-role="${s.role}">
<td class="num">${s.seriesNumber ?? ''}</td>
<td>${s.seriesDescription ?? html`<span class="muted mono" title="${s.seriesInstanceUid}">${shortUid(s.seriesInstanceUid)}</span>`}</td>
<td>${s.role === 'other' ? html`<span class="muted">other</span>` : html`<strong>${roleName(s.role)}</strong>`}</td>
<td class="num">${pct(s.confidence)}</td>
<td>${s.selected ? html`<span class="pill s-ok">selected</span>` : ''}</td>
<td><ul class="reasons">${s.reasons.map((x) => html`<li>${x}</li>`)}</ul></td>
</tr>`,
    )}</tbody>
</table>
${id.unreadable.length ? html`<p class="error">Unreadable series: ${id.unreadable.join(', ')}</p>` : ''}
</section>`;
}

function fileRow(jobId: number, f: ResultFile): SafeHtml {
  return html`<tr data-file-kind="${f.kind}">
<td>${KIND_NAMES[f.kind] ?? f.kind}</td>
<td>${f.model}</td>
<td class="mono" title="${f.sopInstanceUid}">${shortUid(f.sopInstanceUid, 24)}</td>
<td class="num">${f.bytes != null ? bytes(f.bytes) : 'missing'}</td>
<td>${f.bytes != null ? html`<a class="download" href="/ui/jobs/${jobId}/files/${f.sopInstanceUid}" download>Download .dcm</a>` : ''}</td>
</tr>`;
}

function deliveryRow(d: DestinationView): SafeHtml {
  const label = { delivered: 'delivered', 'dead-letter': 'dead letter', pending: 'pending', 'not-sent': 'not sent yet' }[d.status];
  return html`<tr data-destination="${d.name}">
<td>${d.name}</td>
<td><span class="pill s-${d.status}" data-delivery-status="${d.status}">${label}</span></td>
<td class="num">${d.confirmed} / ${d.total}</td>
<td class="num">${d.attempts}</td>
<td class="t">${d.lastAttemptAt ? when(Date.parse(d.lastAttemptAt)) : '–'}</td>
<td class="error">${d.lastError ?? ''}</td>
</tr>`;
}

function filesSection(r: JobResults): SafeHtml {
  if (!r.encode) return html``;
  const notes = [...r.encode.notes, ...(r.deliver?.note ? [r.deliver.note] : [])];
  return html`<section class="panel">
<h2>Result objects and delivery</h2>
<table class="files">
<thead><tr><th>Object</th><th>Model</th><th>SOP Instance UID</th><th class="num">Size</th><th></th></tr></thead>
<tbody>${r.files.map((f) => fileRow(r.job.id, f))}</tbody>
</table>
<h3>Delivery</h3>
${r.delivery.length
    ? html`<table class="delivery"><thead><tr><th>Destination</th><th>Status</th><th class="num">Confirmed</th><th class="num">Attempts</th><th>Last attempt</th><th>Last error</th></tr></thead><tbody>${r.delivery.map(deliveryRow)}</tbody></table>`
    : html`<p class="muted">No destinations configured (delivery.to is empty); the files stay on the node.</p>`}
${notes.length ? html`<h3>Notes</h3><ul class="reasons">${notes.map((n) => html`<li>${n}</li>`)}</ul>` : ''}
<p class="muted">Report text source: ${r.encode.narrativeSource}${r.encode.narrativeSource !== 'template' && !r.encode.narratives ? ' (the page shows the deterministic template; the SR and PDF hold the text that was delivered)' : ''}.</p>
</section>`;
}

function notRun(r: JobResults): SafeHtml {
  const items = [...(r.preprocess?.notRun ?? []), ...(r.infer?.notRun ?? [])];
  if (!items.length) return html``;
  return html`<section class="panel"><h2>Models not run</h2><ul>${items.map((n) => html`<li><strong>${n.model}</strong>: ${n.message} <span class="muted">(${n.reason})</span></li>`)}</ul></section>`;
}

function jobStatus(r: JobResults): SafeHtml {
  const j = r.job;
  const err = j.lastError && j.state !== 'done'
    ? html`<p class="error" data-error>Last error in ${STAGE_LABELS[j.lastError.stage] ?? j.lastError.stage}: ${j.lastError.message}</p>`
    : html``;
  if (r.deleted) {
    return html`<section class="panel"><p class="warn" data-deleted>The study's images and this job's result files were deleted from the node on ${new Date(r.deleted.at).toISOString().slice(0, 10)} (${r.deleted.note.replace(/^[^(]*\(([^)]*)\).*$/, '$1')}). The results were delivered; open them in the PACS.</p></section>`;
  }
  if (j.state === 'done') return err;
  const text =
    j.state === 'failed'
      ? 'This job failed; what it produced before failing is shown below. An operator can retry it from the dashboard.'
      : j.state === 'superseded'
        ? `This job was superseded by job ${j.supersededBy ?? '?'} (new images arrived for the study).`
        : 'This job is still running; the page shows what is finished so far.';
  return html`<section class="panel"><p><span class="pill s-${j.state}">${j.state}</span> ${text}</p>${err}${j.supersededBy != null ? html`<p><a href="/ui/jobs/${j.supersededBy}">Go to job ${j.supersededBy}</a></p>` : ''}</section>`;
}

export function renderResultPage(r: JobResults, node: { name: string; version: string }, o: ResultPageOptions = { patientPage: false }): string {
  const j = r.job;
  const links = [
    ...(o.ohifUrl ? [html`<a href="${o.ohifUrl}" data-ohif rel="noopener noreferrer" target="_blank">Open in OHIF</a>`] : []),
    ...(o.patientPage ? [html`<a href="/ui/jobs/${j.id}/patient">Patient version</a>`] : []),
  ];
  const body = html`${patientContext(o.patient)}
<h1>Result · job #${j.id}</h1>
<p class="sub">Study <span class="mono">${j.studyInstanceUid}</span>${j.generation > 1 ? ` (generation ${j.generation})` : ''} · <span class="pill s-${j.state}" data-job-state="${j.state}">${j.state}</span>${r.analysedAt ? ` · analysed ${when(r.analysedAt)}` : ''}${links.map((l) => html` · ${l}`)}</p>
${jobStatus(r)}
${reviewPanel(j.id, o.reviews ?? [], { canReview: o.canReview ?? false, ...(o.ohifUrl ? { ohifUrl: o.ohifUrl } : {}) })}
${r.models.length ? r.models.map((m) => modelSection(j.id, m, r.supersedes, r.encode?.narratives?.[m.model])) : j.state === 'done' ? '' : html``}
${notRun(r)}
${seriesSection(r)}
${filesSection(r)}
<p class="muted">Raw stage outputs (JSON): ${r.job.state === 'received' ? 'none yet' : ['identifying', 'preprocessing', 'inferring', 'encoding', 'delivering'].map((s, i) => html`${i ? ' · ' : ''}<a href="/api/jobs/${j.id}/outputs/${s}">${STAGE_LABELS[s]}</a>`)}</p>`;
  return page({ title: `Job ${j.id} result`, node, body, scripts: ['/ui/assets/viewer.js', ...(o.reviews?.length && o.canReview ? ['/ui/assets/review.js'] : [])] });
}
