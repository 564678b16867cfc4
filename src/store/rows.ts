/**
 * Row mapping shared by the SQL adapters, both ways: both store the same columns (times as epoch
 * ms, JSON as text), so a record is written with the same parameters and a row reads back into
 * the same record whichever database it came from.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditEntry } from '../audit/records.ts';
import type { Ban } from '../bans/records.ts';
import type { BreakerState } from '../breaker/records.ts';
import type { CommandRecord } from '../commands/records.ts';
import type { Disruption } from '../disruptions/records.ts';
import type { FlagRecord } from '../flags/records.ts';
import type { Grant, MacKey, SigningKey } from '../tokens/records.ts';
import type { Operator } from '../operators/records.ts';
import type { RestoreRecord, RestoreSource, RestoreState } from '../restore/records.ts';
import type { Signal } from '../signals/records.ts';

/** Numbered `NNN_name.sql` files in `dir`, in order. Both adapters keep the same numbers and meaning. */
export function migrationFiles(dir: string): { version: number; file: string }[] {
  return readdirSync(dir)
    .filter((f) => /^\d{3}_.+\.sql$/.test(f))
    .map((f) => ({ version: Number(f.slice(0, 3)), file: join(dir, f) }))
    .sort((a, b) => a.version - b.version);
}

export type Row = Record<string, unknown>;

export const str = (v: unknown): string => v as string;
export const num = (v: unknown): number => Number(v);
export const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
export const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

// A details column edited into something that is not JSON must still read back, so verify
// can name the entry (its hash no longer matches) instead of failing to read the chain.
export function parseDetails(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { unparseable: text };
  }
}

export function toAudit(r: Row): AuditEntry {
  return {
    seq: num(r.seq),
    at: num(r.at),
    actor: str(r.actor),
    action: str(r.action),
    target: str(r.target),
    details: parseDetails(str(r.details)),
    result: str(r.result),
    prevHash: str(r.prev_hash),
    hash: str(r.hash),
  };
}

export function toOperator(r: Row): Operator {
  return {
    id: str(r.id),
    name: str(r.name),
    role: str(r.role) as Operator['role'],
    tokenHash: str(r.token_hash),
    totpSecret: strOrNull(r.totp_secret),
    createdAt: num(r.created_at),
    revokedAt: numOrNull(r.revoked_at),
    enrolledAt: numOrNull(r.enrolled_at),
    roleChangedAt: numOrNull(r.role_changed_at),
    // Absent until first seen, so an operator reads the same as before last use was kept.
    ...(r.last_seen_at == null ? {} : { lastSeenAt: num(r.last_seen_at) }),
  };
}

export function toCommand(r: Row): CommandRecord {
  return {
    policy: JSON.parse(str(r.policy)) as CommandRecord['policy'],
    approvals: JSON.parse(str(r.approvals)) as CommandRecord['approvals'],
    expiresAt: numOrNull(r.expires_at),
    haltCode: strOrNull(r.halt_code) as CommandRecord['haltCode'],
    haltNote: strOrNull(r.halt_note),
    id: str(r.id),
    action: str(r.action) as CommandRecord['action'],
    selector: JSON.parse(str(r.selector)) as Record<string, unknown>,
    reason: str(r.reason),
    requestedBy: str(r.requested_by),
    requestedAt: num(r.requested_at),
    state: str(r.state) as CommandRecord['state'],
    plan: JSON.parse(str(r.plan)) as CommandRecord['plan'],
    progress: JSON.parse(str(r.progress)) as CommandRecord['progress'],
    finishedAt: numOrNull(r.finished_at),
  };
}

export function toDisruption(r: Row): Disruption {
  return {
    id: str(r.id),
    sessionId: str(r.session_id),
    playerId: str(r.player_id),
    cause: str(r.cause) as Disruption['cause'],
    commandId: strOrNull(r.command_id),
    incidentId: strOrNull(r.incident_id),
    at: num(r.at),
    snapshot: JSON.parse(str(r.snapshot)) as Disruption['snapshot'],
    outcome: str(r.outcome) as Disruption['outcome'],
    outcomeReason: strOrNull(r.outcome_reason),
    restoreId: strOrNull(r.restore_id),
    ticketExpiresAt: numOrNull(r.ticket_expires_at),
    settledAt: numOrNull(r.settled_at),
    restoredSessionId: strOrNull(r.restored_session_id),
  };
}

export function toRestore(r: Row): RestoreRecord {
  return {
    id: str(r.id),
    source: JSON.parse(str(r.source)) as RestoreRecord['source'],
    pacing: JSON.parse(str(r.pacing)) as RestoreRecord['pacing'],
    thresholds: JSON.parse(str(r.thresholds)) as RestoreRecord['thresholds'],
    state: str(r.state) as RestoreState,
    requestedBy: str(r.requested_by),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    total: num(r.total),
    released: num(r.released),
    batches: num(r.batches),
    pauseCode: strOrNull(r.pause_code) as RestoreRecord['pauseCode'],
    pauseNote: strOrNull(r.pause_note),
  };
}

