/**
 * The review panel of the result page (docs/review.md): the result's review state and history, Accept / Reject
 * (coded reason + free text) / "Correct in viewer", the agreement figures of a correction, the tissue results and a
 * form to enter them.
 * Pure: review state in, HTML out. The buttons are driven by review-script.ts (no inline script: CSP).
 */
import { REJECT_REASONS } from '../../review/review-store';
import type { ResultReview } from '../../review/service';
import { ml, when } from './format';
import { html, type SafeHtml } from './html';

function agreementTable(r: ResultReview): SafeHtml {
  const last = [...r.history].reverse().find((h) => h.decision === 'corrected' && h.agreement?.length);
  if (!last?.agreement) return html``;
  return html`<h3>Agreement with the correction</h3>
<table class="agreement" data-agreement><thead><tr><th>Region</th><th class="num">Dice</th><th class="num">AI volume</th><th class="num">Corrected volume</th><th class="num">Difference</th><th class="num">HD95</th></tr></thead>
<tbody>${last.agreement.map(
    (a) => html`<tr data-agreement-region="${a.key}"><td>${a.key}</td><td class="num" data-dice="${a.dice.toFixed(3)}">${a.dice.toFixed(3)}</td><td class="num">${ml(a.aiVolumeMl)}</td><td class="num">${ml(a.correctedVolumeMl)}</td><td class="num">${a.volumeDifferenceMl >= 0 ? '+' : ''}${a.volumeDifferenceMl.toFixed(1)} mL</td><td class="num">${a.hausdorff95Mm != null ? `${a.hausdorff95Mm.toFixed(1)} mm` : '–'}</td></tr>`,
  )}</tbody></table>`;
}

function history(r: ResultReview): SafeHtml {
  if (!r.history.length) return html``;
  return html`<h3>History</h3><table class="review-history"><thead><tr><th>When</th><th>Decision</th><th>Reviewer</th><th>Reason</th><th>Review SR</th></tr></thead>
<tbody>${r.history.map(
    (h) => html`<tr><td class="t">${when(h.reviewedAt)}</td><td>${h.decision}</td><td>${h.reviewer}</td><td>${h.reasonCode ? `${REJECT_REASONS[h.reasonCode]}${h.reasonText ? `: ${h.reasonText}` : ''}` : ''}</td><td class="mono">${h.verifiedSrUid ?? '–'}</td></tr>`,
  )}</tbody></table>`;
}

function tissue(r: ResultReview): SafeHtml {
  const m = r.molecular;
  if (!m) return html``;
  return html`<h3>Tissue results</h3><p data-tissue-diagnosis>${m.integratedDiagnosis ?? 'No integrated diagnosis (no IDH result).'}</p>
<ul class="reasons">${m.agreement.map((a) => html`<li data-head-agreement="${a.head}">${a.head}: predicted ${a.predicted}, tissue ${a.tissue} — ${a.agrees ? 'agrees' : 'disagrees'}</li>`)}</ul>`;
}

function actions(jobId: number, r: ResultReview, ohifUrl: string | undefined): SafeHtml {
  return html`<form class="review-form" data-review-form data-job="${jobId}" data-model="${r.result.model}">
<p><label>Your name for the signed report <input type="text" name="reviewerName" placeholder="Family^Given" maxlength="64"></label></p>
<p><button type="button" data-review-accept>Accept</button>
${ohifUrl ? html` <a class="button secondary" href="${ohifUrl}" data-review-correct rel="noopener noreferrer" target="_blank">Correct in viewer</a>` : html` <span class="muted" data-review-correct>Correct in viewer: edit the segmentation in OHIF or 3D Slicer and store it to this node or the PACS.</span>`}</p>
<p><label>Reason <select name="reasonCode">${Object.entries(REJECT_REASONS).map(([code, text]) => html`<option value="${code}">${text}</option>`)}</select></label>
<label>Details <input type="text" name="reasonText" maxlength="1000"></label>
<button type="button" class="secondary" data-review-reject>Reject</button></p>
<p class="muted" data-review-message role="status"></p>
</form>`;
}

