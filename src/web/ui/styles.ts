/**
 * The UI's one style sheet, served as /ui/assets/ui.css (the Content-Security-Policy allows styles from the node
 * only, so there are no inline styles anywhere). Plain CSS, system fonts, no external resources.
 */
export const UI_CSS = `
:root {
  --bg: #f4f6f8; --panel: #fff; --ink: #1d2733; --muted: #5b6776; --line: #d9dfe6; --accent: #1f5fa8;
  --ok: #1c7c3c; --ok-bg: #e3f4e8; --warn: #8a5a00; --warn-bg: #fff3d6; --bad: #b3261e; --bad-bg: #fde7e5;
  --run: #1f5fa8; --run-bg: #e1ecf9; --idle: #6b7684; --idle-bg: #eef1f4;
}
* { box-sizing: border-box; }
html { font-size: 15px; }
body { margin: 0; background: var(--bg); color: var(--ink); line-height: 1.45;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif; }
a { color: var(--accent); }
code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.9em; }
header.top { background: #16202b; color: #fff; padding: 0.7rem 1.5rem; display: flex; align-items: baseline; gap: 1.5rem; flex-wrap: wrap; }
header.top .brand { font-weight: 700; font-size: 1.1rem; letter-spacing: 0.01em; color: #fff; text-decoration: none; }
header.top nav a { color: #c9d6e5; text-decoration: none; margin-right: 1rem; }
header.top nav a:hover { color: #fff; text-decoration: underline; }
header.top .meta { margin-left: auto; color: #9fb0c3; font-size: 0.85rem; }
.banner { background: #fff1c2; border-bottom: 2px solid #e0b000; color: #5a3d00; padding: 0.6rem 1.5rem; font-weight: 600; }
.banner strong { color: #3d2900; letter-spacing: 0.03em; }
main { max-width: 1280px; margin: 0 auto; padding: 1.2rem 1.5rem 3rem; }
h1 { font-size: 1.5rem; margin: 0.4rem 0 0.8rem; }
h2 { font-size: 1.15rem; margin: 0 0 0.7rem; }
h3 { font-size: 1rem; margin: 1rem 0 0.5rem; }
section.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 1rem 1.2rem; margin-bottom: 1.2rem; }
.sub { color: var(--muted); font-size: 0.9rem; margin: -0.4rem 0 1rem; }
.muted { color: var(--muted); }
.cards { display: flex; gap: 0.8rem; flex-wrap: wrap; margin-bottom: 1.2rem; }
.search { display: flex; gap: 0.6rem 1rem; flex-wrap: wrap; align-items: end; margin-bottom: 0.4rem; }
.search label { display: flex; flex-direction: column; font-size: 0.85rem; color: var(--muted); gap: 0.2rem; }
.pager { font-size: 0.9rem; margin: 0 0 1rem; }
.pager a { margin-left: 0.8rem; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 0.6rem 1rem; min-width: 8.5rem; }
.card .n { font-size: 1.6rem; font-weight: 700; display: block; }
.card .l { color: var(--muted); font-size: 0.85rem; }
.card.bad .n { color: var(--bad); }
table { border-collapse: collapse; width: 100%; font-size: 0.92rem; }
th, td { text-align: left; padding: 0.45rem 0.6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; font-size: 0.8rem; text-transform: uppercase; letter-spacing: 0.04em; background: #f8fafb; }
tbody tr:hover { background: #f8fbff; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td .mono, td.mono, td.t, td.nowrap { white-space: nowrap; }
figure { margin: 0; }
td.empty { color: var(--muted); text-align: center; padding: 1.2rem; }
.pill { display: inline-block; border-radius: 999px; padding: 0.08rem 0.6rem; font-size: 0.8rem; font-weight: 600; white-space: nowrap; }
.s-done, .s-ok, .s-delivered, .s-ready { color: var(--ok); background: var(--ok-bg); }
.s-failed, .s-dead-letter, .s-error { color: var(--bad); background: var(--bad-bg); }
.s-retrying, .s-receiving, .s-interrupted, .s-superseded { color: var(--warn); background: var(--warn-bg); }
.s-running, .s-identifying, .s-preprocessing, .s-inferring, .s-encoding, .s-delivering, .s-queued { color: var(--run); background: var(--run-bg); }
.s-pending, .s-skipped, .s-received, .s-not-sent { color: var(--idle); background: var(--idle-bg); }
.stages { display: flex; gap: 3px; }
.stage { font-size: 0.72rem; padding: 0.1rem 0.4rem; border-radius: 3px; white-space: nowrap; }
.error { color: var(--bad); max-width: 32rem; word-break: break-word; }
button { font: inherit; font-size: 0.85rem; border-radius: 4px; border: 1px solid var(--accent); background: var(--accent); color: #fff; padding: 0.25rem 0.7rem; cursor: pointer; }
button.secondary { background: #fff; color: var(--accent); }
a.button { display: inline-block; font-size: 0.85rem; border-radius: 4px; border: 1px solid var(--accent); padding: 0.25rem 0.7rem; text-decoration: none; }
.review-form label { margin-right: 0.6rem; }
button:disabled { opacity: 0.5; cursor: default; }
.actions { white-space: nowrap; }
.actions a { margin-right: 0.6rem; }
#status { min-height: 1.4rem; color: var(--muted); font-size: 0.9rem; margin-bottom: 0.6rem; }
#status.bad { color: var(--bad); }
.grid2 { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 1.2rem; }
@media (max-width: 900px) { .grid2 { grid-template-columns: minmax(0, 1fr); } }
.keyimage { max-width: 100%; image-rendering: pixelated; border: 1px solid var(--line); border-radius: 4px; background: #000; }
.bar { display: inline-block; width: 8rem; height: 0.6rem; background: var(--idle-bg); border-radius: 3px; vertical-align: middle; margin-right: 0.4rem; overflow: hidden; }
.bar > span { display: block; height: 100%; background: var(--accent); }
.w0 { width: 0 } .w5 { width: 5% } .w10 { width: 10% } .w15 { width: 15% } .w20 { width: 20% } .w25 { width: 25% }
.w30 { width: 30% } .w35 { width: 35% } .w40 { width: 40% } .w45 { width: 45% } .w50 { width: 50% } .w55 { width: 55% }
.w60 { width: 60% } .w65 { width: 65% } .w70 { width: 70% } .w75 { width: 75% } .w80 { width: 80% } .w85 { width: 85% }
.w90 { width: 90% } .w95 { width: 95% } .w100 { width: 100% }
.dx { font-size: 1.15rem; font-weight: 700; margin: 0.2rem 0 0.4rem; }
.dx.indeterminate { color: var(--warn); }
.warn { color: var(--warn); font-weight: 600; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
pre.narrative { white-space: pre-wrap; background: #f8fafb; border: 1px solid var(--line); border-radius: 4px; padding: 0.8rem; font-size: 0.88rem; }
ul.reasons { margin: 0; padding-left: 1.1rem; color: var(--muted); font-size: 0.85rem; }
.swatch { display: inline-block; width: 0.8rem; height: 0.8rem; border-radius: 2px; vertical-align: middle; margin-right: 0.35rem; }
.c-NCR { background: rgb(220,40,40); } .c-ED { background: rgb(40,200,60); } .c-ET { background: rgb(250,220,0); }
.c-GTV { background: rgb(230,60,220); } .c-TC { background: rgb(240,130,20); } .c-WT { background: rgb(70,130,255); }
footer { color: var(--muted); font-size: 0.8rem; text-align: center; padding: 1rem; }

/* Result page: whose scan it is, the slice viewer, the volume bar, the importance heatmap. */
section.ctx { border-left: 4px solid var(--accent); padding: 0.6rem 1rem; }
dl.ctx { display: flex; flex-wrap: wrap; gap: 0.3rem 2rem; margin: 0; }
dl.ctx dt { color: var(--muted); font-size: 0.78rem; text-transform: uppercase; letter-spacing: 0.04em; }
dl.ctx dd { margin: 0; font-weight: 700; font-size: 1.1rem; overflow-wrap: anywhere; }
.sub { overflow-wrap: anywhere; }
.viewer canvas { display: block; max-width: 100%; height: auto; background: #000; border-radius: 4px; touch-action: none; cursor: crosshair; }
.viewer canvas:focus { outline: 2px solid var(--accent); outline-offset: 2px; }
.viewer-bar { display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; align-items: center; margin-bottom: 0.5rem; font-size: 0.9rem; }
.viewer input[type=range] { width: 100%; max-width: 512px; margin: 0.4rem 0 0; }
.viewer p { margin: 0.3rem 0; font-size: 0.85rem; }
.stack { display: flex; height: 1.1rem; border-radius: 3px; overflow: hidden; margin: 0.7rem 0 0.3rem; background: var(--idle-bg); }
.stack > span { display: block; height: 100%; }
.legend { font-size: 0.85rem; margin: 0 0 0.6rem; }
table.heatmap td.heat { text-align: center; }
table.heatmap tbody th { text-transform: none; letter-spacing: 0; font-size: 0.92rem; color: var(--ink); background: none; }
.h0 { background: #f6f8fb; } .h1 { background: #dbe8f6; } .h2 { background: #b4cfee; }
.h3 { background: #7eaae0; } .h4 { background: #3f7bc6; color: #fff; } .h5 { background: #1f4f8f; color: #fff; }
${Array.from({ length: 101 }, (_, i) => `.p${i} { width: ${i}% }`).join(' ')}

/* Phones: tables scroll inside their panel instead of widening the page. */
@media (max-width: 700px) {
  main { padding: 0.8rem 0.6rem 2rem; }
  section.panel { padding: 0.8rem; }
  header.top { padding: 0.6rem 0.8rem; gap: 0.8rem; }
  .banner { padding: 0.5rem 0.8rem; }
  main table { display: block; overflow-x: auto; max-width: 100%; }
  th, td { padding: 0.35rem 0.4rem; }
  th { letter-spacing: 0; }
  dl.facts { grid-template-columns: 1fr; }
  dl.facts dt { margin-top: 0.3rem; }
  .error { max-width: 100%; }
}

/* Patient page: large, calm, readable. */
body.patient { background: #fbfaf7; }
body.patient main { max-width: 46rem; font-size: 1.25rem; line-height: 1.6; }
body.patient h1 { font-size: 2rem; }
body.patient h2 { font-size: 1.4rem; margin-top: 0.2rem; }
body.patient section.panel { padding: 1.3rem 1.6rem; }
body.patient .banner { font-size: 1.1rem; }
body.patient .sub { font-size: 1rem; margin-top: 0; }
body.patient .guess { margin: 0 0 0.9rem; }
body.patient .guess .what { font-weight: 600; }
body.patient ul { padding-left: 1.3rem; }
body.patient li { margin-bottom: 0.4rem; }
@media print { header.top nav, button { display: none; } body { background: #fff; } section.panel { border: 0; } }
`;

/** A small favicon (a rounded square with a brain-ish arc), so browsers do not ask for /favicon.ico. */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#16202b"/><path d="M9 20c0-6 3-10 7-10s7 4 7 10" fill="none" stroke="#e0b000" stroke-width="3" stroke-linecap="round"/><circle cx="16" cy="20" r="2.5" fill="#fff"/></svg>`;
