/**
 * Incidents over the SQL driver: the record (phases and linked signals as JSON), its append-only
 * roles ledger, notes and note-time corrections, and the claim of disruption records.
 */
import type { PublicUpdate, UpdateKind } from '../../comms/records.ts';
import type { Disruption } from '../../disruptions/records.ts';
import type {
  Incident,
  IncidentNote,
  IncidentQuery,
  IncidentSeverity,
  IncidentStatus,
  IncidentRole,
  NoteCorrection,
  RoleHandOff,
} from '../../incidents/records.ts';
import type { IncidentHeader } from '../port.ts';
import { num, numOrNull, type Row, str, strOrNull, toDisruption } from '../rows.ts';
import type { Sql } from './driver.ts';

function toHeader(r: Row): IncidentHeader {
  return {
    id: str(r.id),
    title: str(r.title),
    severity: str(r.severity) as IncidentSeverity,
    severityReason: str(r.severity_reason),
    status: str(r.status) as IncidentStatus,
    declaredBy: str(r.declared_by),
    causeKey: strOrNull(r.cause_key),
    startedAt: num(r.started_at),
    detectedAt: num(r.detected_at),
    declaredAt: num(r.declared_at),
    mitigatedAt: numOrNull(r.mitigated_at),
    resolvedAt: numOrNull(r.resolved_at),
    closedAt: numOrNull(r.closed_at),
    updatedAt: num(r.updated_at),
    phases: JSON.parse(str(r.phases)) as Incident['phases'],
    signals: JSON.parse(str(r.signals)) as Incident['signals'],
    version: num(r.version),
  };
}

function toRole(r: Row): RoleHandOff {
  return {
    incidentId: str(r.incident_id),
    role: str(r.role) as IncidentRole,
    operator: str(r.operator),
    at: num(r.at),
    by: str(r.handed_by),
  };
}

const roleParams = (e: RoleHandOff & { id: string }) => [e.id, e.incidentId, e.role, e.operator, e.at, e.by];

export async function declareIncident(
  { d, q }: Sql,
  i: IncidentHeader,
  roles: readonly RoleHandOff[],
): Promise<boolean> {
  return d.tx(async (t) => {
    const params = [
      i.id,
      i.title,
      i.severity,
      i.severityReason,
      i.status,
      i.declaredBy,
      i.causeKey,
      i.startedAt,
      i.detectedAt,
      i.declaredAt,
      i.mitigatedAt,
      i.resolvedAt,
      i.closedAt,
      i.updatedAt,
      JSON.stringify(i.phases),
      JSON.stringify(i.signals),
      i.version,
    ];
    if ((await t.run(q.incidentInsert, params)) === 0) return false;
    for (const [n, role] of roles.entries()) {
      await t.run(q.incidentRoleInsert, roleParams({ ...role, id: `${i.id}-r${n}` }));
    }
    return true;
  });
}

export async function getIncident({ d, q }: Sql, id: string): Promise<Incident | null> {
  const r = await d.one(q.incidentById, [id]);
  if (!r) return null;
  const [roles, notes, corrections] = await Promise.all([
    d.all(q.incidentRoles, [id]),
    d.all(q.incidentNotes, [id]),
    d.all(q.incidentNoteCorrections, [id]),
  ]);
  const byNote = new Map<string, NoteCorrection[]>();
  for (const c of corrections) {
    const list = byNote.get(str(c.note_id)) ?? [];
    list.push({
      at: num(c.at),
      by: str(c.corrected_by),
      reason: str(c.reason),
      correctedAt: num(c.corrected_at),
    });
    byNote.set(str(c.note_id), list);
  }
  const toNote = (n: Row): IncidentNote => ({
    id: str(n.id),
    incidentId: id,
    author: str(n.author),
    text: str(n.body),
    writtenAt: num(n.written_at),
    at: num(n.at),
    corrections: byNote.get(str(n.id)) ?? [],
  });
  return { ...toHeader(r), roles: roles.map(toRole), notes: notes.map(toNote) };
}

export async function listIncidents({ d, q }: Sql, f: IncidentQuery): Promise<IncidentHeader[]> {
  const statuses = f.statuses === undefined ? null : d.list(f.statuses);
  return (await d.all(q.incidentList, [statuses, f.limit ?? 100])).map(toHeader);
}

export async function updateIncident({ d, q }: Sql, i: IncidentHeader, version: number): Promise<boolean> {
  const params = [
    i.title,
    i.severity,
    i.severityReason,
    i.status,
    i.mitigatedAt,
    i.resolvedAt,
    i.closedAt,
    i.updatedAt,
    JSON.stringify(i.phases),
    JSON.stringify(i.signals),
    i.id,
    version,
  ];
  return (await d.run(q.incidentUpdate, params)) > 0;
}

export async function handOffRole({ d, q }: Sql, e: RoleHandOff & { id: string }): Promise<void> {
  await d.run(q.incidentRoleInsert, roleParams(e));
}

export async function addIncidentNote({ d, q }: Sql, n: Omit<IncidentNote, 'corrections'>): Promise<void> {
  await d.run(q.incidentNoteInsert, [n.id, n.incidentId, n.author, n.text, n.writtenAt, n.at]);
}

export async function correctIncidentNote(
  { d, q }: Sql,
  incidentId: string,
  noteId: string,
  c: NoteCorrection & { id: string },
): Promise<boolean> {
  const params = [c.id, noteId, incidentId, c.at, c.by, c.reason, c.correctedAt];
  return (await d.run(q.incidentNoteCorrect, params)) > 0;
}

export function claimDisruptions(
  { d, q }: Sql,
  id: string,
  from: number,
  to: number | null,
): Promise<number> {
  return d.run(q.incidentClaimDisruptions, [id, from, to]);
}

export async function incidentDisruptions(
  { d, q }: Sql,
  id: string,
  afterId: string,
  limit: number,
): Promise<Disruption[]> {
  return (await d.all(q.incidentDisruptions, [id, afterId, limit])).map(toDisruption);
}

function toUpdate(r: Row): PublicUpdate {
  return {
    id: str(r.id),
    incidentId: str(r.incident_id),
    stateKey: str(r.state_key),
    kind: str(r.kind) as UpdateKind,
    status: str(r.status),
    body: str(r.body),
    regions: JSON.parse(str(r.regions)) as string[],
    at: num(r.at),
  };
}

export async function addIncidentUpdate({ d, q }: Sql, u: PublicUpdate): Promise<boolean> {
  const params = [u.id, u.incidentId, u.stateKey, u.kind, u.status, u.body, JSON.stringify(u.regions), u.at];
  return (await d.run(q.incidentUpdateInsert, params)) > 0;
}

export async function incidentUpdates({ d, q }: Sql, incidentId: string): Promise<PublicUpdate[]> {
  return (await d.all(q.incidentUpdates, [incidentId])).map(toUpdate);
}

export async function incidentUpdatesSince(
  { d, q }: Sql,
  since: number,
  limit: number,
): Promise<PublicUpdate[]> {
  return (await d.all(q.incidentUpdatesSince, [since, limit])).map(toUpdate);
}