/** A restore source as the six leading parameters of the "(source)" statements. */
export function sourceParams(s: RestoreSource): (string | number | null)[] {
  return [
    s.commandId ?? null,
    s.from ?? null,
    s.to ?? null,
    s.selector?.region ?? null,
    s.selector?.shard ?? null,
    s.selector?.zone ?? null,
  ];
}

export function toGrant(r: Row): Grant {
  return {
    sessionId: str(r.session_id),
    playerId: str(r.player_id),
    familyId: str(r.family_id),
    generation: num(r.generation),
    snapshot: JSON.parse(str(r.snapshot)) as Grant['snapshot'],
    createdAt: num(r.created_at),
    expiresAt: num(r.expires_at),
    revokedAt: numOrNull(r.revoked_at),
    revokedReason: strOrNull(r.revoked_reason),
    // Absent until the family first rotates: a grant reads back as it was opened.
    ...(r.rotated_at === null || r.rotated_at === undefined ? {} : { rotatedAt: num(r.rotated_at) }),
    ...(typeof r.rotated_key === 'string' ? { rotatedKey: r.rotated_key } : {}),
  };
}

export function toBan(r: Row): Ban {
  return {
    id: str(r.id),
    playerId: str(r.player_id),
    reason: str(r.reason),
    bannedBy: str(r.banned_by),
    at: num(r.at),
    expiresAt: numOrNull(r.expires_at),
    liftedAt: numOrNull(r.lifted_at),
    liftedBy: strOrNull(r.lifted_by),
    liftReason: strOrNull(r.lift_reason),
  };
}

export function toSignal(r: Row): Signal {
  return {
    id: str(r.id),
    source: str(r.source) as Signal['source'],
    detector: str(r.detector),
    severity: str(r.severity) as Signal['severity'],
    title: str(r.title),
    dimensions: JSON.parse(str(r.dimensions)) as Signal['dimensions'],
    fingerprint: str(r.fingerprint),
    onsetAt: num(r.onset_at),
    startedAt: num(r.started_at),
    resolvedAt: numOrNull(r.resolved_at),
    evidence: JSON.parse(str(r.evidence)) as Signal['evidence'],
    localisation: JSON.parse(str(r.localisation)) as Signal['localisation'],
    incidentId: strOrNull(r.incident_id),
  };
}

export function toSigningKey(r: Row): SigningKey {
  return {
    kid: str(r.kid),
    alg: str(r.alg),
    sealedKey: str(r.sealed_key),
    createdAt: num(r.created_at),
    retiredAt: numOrNull(r.retired_at),
  };
}

export function toMacKey(r: Row): MacKey {
  return {
    kid: str(r.kid),
    sealedKey: str(r.sealed_key),
    createdAt: num(r.created_at),
    retiredAt: numOrNull(r.retired_at),
  };
}

export function toBreaker(r: Row): BreakerState {
  return {
    name: str(r.name),
    state: str(r.state) as BreakerState['state'],
    changedAt: num(r.changed_at),
    changedBy: str(r.changed_by),
    reason: str(r.reason),
  };
}

export function toFlag(r: Row): FlagRecord {
  return {
    key: str(r.key),
    value: JSON.parse(str(r.value)) as FlagRecord['value'],
    updatedAt: num(r.updated_at),
    updatedBy: str(r.updated_by),
    reason: str(r.reason),
  };
}

// Records as statement parameters, in the column order the statements name ---------------------

export const auditParams = (e: AuditEntry): unknown[] => [
  e.seq,
  e.at,
  e.actor,
  e.action,
  e.target,
  JSON.stringify(e.details),
  e.result,
  e.prevHash,
  e.hash,
];

export const commandParams = (c: CommandRecord): unknown[] => [
  c.id,
  c.action,
  JSON.stringify(c.selector),
  c.reason,
  c.requestedBy,
  c.requestedAt,
  c.state,
  JSON.stringify(c.plan),
  JSON.stringify(c.progress),
  c.finishedAt,
  JSON.stringify(c.policy),
  JSON.stringify(c.approvals),
  c.expiresAt,
  c.haltCode,
  c.haltNote,
];

export const disruptionParams = (d: Disruption): unknown[] => [
  d.id,
  d.sessionId,
  d.playerId,
  d.cause,
  d.commandId,
  d.incidentId,
  d.at,
  JSON.stringify(d.snapshot),
  d.outcome,
  d.outcomeReason,
];

/** A new restore's row: `total` is what its claim took; nothing is released yet. */
export const restoreParams = (r: RestoreRecord, total: number): unknown[] => [
  r.id,
  JSON.stringify(r.source),
  JSON.stringify(r.pacing),
  JSON.stringify(r.thresholds),
  r.state,
  r.requestedBy,
  r.createdAt,
  r.updatedAt,
  total,
  0,
  0,
  r.pauseCode,
  r.pauseNote,
];

export const grantParams = (g: Grant): unknown[] => [
  g.sessionId,
  g.playerId,
  g.familyId,
  g.generation,
  JSON.stringify(g.snapshot),
  g.createdAt,
  g.expiresAt,
  g.revokedAt,
  g.revokedReason,
];
