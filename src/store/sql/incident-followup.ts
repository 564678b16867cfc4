/** Compensation grants, post-mortems and action items over the SQL driver (migration 014). */
import type {
  ActionItem,
  ActionKind,
  ActionQuery,
  ActionStatus,
  CompensationGrant,
  Postmortem,
  PostmortemBody,
} from '../../incidents/records.ts';
import { num, numOrNull, type Row, str } from '../rows.ts';
import type { Sql } from './driver.ts';

const toGrant = (r: Row): CompensationGrant => ({
  id: str(r.id),
  incidentId: str(r.incident_id),
  playerId: str(r.player_id),
  grant: str(r.grant_text),
  seconds: num(r.seconds),
  licence: str(r.licence),
  region: str(r.region),
  runId: str(r.run_id),
  grantedBy: str(r.granted_by),
  grantedAt: num(r.granted_at),
});

const toAction = (r: Row): ActionItem => ({
  id: str(r.id),
  incidentId: str(r.incident_id),
  title: str(r.title),
  kind: str(r.kind) as ActionKind,
  owner: str(r.owner),
  dueAt: num(r.due_at),
  status: str(r.status) as ActionStatus,
  createdAt: num(r.created_at),
  updatedAt: num(r.updated_at),
});

/** Inserts each grant no earlier run made; returns those inserted, in the order given. */
export async function recordGrants(
  { d, q }: Sql,
  grants: readonly CompensationGrant[],
): Promise<CompensationGrant[]> {
  return d.tx(async (t) => {
    const made: CompensationGrant[] = [];
    for (const g of grants) {
      const params = [
        g.id,
        g.incidentId,
        g.playerId,
        g.grant,
        g.seconds,
        g.licence,
        g.region,
        g.runId,
        g.grantedBy,
        g.grantedAt,
      ];
      if ((await t.run(q.compensationInsert, params)) > 0) made.push(g);
    }
    return made;
  });
}

export async function listGrants({ d, q }: Sql, incidentId: string): Promise<CompensationGrant[]> {
  return (await d.all(q.compensationList, [incidentId])).map(toGrant);
}

export async function getPostmortem({ d, q }: Sql, incidentId: string): Promise<Postmortem | null> {
  const r = await d.one(q.postmortemById, [incidentId]);
  if (!r) return null;
  const body = JSON.parse(str(r.body)) as PostmortemBody;
  return {
    ...body,
    incidentId,
    writtenAt: numOrNull(r.written_at),
    updatedAt: num(r.updated_at),
    updatedBy: str(r.updated_by),
  };
}

export async function savePostmortem({ d, q }: Sql, p: Postmortem): Promise<void> {
  const body: PostmortemBody = {
    summary: p.summary,
    whys: p.whys,
    rootCause: p.rootCause,
    lessons: p.lessons,
  };
  await d.run(q.postmortemUpsert, [
    p.incidentId,
    JSON.stringify(body),
    p.writtenAt,
    p.updatedAt,
    p.updatedBy,
  ]);
}

export async function saveAction({ d, q }: Sql, a: ActionItem): Promise<void> {
  await d.run(q.actionUpsert, [
    a.id,
    a.incidentId,
    a.title,
    a.kind,
    a.owner,
    a.dueAt,
    a.status,
    a.createdAt,
    a.updatedAt,
  ]);
}

export async function deleteAction({ d, q }: Sql, id: string): Promise<boolean> {
  return (await d.run(q.actionDelete, [id])) > 0;
}

export async function listActions({ d, q }: Sql, query: ActionQuery): Promise<ActionItem[]> {
  return (await d.all(q.actionList, [query.incidentId ?? null, query.status ?? null])).map(toAction);
}
