/**
 * The incidents Lifeline declared during a drill, read from the admin API before the nodes stop:
 * each one's milestones, timeline and public updates on the scenario clock, its impact against
 * the drill's own disruption records, and the post-mortem Lifeline writes for it (issue 16:
 * "driven by the runaway-kick drill"). The drill's report carries them beside its own figures,
 * so what the post-mortem says can be checked against what the drill measured.
 */
import type { AdminApi } from './admin.ts';
import type { DrillClock } from './clock.ts';
import type { DrillOperator } from './operators.ts';
import type { DrillIncident } from './result.ts';

interface IncidentBody {
  id: string;
  title: string;
  severity: string;
  declaredBy: string;
  status: string;
  startedAt: number;
  detectedAt: number;
  declaredAt: number;
  mitigatedAt: number | null;
  resolvedAt: number | null;
}

interface ImpactBody {
  players: { affected: number; records: number; byCause: Record<string, number> };
  rto: { ms: number | null; objectiveMs: number; met: boolean | null; lastBackAt: number | null };
  rpo: { recordsNotFinal: number; objectiveRecords: number; met: boolean };
}

interface TimelineBody {
  items: { at: number; kind: string; summary: string }[];
}

interface UpdatesBody {
  updates: { kind: string; status: string; at: string }[];
}

/** Every disruption record the nodes wrote (the admin API's pages, oldest first). */
export async function allDisruptions(
  admin: AdminApi,
  op: DrillOperator,
): Promise<{ id: string; at: number; incidentId: string | null }[]> {
  const out: { id: string; at: number; incidentId: string | null }[] = [];
  for (let cursor: string | null = ''; cursor !== null; ) {
    const q = cursor === '' ? '' : `&cursor=${encodeURIComponent(cursor)}`;
    const page: { disruptions: typeof out; nextCursor: string | null } = await admin.call(
      'GET',
      `/disruptions?limit=10000${q}`,
      op,
    );
    out.push(...page.disruptions);
    cursor = page.nextCursor;
  }
  return out;
}

async function readOne(
  admin: AdminApi,
  op: DrillOperator,
  clock: DrillClock,
  i: IncidentBody,
  recordsInDrill: number,
): Promise<DrillIncident> {
  const at = (ms: number) => clock.at(ms);
  const maybe = (ms: number | null) => (ms === null ? null : at(ms));
  const [{ impact }, timeline, { updates }] = await Promise.all([
    admin.call<{ impact: ImpactBody }>('GET', `/incidents/${i.id}/impact`, op),
    admin.call<TimelineBody>('GET', `/incidents/${i.id}/timeline`, op),
    admin.call<UpdatesBody>('GET', `/incidents/${i.id}/updates`, op),
  ]);
  // Written last, so it renders the same records the impact above was read from.
  const { markdown } = await admin.call<{ markdown: string }>(
    'POST',
    `/incidents/${i.id}/postmortem/write`,
    op,
  );
  return {
    id: i.id,
    title: i.title,
    severity: i.severity,
    declaredBy: i.declaredBy,
    status: i.status,
    at: {
      started: at(i.startedAt),
      detected: at(i.detectedAt),
      declared: at(i.declaredAt),
      mitigated: maybe(i.mitigatedAt),
      resolved: maybe(i.resolvedAt),
    },
    records: impact.players.records,
    recordsInDrill,
    playersAffected: impact.players.affected,
    byCause: impact.players.byCause,
    rto: {
      ms: impact.rto.ms,
      // Lifeline measures on the wall clock; the drill's RTO is in scenario seconds.
      seconds: impact.rto.ms === null ? null : (impact.rto.ms / 1000) * clock.timeScale,
      lastBackAt: maybe(impact.rto.lastBackAt),
      met: impact.rto.met,
    },
    firstKick: null,
    rpo: { recordsNotFinal: impact.rpo.recordsNotFinal, met: impact.rpo.met },
    timeline: timeline.items.map((x) => ({ t: at(x.at), kind: x.kind, summary: x.summary })),
    updates: updates.map((u) => ({ t: at(Date.parse(u.at)), kind: u.kind, status: u.status })),
    postmortem: markdown,
  };
}

/** Every incident the nodes declared during the run, oldest first; null when the API could not be read. */
export async function readIncidents(
  admin: AdminApi,
  op: DrillOperator | undefined,
  clock: DrillClock,
): Promise<DrillIncident[] | null> {
  if (op === undefined) return null;
  try {
    const { incidents } = await admin.call<{ incidents: IncidentBody[] }>('GET', '/incidents?limit=1000', op);
    const records = (await allDisruptions(admin, op)).length;
    const oldestFirst = [...incidents].sort((a, b) => a.declaredAt - b.declaredAt);
    const out: DrillIncident[] = [];
    for (const i of oldestFirst) out.push(await readOne(admin, op, clock, i, records));
    return out;
  } catch {
    return null;
  }
}
