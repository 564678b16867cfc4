/**
 * The status page as HTML, from the same summary as `summary.json`: one self-contained document
 * (inline style, no script, no external asset), readable without colour (each state is written
 * out), with landmarks and headings for screen readers. Every value is escaped.
 */

const escapes: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const esc = (s: unknown): string => String(s ?? '').replace(/[&<>"']/g, (c) => escapes[c] ?? c);

const words: Record<string, string> = {
  operational: 'Operational',
  under_maintenance: 'Under maintenance',
  degraded_performance: 'Degraded performance',
  partial_outage: 'Partial outage',
  major_outage: 'Major outage',
};

interface Summary {
  page: { name: string; updated_at: string };
  components: { id: string; name: string; status: string }[];
  incidents: {
    id: string;
    name: string;
    status: string;
    incident_updates: { status: string; body: string; created_at: string }[];
  }[];
  status: { indicator: string; description: string };
}

const style = `body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:48rem;padding:1rem;color:#111;background:#fff}
.state{font-weight:600}.operational{color:#0a6b2d}.degraded_performance,.partial_outage{color:#8a5300}
.major_outage{color:#a40000}.under_maintenance{color:#1f4f99}li{margin:.25rem 0}
article{border-top:1px solid #ccc;margin-top:1rem}pre{white-space:pre-wrap;font:inherit;margin:.25rem 0 1rem}`;

function component(c: Summary['components'][number]): string {
  const word = words[c.status] ?? c.status;
  return `<li id="component-${esc(c.id)}" data-status="${esc(c.status)}">${esc(c.name)}: <span class="state ${esc(c.status)}">${esc(word)}</span></li>`;
}

function incident(i: Summary['incidents'][number]): string {
  // Oldest first on the page: a reader follows the story down.
  const updates = [...i.incident_updates]
    .reverse()
    .map(
      (u) =>
        `<li><p><strong>${esc(u.status)}</strong> <time datetime="${esc(u.created_at)}">${esc(u.created_at)}</time></p><pre>${esc(u.body)}</pre></li>`,
    )
    .join('');
  return `<article id="incident-${esc(i.id)}" aria-labelledby="incident-${esc(i.id)}-name"><h3 id="incident-${esc(i.id)}-name">${esc(i.name)}</h3><p>Status: <span class="state">${esc(i.status)}</span></p><ol class="updates">${updates}</ol></article>`;
}

export function statusPage(summary: Summary): string {
  const s = summary;
  const incidents =
    s.incidents.length === 0 ? '<p>No incidents reported.</p>' : s.incidents.map(incident).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(s.page.name)} status</title><style>${style}</style></head>
<body><header><h1>${esc(s.page.name)} status</h1>
<p role="status" id="overall" data-indicator="${esc(s.status.indicator)}">${esc(s.status.description)}</p></header>
<main><section aria-labelledby="components-h"><h2 id="components-h">Components</h2><ul id="components">${s.components.map(component).join('')}</ul></section>
<section aria-labelledby="incidents-h"><h2 id="incidents-h">Incidents</h2>${incidents}</section></main>
<footer><p>Updated <time datetime="${esc(s.page.updated_at)}">${esc(s.page.updated_at)}</time></p></footer></body></html>
`;
}
