/**
 * The incident's impact, from the disruption records it claimed (pure): players affected by
 * region, shard and licence tier, paying players, downtime, a revenue estimate, and RTO and RPO
 * against their objectives. What Lifeline does not record is said, not guessed (`notCounted`).
 */
import type { Disruption } from '../disruptions/records.ts';
import { classify, type ClassificationThresholds } from './classify.ts';
import type { Incident } from './records.ts';

export interface ImpactSettings {
  thresholds: ClassificationThresholds;
  payingLicences: readonly string[];
  revenuePerPayingPlayerHour: number;
  currency: string;
  rtoObjectiveSeconds: number;
  rpoObjectiveRecords: number;
}

const HOUR = 3_600_000;
const finalOutcomes = new Set(['restored', 'expired', 'refused']);

export const notCounted = {
  failedLogins:
    'not counted: Lifeline keeps no per-login record, only the lifeline_logins_total counter (see Prometheus for the window)',
  admissionWaits:
    'not counted: admission tickets live in memory or Redis and are not kept after they are spent; lifeline_admission_queued shows the queue',
  acknowledgedWritesLost:
    'not measured here: a store restored from backup shows as the audit chain going backwards (GET /admin/v1/audit/verify against the anchor)',
} as const;

function countBy(records: readonly Disruption[], key: (d: Disruption) => string): Record<string, number> {
  const players = new Map<string, Set<string>>();
  for (const d of records) {
    const k = key(d);
    const set = players.get(k) ?? new Set<string>();
    set.add(d.playerId);
    players.set(k, set);
  }
  return Object.fromEntries([...players].sort(([a], [b]) => a.localeCompare(b)).map(([k, s]) => [k, s.size]));
}

/** Until when a record's session was out: settled, else still out at `until`. */
const outUntil = (d: Disruption, until: number): number =>
  finalOutcomes.has(d.outcome) && d.settledAt != null ? d.settledAt : until;

function recovery(incident: Incident, records: readonly Disruption[], s: ImpactSettings) {
  const open = records.filter((d) => !finalOutcomes.has(d.outcome)).length;
  const back = records.filter((d) => d.outcome === 'restored' && d.settledAt != null);
  const lastBackAt = back.length === 0 ? null : Math.max(...back.map((d) => d.settledAt as number));
  const rtoMs = open === 0 && lastBackAt !== null ? lastBackAt - incident.startedAt : null;
  return {
    rto: {
      ms: rtoMs,
      objectiveMs: s.rtoObjectiveSeconds * 1000,
      met: rtoMs === null ? null : rtoMs <= s.rtoObjectiveSeconds * 1000,
      lastBackAt,
      restored: back.length,
      notRestored: records.length - back.length - open,
      stillOut: open,
    },
    rpo: {
      recordsNotFinal: open,
      objectiveRecords: s.rpoObjectiveRecords,
      met: open <= s.rpoObjectiveRecords,
      acknowledgedWritesLost: null,
      acknowledgedWritesLostNote: notCounted.acknowledgedWritesLost,
    },
  };
}

/** The impact of `incident` given every disruption record it claimed, as of `now`. */
export function impactOf(incident: Incident, records: readonly Disruption[], s: ImpactSettings, now: number) {
  const until = incident.resolvedAt ?? now;
  const paying = new Set(s.payingLicences);
  const payingRecords = records.filter((d) => paying.has(d.snapshot.licence));
  const players = new Set(records.map((d) => d.playerId)).size;
  const payingPlayers = new Set(payingRecords.map((d) => d.playerId)).size;
  const byRegion = countBy(records, (d) => d.snapshot.region);
  const outMs = (list: readonly Disruption[]) => list.reduce((sum, d) => sum + (outUntil(d, now) - d.at), 0);
  const payingHours = outMs(payingRecords) / HOUR;
  return {
    window: { from: incident.startedAt, to: incident.resolvedAt },
    players: {
      affected: players,
      records: records.length,
      paying: payingPlayers,
      byRegion,
      byShard: countBy(records, (d) => d.snapshot.shard),
      byLicence: countBy(records, (d) => d.snapshot.licence),
      byCause: countBy(records, (d) => d.cause),
      failedLogins: null,
      admissionWaits: null,
    },
    notCounted: { failedLogins: notCounted.failedLogins, admissionWaits: notCounted.admissionWaits },
    downtime: {
      incidentMs: until - incident.startedAt,
      sessionHours: outMs(records) / HOUR,
      payingSessionHours: payingHours,
    },
    revenue: {
      estimate: payingHours * s.revenuePerPayingPlayerHour,
      currency: s.currency,
      perPayingPlayerHour: s.revenuePerPayingPlayerHour,
    },
    ...recovery(incident, records, s),
    classification: classify({ players, payingPlayers, regions: Object.keys(byRegion).length }, s.thresholds),
  };
}

export type Impact = ReturnType<typeof impactOf>;
