/**
 * The post-mortem as Markdown (pure), in the seed's template: summary, timeline, root cause by
 * 5-whys, impact, RTO and RPO against their objectives, action items, lessons learned. Every
 * section renders, and one with nothing written says so rather than vanishing.
 */
import type { ActionItem, Postmortem } from './records.ts';
import type { Impact } from './impact.ts';
import { durations } from './lifecycle.ts';
import type { Incident } from './records.ts';
import type { TimelineItem } from './timeline.ts';

export const postmortemSections = [
  'Summary',
  'Timeline',
  'Root cause (5 whys)',
  'Impact',
  'Recovery: RTO and RPO',
  'Action items',
  'Lessons learned',
] as const;

export interface PostmortemInput {
  incident: Incident;
  timeline: readonly TimelineItem[];
  impact: Impact;
  postmortem: Postmortem | null;
  actions: readonly ActionItem[];
  now: number;
}

const iso = (ms: number | null | undefined) => (ms == null ? '—' : new Date(ms).toISOString());
const dur = (ms: number | null) => {
  if (ms === null) return 'not yet';
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m ${s % 60}s (${ms} ms)`;
};
/** Text from records or people, kept on one table line and out of Markdown's way. */
const cell = (s: string) =>
  s
    .replaceAll('\\', '\\\\')
    .replaceAll('|', '\\|')
    .replaceAll(/[\r\n]+/g, ' ');
const counts = (o: Record<string, number>) =>
  Object.entries(o)
    .map(([k, n]) => `${cell(k)} ${n}`)
    .join(', ') || 'none';

/** Whether an open action item is past its due date. */
export const overdue = (a: ActionItem, now: number) => a.status === 'open' && a.dueAt < now;

function summary({ incident: i, impact, postmortem }: PostmortemInput): string[] {
  const d = durations(i);
  return [
    ...(postmortem?.summary ? [postmortem.summary, ''] : []),
    `- What happened: ${cell(i.title)} (${i.severity}; ${cell(i.severityReason)})`,
    `- When: from ${iso(i.startedAt)} to ${iso(i.resolvedAt)}; detected ${iso(i.detectedAt)}, declared ${iso(i.declaredAt)} by ${cell(i.declaredBy)}`,
    `- Who was affected: ${impact.players.affected} players (${impact.players.paying} paying)`,
    `- Time to detect ${dur(d.timeToDetectMs)}; to mitigate ${dur(d.timeToMitigateMs)}; to resolve ${dur(d.timeToResolveMs)}`,
    `- Status: ${i.status}`,
  ];
}

function timeline({ timeline: items }: PostmortemInput): string[] {
  if (items.length === 0) return ['Nothing was recorded in the window.'];
  return [
    '| Time | Kind | Who | What |',
    '| --- | --- | --- | --- |',
    ...items.map((x) => `| ${iso(x.at)} | ${x.kind} | ${cell(x.actor)} | ${cell(x.summary)} |`),
  ];
}

function rootCause({ postmortem: p }: PostmortemInput): string[] {
  const whys = p?.whys ?? [];
  return [
    ...(whys.length === 0
      ? ['_No 5-whys written yet: `lifeline incident rootcause <id> --why … --root-cause …`._']
      : whys.map((w, n) => `${n + 1}. Why? ${cell(w)}`)),
    '',
    `**Root cause:** ${p?.rootCause ? cell(p.rootCause) : '_not written yet_'}`,
  ];
}

function impactSection({ impact: m }: PostmortemInput): string[] {
  return [
    `- Users affected: ${m.players.affected} (${m.players.records} disruption records; paying ${m.players.paying})`,
    `- By region: ${counts(m.players.byRegion)}`,
    `- By shard: ${counts(m.players.byShard)}`,
    `- By licence: ${counts(m.players.byLicence)}`,
    `- Downtime: ${dur(m.downtime.incidentMs)}; ${m.downtime.sessionHours.toFixed(3)} session-hours out`,
    `- Revenue impact (estimate): ${m.revenue.estimate.toFixed(2)} ${m.revenue.currency}`,
    `- Failed logins: ${m.notCounted.failedLogins}`,
    `- Admission waits: ${m.notCounted.admissionWaits}`,
  ];
}

function recovery({ impact: m }: PostmortemInput): string[] {
  const met = (v: boolean | null) => (v === null ? 'open' : v ? 'met' : 'MISSED');
  return [
    '| Objective | Measured | Objective | Verdict |',
    '| --- | --- | --- | --- |',
    `| RTO (onset to the last affected player back) | ${dur(m.rto.ms)} | ${dur(m.rto.objectiveMs)} | ${met(m.rto.met)} |`,
    `| RPO (records not in a final state) | ${m.rpo.recordsNotFinal} | ${m.rpo.objectiveRecords} | ${met(m.rpo.met)} |`,
    '',
    `Restored ${m.rto.restored}, not restored ${m.rto.notRestored}, still out ${m.rto.stillOut}. Acknowledged writes lost: ${m.rpo.acknowledgedWritesLostNote}`,
  ];
}

function actions({ actions: list, now }: PostmortemInput): string[] {
  if (list.length === 0) return ['_No action items yet: `lifeline incident actions add <id> …`._'];
  return [
    '| Kind | Action | Owner | Due | Status |',
    '| --- | --- | --- | --- | --- |',
    ...list.map(
      (a) =>
        `| ${a.kind} | ${cell(a.title)} | ${cell(a.owner)} | ${iso(a.dueAt)} | ${overdue(a, now) ? '**OVERDUE**' : a.status} |`,
    ),
  ];
}

function lessons({ postmortem: p }: PostmortemInput): string[] {
  const list = (xs: readonly string[]) =>
    xs.length === 0 ? ['- _none written_'] : xs.map((x) => `- ${cell(x)}`);
  return [
    '**What went well**',
    '',
    ...list(p?.lessons.wentWell ?? []),
    '',
    "**What didn't**",
    '',
    ...list(p?.lessons.wentBadly ?? []),
  ];
}

const renderers = [summary, timeline, rootCause, impactSection, recovery, actions, lessons];

/** The post-mortem's Markdown. */
export function renderPostmortem(input: PostmortemInput): string {
  const out = [`# Post-mortem: ${cell(input.incident.title)} (${input.incident.id})`, ''];
  postmortemSections.forEach((title, n) => {
    out.push(`## ${title}`, '', ...(renderers[n]?.(input) ?? []), '');
  });
  out.push(`_Written ${iso(input.now)} by Lifeline from its records._`, '');
  return out.join('\n');
}
