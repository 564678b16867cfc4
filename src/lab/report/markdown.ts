/**
 * The drill's report in Markdown: the verdict first, then each objective with its target, what
 * was measured and how, then measured findings, totals over the run and the timeline. Numbers
 * are shown as measured (decimals trimmed to three places for reading; result.json keeps them
 * whole).
 */
import type { DrillIncident, DrillResult, DrillSecond, ObjectiveResult } from '../drill/result.ts';

const fmt = (n: number | null): string =>
  n === null
    ? 'not measured'
    : Number.isInteger(n)
      ? n.toLocaleString('en-US')
      : String(Number(n.toFixed(3)));

const cell = (s: string): string => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

function header(r: DrillResult): string[] {
  const mode = r.protected
    ? 'protected'
    : 'unprotected (admission off, no last-known-good, no kick breaker, naive clients)';
  return [
    `# Drill \`${r.scenario}\`: ${r.passed ? 'PASSED' : 'FAILED'}`,
    '',
    `Seed ${r.seed}, ${mode}; ${fmt(r.players)} players; ${fmt(r.durationSeconds)} scenario seconds at time scale ${fmt(r.timeScale)}, in ${fmt(r.wallSeconds)} s on the wall clock.`,
    `Started ${r.startedAt} on ${r.machine.model} (${r.machine.cpus} cores), Node ${r.machine.node}.`,
    '',
  ];
}

function objectives(list: readonly ObjectiveResult[]): string[] {
  if (list.length === 0) return ['## Objectives', '', 'The scenario sets none.', ''];
  return [
    '## Objectives',
    '',
    '| objective | target | measured | result | how it was measured |',
    '|---|---:|---:|---|---|',
    ...list.map(
      (o) =>
        `| \`${o.name}\` | ${fmt(o.target)} | ${fmt(o.measured)} | ${o.passed ? 'pass' : '**FAIL**'} | ${cell(o.detail)} |`,
    ),
    '',
  ];
}

function findings(r: DrillResult): string[] {
  if (r.findings.length === 0) return [];
  return [
    '## Findings',
    '',
    '| finding | value | how it was measured |',
    '|---|---:|---|',
    ...r.findings.map((f) => `| ${cell(f.name)} | ${fmt(f.value)} | ${cell(f.detail)} |`),
    '',
  ];
}

/** The post-mortem file a report writes for an incident (index.ts), linked from the section. */
export const postmortemFile = (i: Pick<DrillIncident, 'id'>): string =>
  `postmortem-${i.id.replaceAll(/[^a-zA-Z0-9-]/g, '_')}.md`;

const at = (t: number | null): string => (t === null ? 'not reached' : `${fmt(t)} s`);

/**
 * The interval the drill measured for Lifeline's side of the network, and whether the
 * post-mortem's RTO is inside it (docs/DRILLS.md, "Incidents"); no row without one.
 */
function boundsRow(i: DrillIncident): string[] {
  const b = i.rtoBounds;
  if (!b) return [];
  const verdict = b.within === null ? 'not checkable' : b.within ? 'within' : '**outside**';
  return [
    `| RTO on Lifeline's side of the network (s, the drill's interval) | ${verdict} | ${fmt(b.lower)} to ${fmt(b.upper)} |`,
  ];
}

