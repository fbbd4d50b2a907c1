/** The page shell every UI page shares: head (style sheet from the node), top bar, research-use banner, footer. */
import { html, type HtmlValue, type SafeHtml } from './html';

export const RESEARCH_BANNER_TITLE = 'RESEARCH USE ONLY';
export const RESEARCH_BANNER_TEXT = 'Model trained on synthetic data. Not for diagnosis or treatment decisions; results are not clinically validated.';

export interface PageOptions {
  title: string;
  node: { name: string; version: string };
  body: HtmlValue;
  /** Extra class on <body> (the patient page uses "patient"). */
  bodyClass?: string;
  /** Scripts served by the node (paths under /ui/assets). */
  scripts?: string[];
  /** Research-use banner text (the patient page words it for patients). */
  banner?: SafeHtml;
  /** Hide the operator navigation (patient page). */
  plain?: boolean;
}

export function page(o: PageOptions): string {
  const banner = o.banner ?? html`<strong>${RESEARCH_BANNER_TITLE}</strong> — ${RESEARCH_BANNER_TEXT}`;
  const doc = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${o.title} · ${o.node.name}</title>
<link rel="icon" href="/ui/assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/ui/assets/ui.css">
${(o.scripts ?? []).map((s) => html`<script src="${s}" defer></script>`)}
</head>
<body class="${o.bodyClass ?? ''}">
<header class="top">
  ${o.plain ? html`<span class="brand">Brain MRI research analysis</span>` : html`<a class="brand" href="/ui">${o.node.name}</a>
  <nav><a href="/ui">Dashboard</a> <a href="/ui/monitoring">Monitoring</a></nav>
  <span class="meta">neuro-onc-node ${o.node.version}</span>`}
</header>
<div class="banner" role="note" id="research-banner">${banner}</div>
<main>
${o.body}
</main>
<footer>neuro-onc-node ${o.node.version} · research use only</footer>
</body>
</html>
`;
  return doc.value;
}
