/**
 * The dashboard's browser script, served as /ui/assets/dashboard.js (the Content-Security-Policy allows scripts
 * from the node only: no inline script, no eval). It polls /ui/dashboard.json every few seconds and redraws the
 * tables with the same markup as dashboard-page.ts, using DOM calls and textContent only (never innerHTML), and
 * sends the Retry / Mark-complete buttons to the operator API. Kept as plain ES2020 in a string because the node
 * has no front-end build step; test/web-ui drives it in a real Chromium.
 */
export const DASHBOARD_JS = String.raw`'use strict';
(function () {
  var POLL_MS = 3000;
  var LABELS = { identifying: 'identify', preprocessing: 'preprocess', inferring: 'infer', encoding: 'encode', delivering: 'deliver' };

  function when(ms) {
    if (ms == null) return '\u2013';
    return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  }
  function shortUid(uid, keep) {
    return uid.length <= keep + 1 ? uid : '\u2026' + uid.slice(-keep);
  }
  function el(tag, attrs) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) if (attrs[k] != null) e.setAttribute(k, String(attrs[k]));
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c == null || c === false) continue;
      e.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    }
    return e;
  }
  function frag() {
    var f = document.createDocumentFragment();
    for (var i = 0; i < arguments.length; i++) if (arguments[i]) f.appendChild(typeof arguments[i] === 'string' ? document.createTextNode(arguments[i]) : arguments[i]);
    return f;
  }
  function uidCell(uid) {
    return el('span', { class: 'mono', title: uid }, shortUid(uid, 26));
  }
  function muted(text) {
    return el('span', { class: 'muted' }, text);
  }

  function studyRow(s) {
    return el('tr', { 'data-study-uid': s.studyInstanceUid },
      el('td', null, uidCell(s.studyInstanceUid)),
      el('td', null, el('span', { class: 'pill s-' + s.state, 'data-state': s.state }, s.state), s.generation > 1 ? frag(' ', muted('gen ' + s.generation)) : null),
      el('td', { class: 'num' }, s.seriesCount),
      el('td', { class: 'num' }, s.instanceCount),
      el('td', { class: 't' }, when(s.firstArrivalAt)),
      el('td', { class: 't' }, when(s.lastArrivalAt)),
      el('td', null, s.readyAt != null ? frag(when(s.readyAt) + ' ', muted(s.readyReason === 'api' ? '(marked complete)' : '(quiet period)')) : '\u2013'),
      el('td', null, s.latestJobId != null ? el('a', { href: '#job-' + s.latestJobId }, '#' + s.latestJobId) : '\u2013'),
      el('td', { class: 'actions' }, s.state === 'receiving' ? el('button', { type: 'button', class: 'secondary', 'data-action': 'ready', 'data-study': s.studyInstanceUid }, 'Mark complete') : null));
  }

  function jobRow(j, patientPage) {
    var stages = el('div', { class: 'stages' });
    j.stages.forEach(function (c) {
      stages.appendChild(el('span', { class: 'stage s-' + c.status, 'data-stage': c.stage, 'data-status': c.status,
        title: LABELS[c.stage] + ': ' + c.status + (c.detail ? ' \u2014 ' + c.detail : '') }, LABELS[c.stage]));
    });
    var actions = el('td', { class: 'actions' });
    if (j.hasResults) {
      actions.appendChild(el('a', { href: '/ui/jobs/' + j.id }, 'Results'));
      if (patientPage) actions.appendChild(el('a', { href: '/ui/jobs/' + j.id + '/patient' }, 'Patient version'));
    }
    if (j.canRetry) {
      var rerun = j.state === 'done';
      actions.appendChild(el('button', { type: 'button', class: rerun ? 'secondary' : '', 'data-action': 'retry', 'data-job': j.id }, rerun ? 'Re-run' : 'Retry'));
    }
    return el('tr', { id: 'job-' + j.id, 'data-job-id': j.id },
      el('td', null, j.hasResults ? el('a', { href: '/ui/jobs/' + j.id }, '#' + j.id) : '#' + j.id),
      el('td', null, uidCell(j.studyInstanceUid), j.generation > 1 ? frag(' ', muted('gen ' + j.generation)) : null),
      el('td', null, el('span', { class: 'pill s-' + j.state, 'data-state': j.state }, j.stateLabel || j.state), j.ranOn ? frag(' ', el('span', { class: 'muted', 'data-ran-on': '' }, 'on ' + j.ranOn)) : null),
      el('td', null, stages),
      el('td', null, j.lastError ? el('span', { class: 'error', 'data-error': '' }, j.lastError.stage + ': ' + j.lastError.message) : null),
      el('td', { class: 't' }, when(j.updatedAt)),
      actions);
  }

  function fill(id, rows, empty, cols) {
    var body = document.getElementById(id);
    if (!body) return;
    var f = document.createDocumentFragment();
    if (!rows.length) f.appendChild(el('tr', null, el('td', { class: 'empty', colspan: cols }, empty)));
    rows.forEach(function (r) { f.appendChild(r); });
    body.replaceChildren(f);
  }

  function render(d) {
    fill('studies-body', d.studies.map(studyRow), 'No studies received yet.', 9);
    fill('jobs-body', d.jobs.map(function (j) { return jobRow(j, d.patientPage); }), 'No jobs yet.', 7);
    Object.keys(d.counts).forEach(function (k) {
      var n = document.querySelector('[data-count="' + k + '"]');
      if (!n) return;
      n.textContent = String(d.counts[k]);
      if (k === 'failed') n.parentElement.classList.toggle('bad', d.counts[k] > 0);
    });
    var u = document.getElementById('updated');
    if (u) u.textContent = when(d.generatedAt);
  }

  function say(text, bad) {
    var s = document.getElementById('status');
    if (!s) return;
    s.textContent = text;
    s.className = bad ? 'bad' : '';
  }

  var timer = null;
  function refresh() {
    if (timer) clearTimeout(timer);
    // The same search and page as the page was opened with.
    return fetch('/ui/dashboard.json' + window.location.search, { headers: { Accept: 'application/json' }, cache: 'no-store' })
      .then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      })
      .then(function (d) {
        render(d);
        if (document.getElementById('status').className === 'bad' && /refresh/.test(document.getElementById('status').textContent)) say('');
      })
      .catch(function (e) { say('Could not refresh: ' + e.message + ' (retrying)', true); })
      .then(function () { timer = setTimeout(refresh, POLL_MS); });
  }

  function post(url, what) {
    say(what + '\u2026');
    return fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: '{}' })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (b) {
          if (!r.ok) throw new Error(b.error || 'HTTP ' + r.status);
          return b;
        });
      })
      .then(function () { say(what + ': accepted.'); })
      .catch(function (e) { say(what + ' failed: ' + e.message, true); })
      .then(refresh);
  }

  document.addEventListener('click', function (ev) {
    var b = ev.target && ev.target.closest ? ev.target.closest('button[data-action]') : null;
    if (!b || b.disabled) return;
    b.disabled = true;
    if (b.getAttribute('data-action') === 'retry') {
      var id = b.getAttribute('data-job');
      // A re-run repeats the whole analysis and sends the results to the destinations again: ask first.
      if (b.textContent === 'Re-run' && !window.confirm('Re-run job ' + id + ' from the first stage? Its results are sent to the destinations again.')) {
        b.disabled = false;
        return;
      }
      post('/api/jobs/' + encodeURIComponent(id) + '/retry', (b.textContent === 'Re-run' ? 'Re-run' : 'Retry') + ' of job ' + id);
    } else if (b.getAttribute('data-action') === 'ready') {
      var uid = b.getAttribute('data-study');
      post('/api/studies/' + encodeURIComponent(uid) + '/ready', 'Marking study ' + shortUid(uid, 26) + ' complete');
    }
  });

  timer = setTimeout(refresh, POLL_MS);
})();
`;
