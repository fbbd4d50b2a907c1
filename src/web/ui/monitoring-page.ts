/**
 * GET /ui/monitoring: real-world performance per model version (src/review/monitoring.ts) — review outcome
 * rates, the AI-vs-corrected Dice distribution, each head's agreement with tissue results and its calibration
 * curve, and the drift check. Charts are CSS bars (w0..w100 classes: inline styles are blocked by the CSP). Pure.
 */
import type { ModelMonitoring } from '../../review/monitoring';
import { pct } from './format';
import { html, type SafeHtml } from './html';
import { page } from './layout';

function bar(share: number): SafeHtml {
  const w = Math.max(0, Math.min(100, Math.round((share * 100) / 5) * 5));
  return html`<span class="bar" aria-hidden="true"><span class="w${w}"></span></span>`;
}

const rate = (v: number | null): SafeHtml | string => (v === null ? '–' : html`${bar(v)}${pct(v)}`);

function diceChart(m: ModelMonitoring): SafeHtml {
  if (!m.dice.length) return html`<p class="muted">No corrected results yet.</p>`;
  const max = Math.max(...m.diceHistogram);
  return html`<table class="chart" data-dice-histogram><thead><tr><th>Dice</th><th>Corrected results</th></tr></thead><tbody>${m.diceHistogram.map(
    (n, i) => html`<tr><td class="num">${(i / 10).toFixed(1)}–${((i + 1) / 10).toFixed(1)}</td><td>${bar(max ? n / max : 0)}${n}</td></tr>`,
  )}</tbody></table>`;
}

function heads(m: ModelMonitoring): SafeHtml {
  if (!m.heads.length) return html`<p class="muted">No tissue results entered yet.</p>`;
  return html`<table data-head-accuracy><thead><tr><th>Head</th><th class="num">Tissue results</th><th>Accuracy</th><th class="num">Indeterminate</th><th>Calibration (confidence → observed accuracy)</th></tr></thead>
<tbody>${m.heads.map(
    (h) => html`<tr data-head="${h.head}"><td>${h.head}</td><td class="num">${h.cases}</td><td>${rate(h.accuracy)}</td><td class="num">${h.indeterminate}</td><td>${
      h.calibration
        ? html`<ul class="reasons">${h.calibration.map((b) => html`<li>${pct(b.from)}–${pct(b.to)} (${b.cases}): mean ${pct(b.meanConfidence)} → ${bar(b.accuracy)}${pct(b.accuracy)}</li>`)}</ul>`
        : html`<span class="muted">after more cases</span>`
    }</td></tr>`,
  )}</tbody></table>`;
}

function modelSection(m: ModelMonitoring): SafeHtml {
  const d = m.drift;
  return html`<section class="panel" data-monitoring-model="${m.model}" data-version="${m.version}">
<h2>${m.model} <span class="muted">${m.version}</span></h2>
<p>${m.delivered} delivered result(s): ${m.pending} pending review, ${m.accepted} accepted, ${m.corrected} corrected, ${m.rejected} rejected.</p>
<table data-rates><tbody>
<tr><td>Acceptance rate</td><td data-acceptance-rate>${rate(m.acceptanceRate)}</td></tr>
<tr><td>Correction rate</td><td>${rate(m.correctionRate)}</td></tr>
<tr><td>Rejection rate</td><td>${rate(m.rejectionRate)}</td></tr>
</tbody></table>
<h3>Drift check</h3>
<p data-drift="${d.alert ? 'alert' : 'ok'}">${d.agreement === null ? 'No reviewed case yet.' : html`Agreement over the last ${d.cases} of ${d.window} reviewed cases: ${bar(d.agreement)}${pct(d.agreement)} (alert below ${pct(d.minAgreement)})`}${d.alert ? html` <span class="pill s-failed">ALERT</span>` : ''}</p>
<h3>AI vs corrected segmentation (whole tumour Dice)</h3>
${diceChart(m)}
<h3>Classification heads against tissue results</h3>
${heads(m)}
</section>`;
}

export function renderMonitoringPage(rows: readonly ModelMonitoring[], node: { name: string; version: string }): string {
  const body = html`<h1>Model monitoring</h1>
<p class="sub">Real-world performance from radiologists' reviews and entered tissue results, per model version · <a href="/api/monitoring.csv" data-csv>Export CSV</a></p>
${rows.length ? rows.map(modelSection) : html`<section class="panel"><p class="muted">No delivered results yet.</p></section>`}`;
  return page({ title: 'Model monitoring', node, body });
}