const TISSUE_FIELDS: Array<[string, string, string[]]> = [
  ['idh', 'IDH', ['wildtype', 'mutant']],
  ['codeletion1p19q', '1p/19q', ['intact', 'codeleted']],
  ['grade', 'CNS WHO grade', ['2', '3', '4']],
  ['histology', 'Histology', ['astrocytoma', 'oligodendroglioma', 'glioblastoma', 'metastasis', 'other']],
  ['egfr', 'EGFR', ['wildtype', 'mutant']],
];

/** Tissue results form (POST /api/results/{id}/molecular); empty selects are left out. */
function tissueForm(jobId: number, r: ResultReview): SafeHtml {
  return html`<form class="review-form" data-tissue-form data-job="${jobId}" data-model="${r.result.model}">
<p>${TISSUE_FIELDS.map(([name, label, values]) => html`<label>${label} <select name="${name}"><option value="">–</option>${values.map((v) => html`<option value="${v}">${v}</option>`)}</select></label> `)}
<button type="button" class="secondary" data-tissue-save>Save tissue results</button></p>
<p class="muted" data-tissue-message role="status"></p>
</form>`;
}

export function reviewPanel(jobId: number, reviews: readonly ResultReview[], o: { canReview: boolean; ohifUrl?: string }): SafeHtml {
  if (!reviews.length) return html``;
  return html`${reviews.map(
    (r) => html`<section class="panel" data-review="${r.result.model}">
<h2>Review · ${r.result.model} <span class="muted">${r.result.modelVersion}</span></h2>
<p>State: <span class="pill s-${r.state === 'accepted' ? 'ok' : r.state === 'rejected' ? 'failed' : r.state === 'corrected' ? 'retrying' : 'pending'}" data-review-state="${r.state}">${r.state}</span>${r.history.length ? html` · last by ${r.history.at(-1)!.reviewer} ${when(r.history.at(-1)!.reviewedAt)}` : ''}</p>
${o.canReview ? actions(jobId, r, o.ohifUrl) : html`<p class="muted">You can see but not review results (the review scope is needed).</p>`}
${agreementTable(r)}
${history(r)}
${tissue(r)}
${o.canReview ? tissueForm(jobId, r) : ''}
</section>`,
  )}`;
}

export const REVIEW_JS = String.raw`'use strict';
(function () {
  // POST a form's JSON to /api/results/{job}{path}; reload on success, say why on failure.
  function post(form, path, body, msg, saved) {
    fetch('/api/results/' + form.getAttribute('data-job') + path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then(function (r) {
      return r.json().then(function (j) {
        if (!r.ok) throw new Error(j.error || 'HTTP ' + r.status);
        saved(j);
        location.reload();
      });
    }).catch(function (e) {
      msg.textContent = 'Not saved: ' + e.message;
    });
  }
  function send(form, body) {
    var msg = form.querySelector('[data-review-message]');
    msg.textContent = 'Saving…';
    body.model = form.getAttribute('data-model');
    var name = form.querySelector('[name=reviewerName]').value.trim();
    if (name) body.reviewerName = name;
    post(form, '/review', body, msg, function (j) {
      msg.textContent = 'Saved: ' + j.state + '.';
    });
  }
  document.querySelectorAll('[data-tissue-form]').forEach(function (form) {
    form.querySelector('[data-tissue-save]').addEventListener('click', function () {
      var body = { model: form.getAttribute('data-model') };
      form.querySelectorAll('select').forEach(function (s) {
        if (s.value) body[s.name] = s.value;
      });
      var msg = form.querySelector('[data-tissue-message]');
      post(form, '/molecular', body, msg, function () {});
    });
  });
  document.querySelectorAll('[data-review-form]:not([data-tissue-form])').forEach(function (form) {
    form.querySelector('[data-review-accept]').addEventListener('click', function () {
      send(form, { decision: 'accepted' });
    });
    form.querySelector('[data-review-reject]').addEventListener('click', function () {
      var text = form.querySelector('[name=reasonText]').value.trim();
      var body = { decision: 'rejected', reasonCode: form.querySelector('[name=reasonCode]').value };
      if (text) body.reasonText = text;
      send(form, body);
    });
  });
})();
`;
