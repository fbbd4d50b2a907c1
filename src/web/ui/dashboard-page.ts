/**
 * GET /ui: the operator dashboard. Server-rendered for the first paint; dashboard-script.ts then polls
 * /ui/dashboard.json and redraws the same tables (same markup, built with DOM calls), and wires the Retry and
 * Mark-complete buttons to the operator API. No patient attributes: see dashboard-data.ts.
 */
import type { DashboardData, DashboardJob, DashboardStudy } from './dashboard-data';
import { shortUid, when } from './format';
import { html, type SafeHtml } from './html';
import { page } from './layout';

export const STAGE_LABELS: Record<string, string> = {
  identifying: 'identify',
  preprocessing: 'preprocess',
  inferring: 'infer',
  encoding: 'encode',
  delivering: 'deliver',
};

function uidCell(uid: string): SafeHtml {
  return html`<span class="mono" title="${uid}">${shortUid(uid, 26)}</span>`;
}

export function studyRow(s: DashboardStudy): SafeHtml {
  return html`<tr data-study-uid="${s.studyInstanceUid}">
<td>${uidCell(s.studyInstanceUid)}</td>
<td><span class="pill s-${s.state}" data-state="${s.state}">${s.state}</span>${s.generation > 1 ? html` <span class="muted">gen ${s.generation}</span>` : ''}</td>
<td class="num">${s.seriesCount}</td>
<td class="num">${s.instanceCount}</td>
<td class="t">${when(s.firstArrivalAt)}</td>
<td class="t">${when(s.lastArrivalAt)}</td>
<td>${s.readyAt != null ? html`${when(s.readyAt)} <span class="muted">(${s.readyReason === 'api' ? 'marked complete' : 'quiet period'})</span>` : '–'}</td>
<td>${s.latestJobId != null ? html`<a href="#job-${s.latestJobId}">#${s.latestJobId}</a>` : '–'}</td>
<td class="actions">${s.state === 'receiving' ? html`<button type="button" class="secondary" data-action="ready" data-study="${s.studyInstanceUid}">Mark complete</button>` : ''}</td>
</tr>`;
}

export function jobRowHtml(j: DashboardJob, patientPage = false): SafeHtml {
  const stages = j.stages.map(
    (c) => html`<span class="stage s-${c.status}" data-stage="${c.stage}" data-status="${c.status}" title="${STAGE_LABELS[c.stage]}: ${c.status}${c.detail ? ` — ${c.detail}` : ''}">${STAGE_LABELS[c.stage]}</span>`,
  );
  const err = j.lastError ? html`<span class="error" data-error>${j.lastError.stage}: ${j.lastError.message}</span>` : '';
  return html`<tr id="job-${j.id}" data-job-id="${j.id}">
<td>${j.hasResults ? html`<a href="/ui/jobs/${j.id}">#${j.id}</a>` : html`#${j.id}`}</td>
<td>${uidCell(j.studyInstanceUid)}${j.generation > 1 ? html` <span class="muted">gen ${j.generation}</span>` : ''}</td>
<td><span class="pill s-${j.state}" data-state="${j.state}">${j.stateLabel}</span>${j.ranOn ? html` <span class="muted" data-ran-on>on ${j.ranOn}</span>` : ''}</td>
<td><div class="stages">${stages}</div></td>
<td>${err}</td>
<td class="t">${when(j.updatedAt)}</td>
<td class="actions">${j.hasResults ? html`<a href="/ui/jobs/${j.id}">Results</a>${patientPage ? html`<a href="/ui/jobs/${j.id}/patient">Patient version</a>` : ''}` : ''}${j.canRetry ? html`<button type="button" class="${j.state === 'done' ? 'secondary' : ''}" data-action="retry" data-job="${j.id}">${j.state === 'done' ? 'Re-run' : 'Retry'}</button>` : ''}</td>
</tr>`;
}

function counts(d: DashboardData): SafeHtml {
  const card = (key: keyof DashboardData['counts'], label: string, cls = ''): SafeHtml =>
    html`<div class="card ${cls}"><span class="n" data-count="${key}">${d.counts[key]}</span><span class="l">${label}</span></div>`;
  return html`<div class="cards">${card('receiving', 'studies receiving')}${card('ready', 'studies complete')}${card('active', 'jobs in progress')}${card('done', 'jobs done')}${card('failed', 'jobs failed', d.counts.failed ? 'bad' : '')}</div>`;
}

const STATE_OPTIONS = ['received', 'ready', 'identifying', 'preprocessing', 'inferring', 'encoding', 'delivering', 'done', 'failed', 'superseded'];

/** The search form (a plain GET form: works without the script) and the pager. */
function search(d: DashboardData, accession: boolean): SafeHtml {
  const f = d.filter;
  const link = (page: number): string => {
    const q = new URLSearchParams();
    for (const k of ['state', 'from', 'to', 'accession'] as const) if (f[k]) q.set(k, f[k]);
    if (page > 1) q.set('page', String(page));
    const s = q.toString();
    return s ? `/ui?${s}` : '/ui';
  };
  const p = d.page;
  return html`<form class="search" method="get" action="/ui" role="search" data-search>
<label>Job state <select name="state"><option value="">any</option>${STATE_OPTIONS.map((s) => html`<option value="${s}"${f.state === s ? html` selected` : ''}>${s}</option>`)}</select></label>
<label>From <input type="date" name="from" value="${f.from ?? ''}"></label>
<label>To <input type="date" name="to" value="${f.to ?? ''}"></label>
${accession ? html`<label>Accession <input type="search" name="accession" value="${f.accession ?? ''}" maxlength="64" autocomplete="off"></label>` : ''}
<button type="submit">Search</button>${f.state || f.from || f.to || f.accession ? html` <a href="/ui">Clear</a>` : ''}
</form>
<p class="pager" data-pager>Page ${p.number} of ${p.pages} <span class="muted">(${p.studies} studies, ${p.jobs} jobs match; ${p.size} per page)</span>${p.number > 1 ? html` <a href="${link(p.number - 1)}" rel="prev">Previous</a>` : ''}${p.number < p.pages ? html` <a href="${link(p.number + 1)}" rel="next">Next</a>` : ''}</p>`;
}

/** `accession`: the viewer may search by accession number (operate scope). */
export function renderDashboard(d: DashboardData, accession = true): string {
  const body = html`<h1>Operator dashboard</h1>
<p class="sub">Studies this node received and the analysis job of each. Updated <span id="updated">${when(d.generatedAt)}</span>; refreshes every few seconds.</p>
<p id="status" role="status" aria-live="polite"></p>
${counts(d)}
${search(d, accession)}
<section class="panel">
<h2>Studies received</h2>
<table>
<thead><tr><th>Study Instance UID</th><th>State</th><th class="num">Series</th><th class="num">Instances</th><th>First received</th><th>Last received</th><th>Complete</th><th>Job</th><th></th></tr></thead>
<tbody id="studies-body">${d.studies.length ? d.studies.map(studyRow) : html`<tr><td class="empty" colspan="9">No studies received yet.</td></tr>`}</tbody>
</table>
</section>
<section class="panel">
<h2>Jobs</h2>
<table>
<thead><tr><th>Job</th><th>Study</th><th>State</th><th>Stages</th><th>Last error</th><th>Updated</th><th></th></tr></thead>
<tbody id="jobs-body">${d.jobs.length ? d.jobs.map((j) => jobRowHtml(j, d.patientPage)) : html`<tr><td class="empty" colspan="7">No jobs yet.</td></tr>`}</tbody>
</table>
</section>`;
  return page({ title: 'Dashboard', node: d.node, body, scripts: ['/ui/assets/dashboard.js'] });
}
