/**
 * Compensation (issue 16 item 6): a grant ("7 days") for every player the incident affected, by
 * the impact's own records (its disruption records). A player is granted once per incident
 * whatever the runs (the store's unique key decides, so two operators racing grant once); each
 * new grant is queued in the routing outbox for the configured webhook (signed like any routing
 * webhook), audited as one `incident.compensate` entry per run, and exported as CSV. A dry run
 * counts the grants a run would make and writes nothing.
 */
import type { AuditLog } from '../audit/index.ts';
import { LifelineError } from '../errors/index.ts';
import { uuid7 } from '../ids/index.ts';
import type { RecordStore } from '../store/index.ts';
import type { CompensationGrant } from './records.ts';
import type { IncidentService } from './service.ts';

export interface CompensationDeps {
  store: Pick<RecordStore, 'recordGrants' | 'listGrants' | 'enqueueOutbox'>;
  incidents: Pick<IncidentService, 'records'>;
  audit: AuditLog;
  clock: () => number;
  /** The routing webhook destination that receives the grants; null: recorded and exported only. */
  destination: string | null;
}

const units: Record<string, number> = { minute: 60, hour: 3600, day: 86_400, week: 604_800 };
const MAX_SECONDS = 366 * 86_400;

/** "7 days", "12 hours", "1 week", "30 minutes" in seconds (at most a year). */
export function parseGrant(text: string): number {
  const m = /^\s*(\d{1,4})\s*(minute|hour|day|week)s?\s*$/i.exec(text);
  const seconds = m ? Number(m[1]) * (units[(m[2] as string).toLowerCase()] ?? 0) : 0;
  if (!(seconds > 0 && seconds <= MAX_SECONDS)) {
    throw new LifelineError('INCIDENT_GRANT_INVALID', undefined, { details: { grant: text } });
  }
  return seconds;
}

export interface CompensationRun {
  incidentId: string;
  dryRun: boolean;
  runId: string | null;
  grant: string;
  seconds: number;
  /** Players the impact counts. */
  affected: number;
  /** Of those, granted by an earlier run. */
  alreadyGranted: number;
  /** Granted by this run (a dry run: would be). */
  granted: number;
  /** Queued for the webhook; null when none is configured. */
  delivery: { destination: string; queued: number } | null;
}

const csvCell = (v: string | number) => {
  const s = String(v);
  // A leading =, +, - or @ would be a formula in a spreadsheet: quote it as text.
  const safe = /^[=+\-@]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
};

/** The incident's grants as CSV (RFC 4180), one row per player. */
export function grantsCsv(grants: readonly CompensationGrant[]): string {
  const head = 'incident_id,player_id,grant,seconds,licence,region,granted_at,granted_by,run_id';
  const rows = grants.map((g) =>
    [
      g.incidentId,
      g.playerId,
      g.grant,
      g.seconds,
      g.licence,
      g.region,
      new Date(g.grantedAt).toISOString(),
      g.grantedBy,
      g.runId,
    ]
      .map(csvCell)
      .join(','),
  );
  return `${[head, ...rows].join('\r\n')}\r\n`;
}

export class Compensation {
  readonly #d: CompensationDeps;

  constructor(deps: CompensationDeps) {
    this.#d = deps;
  }

  grants(incidentId: string): Promise<CompensationGrant[]> {
    return this.#d.store.listGrants(incidentId);
  }

  /** Grants `grant` to every affected player not yet granted (`dryRun`: counts them only). */
  async run(incidentId: string, grant: string, dryRun: boolean, actor: string): Promise<CompensationRun> {
    const seconds = parseGrant(grant);
    const { incident, records } = await this.#d.incidents.records(incidentId);
    if (
      incident.status === 'investigating' ||
      incident.status === 'identified' ||
      incident.status === 'monitoring'
    )
      throw new LifelineError('INCIDENT_NOT_RESOLVED');
    const players = new Map<string, { licence: string; region: string }>();
    for (const r of records)
      if (!players.has(r.playerId))
        players.set(r.playerId, { licence: r.snapshot.licence, region: r.snapshot.region });
    const before = new Set((await this.#d.store.listGrants(incidentId)).map((g) => g.playerId));
    const todo = [...players].filter(([p]) => !before.has(p));
    const base = { incidentId, dryRun, grant, seconds, affected: players.size, alreadyGranted: before.size };
    const destination = this.#d.destination;
    if (dryRun) {
      const delivery = destination === null ? null : { destination, queued: 0 };
      return { ...base, runId: null, granted: todo.length, delivery };
    }
    const now = this.#d.clock();
    const runId = uuid7(now);
    const made = await this.#d.store.recordGrants(
      todo.map(([playerId, p]) => ({
        id: uuid7(now),
        incidentId,
        playerId,
        grant,
        seconds,
        licence: p.licence,
        region: p.region,
        runId,
        grantedBy: actor,
        grantedAt: now,
      })),
    );
    if (destination !== null) for (const g of made) await this.#deliver(destination, g);
    await this.#d.audit.append({
      actor,
      action: 'incident.compensate',
      target: `incident:${incidentId}`,
      details: {
        incidentId,
        runId,
        grant,
        seconds,
        affected: players.size,
        granted: made.length,
        destination,
      },
      result: 'granted',
    });
    const delivery = destination === null ? null : { destination, queued: made.length };
    return { ...base, alreadyGranted: players.size - made.length, runId, granted: made.length, delivery };
  }

  async #deliver(destination: string, g: CompensationGrant): Promise<void> {
    const now = this.#d.clock();
    await this.#d.store.enqueueOutbox({
      id: uuid7(now),
      destination,
      dedupKey: `compensation:${g.incidentId}:${g.playerId}`,
      payload: { format: 'lifeline-compensation/1', ...g },
      createdAt: now,
      version: 1,
      attempts: 0,
      nextAttemptAt: now,
      lastError: null,
      sentAt: null,
      deadAt: null,
    });
  }
}