function incidentLines(i: DrillIncident, r: DrillResult): string[] {
  const rto = r.objectives.find((o) => o.name === 'rtoSeconds');
  const unsettled = r.objectives.find((o) => o.name === 'rpo.maxUnsettled');
  const kick = i.firstKick
    ? ` The drill sent its first kick at ${fmt(i.firstKick.sent)} s and had the first accepted one answered at ${at(i.firstKick.answered)}.`
    : '';
  return [
    `### ${cell(i.severity)} ${cell(i.title)} (\`${i.id}\`)`,
    '',
    `Declared by \`${cell(i.declaredBy)}\` at ${fmt(i.at.declared)} s; onset ${fmt(i.at.started)} s, detected ${fmt(i.at.detected)} s, mitigated ${at(i.at.mitigated)}, resolved ${at(i.at.resolved)}; now \`${i.status}\`.${kick}`,
    '',
    '| | Lifeline (post-mortem) | the drill |',
    '|---|---:|---:|',
    `| RTO (s, first kick to the last affected player back) | ${fmt(i.rto.seconds)} | ${fmt(rto?.measured ?? null)} |`,
    ...boundsRow(i),
    `| RPO: records not final | ${fmt(i.rpo.recordsNotFinal)} | ${fmt(unsettled?.measured ?? null)} |`,
    `| disruption records | ${fmt(i.records)} (its own) | ${fmt(i.recordsInDrill)} (the run's) |`,
    '',
    `Players affected ${fmt(i.playersAffected)}; ${i.timeline.length} timeline items; public updates: ${i.updates.map((u) => `${u.kind} (${u.status}) at ${fmt(u.t)} s`).join(', ') || 'none'}. Post-mortem: [${postmortemFile(i)}](${postmortemFile(i)}).`,
    '',
  ];
}

/** The incidents Lifeline declared during the run, Lifeline's figures beside the drill's (docs/DRILLS.md, "Incidents"). */
function incidents(r: DrillResult): string[] {
  if (r.incidents === undefined) return [];
  if (r.incidents === null) return ['## Incidents', '', "The nodes' incidents could not be read.", ''];
  if (r.incidents.length === 0) return ['## Incidents', '', 'Lifeline declared none.', ''];
  return ['## Incidents', '', ...r.incidents.flatMap((i) => incidentLines(i, r))];
}

function add(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

/** Peak online, logins by outcome, each upstream's busiest second, kicks and rejoins, over the run. */
function totals(series: readonly DrillSecond[]): string[] {
  const logins: Record<string, number> = {};
  const peaks = new Map<string, { served: number; t: number; capacity: number | null }>();
  let peakOnline = { online: 0, t: 0 };
  let kicked = 0;
  let rejoined = 0;
  let alerts = 0;
  for (const s of series) {
    add(logins, s.logins);
    if (s.online > peakOnline.online) peakOnline = { online: s.online, t: s.t };
    kicked += s.kicked;
    rejoined += s.rejoined;
    alerts += s.alerts;
    for (const [name, u] of Object.entries(s.upstreams)) {
      const best = peaks.get(name);
      if (!best || u.served > best.served)
        peaks.set(name, { served: u.served, t: s.t, capacity: u.capacityPerSecond });
    }
  }
  const outcome = Object.entries(logins)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${fmt(v)}`)
    .join(', ');
  const upstreams = [...peaks].map(
    ([name, p]) =>
      `- \`${name}\`: busiest second ${fmt(p.served)} answered at t=${fmt(p.t)}${p.capacity === null ? '' : ` against a capacity of ${fmt(p.capacity)}/s (${fmt(p.served / p.capacity)}×)`}`,
  );
  return [
    '## Over the run',
    '',
    `- Players online at the peak: ${fmt(peakOnline.online)} (t=${fmt(peakOnline.t)}).`,
    `- Login attempts by outcome: ${outcome || 'none'}.`,
    `- Sessions kicked: ${fmt(kicked)}; rejoined: ${fmt(rejoined)}; alerts: ${fmt(alerts)}.`,
    ...upstreams,
    '',
  ];
}

function timeline(r: DrillResult): string[] {
  if (r.marks.length === 0) return [];
  const rows = [...r.marks]
    .sort((a, b) => a.t - b.t)
    .map(
      (m) => `| ${fmt(m.t)} | ${m.until === undefined ? '' : fmt(m.until)} | ${m.kind} | ${cell(m.label)} |`,
    );
  return ['## Timeline', '', '| at (s) | until (s) | kind | what |', '|---:|---:|---|---|', ...rows, ''];
}

export function renderMarkdown(r: DrillResult, chartFile?: string): string {
  const chart = chartFile ? ['## Chart', '', `![${r.scenario} over time](${chartFile})`, ''] : [];
  return [
    ...header(r),
    ...objectives(r.objectives),
    ...findings(r),
    ...incidents(r),
    ...totals(r.series),
    ...timeline(r),
    ...chart,
  ].join('\n');
}
