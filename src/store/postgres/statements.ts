/**
 * The PostgreSQL dialect of the core's statements (their parameters are named in
 * `../sql/statements.ts`). Nullable filters carry an explicit cast so PostgreSQL can type them; a
 * list parameter is a text array; a batch statement takes one array per column (`unnest`); the
 * "locked" reads hold their row (`FOR UPDATE`) until the transaction ends.
 */
import type { Statements } from '../sql/statements.ts';
import { outboxSql } from './outbox.ts';

/** The disruptions a restore source names: `$1..$6` = (commandId?, from?, to?, region?, shard?, zone?). */
const sourceFilter = (p: string): string => `($1::text IS NULL OR ${p}command_id = $1::text)
      AND ($2::bigint IS NULL OR ${p}at >= $2::bigint) AND ($3::bigint IS NULL OR ${p}at <= $3::bigint)
      AND ($4::text IS NULL OR ${p}snapshot::jsonb->>'region' = $4::text)
      AND ($5::text IS NULL OR ${p}snapshot::jsonb->>'shard' = $5::text)
      AND ($6::text IS NULL OR ${p}snapshot::jsonb->>'zone' = $6::text)`;

export const sql = {
  auditHead: 'SELECT * FROM audit ORDER BY seq DESC LIMIT 1',
  auditInsert: `INSERT INTO audit (seq, at, actor, action, target, details, result, prev_hash, hash)
    SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
      $8::text[], $9::text[])`,
  auditList: `SELECT * FROM audit
    WHERE ($1::bigint IS NULL OR at >= $1::bigint) AND ($2::bigint IS NULL OR at <= $2::bigint)
      AND ($3::text IS NULL OR action = $3::text) AND ($4::text IS NULL OR actor = $4::text) AND seq > $5
    ORDER BY seq LIMIT $6`,
  auditPage: 'SELECT * FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2',

  operatorInsert:
    'INSERT INTO operators (id, name, role, token_hash, totp_secret, created_at, revoked_at, enrol_hash, enrol_expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
  operatorRedeem: `UPDATE operators SET token_hash = $1, totp_secret = $2, enrolled_at = $3, enrol_hash = NULL,
      enrol_expires_at = NULL, totp_last_step = 0
    WHERE id = $4 AND enrol_hash = $5 AND enrol_expires_at >= $3 AND revoked_at IS NULL RETURNING *`,
  operatorSetRole:
    'UPDATE operators SET role = $1, role_changed_at = $2 WHERE id = $3 AND revoked_at IS NULL',
  operatorReplaceTotp: 'UPDATE operators SET totp_secret = $1 WHERE id = $2 AND totp_secret = $3',
  stepUpLock: 'SELECT stepup_locked_until FROM operators WHERE id = $1',
  stepUpSetLock: 'UPDATE operators SET stepup_locked_until = $1 WHERE id = $2',
  stepUpFailureInsert: 'INSERT INTO stepup_failures (operator_id, at) VALUES ($1, $2)',
  stepUpFailuresForget: 'DELETE FROM stepup_failures WHERE operator_id = $1 AND at < $2',
  stepUpFailuresClear: 'DELETE FROM stepup_failures WHERE operator_id = $1',
  stepUpFailuresCount: 'SELECT COUNT(*) AS n FROM stepup_failures WHERE operator_id = $1',
  operatorById: 'SELECT * FROM operators WHERE id = $1',
  operatorByName: 'SELECT * FROM operators WHERE name = $1',
  operatorList: 'SELECT * FROM operators ORDER BY created_at, name',
  operatorSeen:
    'UPDATE operators SET last_seen_at = $1 WHERE id = $2 AND (last_seen_at IS NULL OR last_seen_at < $3)',
  operatorRevoke: 'UPDATE operators SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL',
  operatorSetTotp: 'UPDATE operators SET totp_secret = $2, totp_last_step = 0 WHERE id = $1',
  operatorConsumeStep: 'UPDATE operators SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2',

  commandUpsert: `INSERT INTO commands (id, action, selector, reason, requested_by, requested_at, state, plan, progress,
      finished_at, policy, approvals, expires_at, halt_code, halt_note)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
    ON CONFLICT (id) DO UPDATE SET state = excluded.state, plan = excluded.plan,
      progress = excluded.progress, finished_at = excluded.finished_at, approvals = excluded.approvals,
      expires_at = excluded.expires_at, halt_code = excluded.halt_code, halt_note = excluded.halt_note`,
  commandById: 'SELECT * FROM commands WHERE id = $1',
  commandStateLocked: 'SELECT state FROM commands WHERE id = $1 FOR UPDATE',
  commandsByStates: 'SELECT * FROM commands WHERE state = ANY($1::text[]) ORDER BY requested_at, id',
  commandPage: `SELECT * FROM commands
    WHERE ($1::text[] IS NULL OR state = ANY($1::text[])) AND ($2::text IS NULL OR requested_by = $2::text)
      AND ($3::bigint IS NULL OR requested_at >= $3::bigint) AND ($4::bigint IS NULL OR requested_at <= $4::bigint)
      AND ($5::bigint IS NULL OR requested_at < $5::bigint OR (requested_at = $5::bigint AND id < $6::text))
    ORDER BY requested_at DESC, id DESC LIMIT $7`,

  disruptionInsert: `INSERT INTO disruptions
    (id, session_id, player_id, cause, command_id, incident_id, at, snapshot, outcome, outcome_reason)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],
      $8::text[], $9::text[], $10::text[])`,
  grantRevokeSession: `UPDATE grants g SET revoked_at = v.at, revoked_reason = v.cause
    FROM (SELECT DISTINCT ON (s) s, a AS at, c AS cause
            FROM unnest($1::bigint[], $2::text[], $3::text[]) WITH ORDINALITY AS u(a, c, s, o)
           ORDER BY s, o) v
    WHERE g.session_id = v.s AND g.revoked_at IS NULL`,
  grantRevokeForCommand: `UPDATE grants SET revoked_at = $1, revoked_reason = $2
    WHERE revoked_at IS NULL
      AND session_id IN (SELECT session_id FROM disruptions WHERE command_id = $3 AND at = $4)`,
  disruptionList: `SELECT * FROM disruptions
    WHERE ($1::text IS NULL OR command_id = $1::text) AND ($2::text IS NULL OR player_id = $2::text)
      AND ($3::bigint IS NULL OR at >= $3::bigint) AND ($4::bigint IS NULL OR at <= $4::bigint)
      AND ($5::text IS NULL OR restore_id = $5::text)
      AND ($6::text IS NULL OR snapshot::jsonb->>'region' = $6::text)
      AND ($7::text IS NULL OR snapshot::jsonb->>'shard' = $7::text)
      AND ($8::text IS NULL OR snapshot::jsonb->>'zone' = $8::text) AND ($9::text IS NULL OR outcome = $9::text)
      AND ($10::bigint IS NULL OR at > $10::bigint OR (at = $10::bigint AND id > $11::text))
    ORDER BY at, id LIMIT $12`,
  disruptionOfSession: 'SELECT * FROM disruptions WHERE session_id = $1 ORDER BY at DESC, id DESC LIMIT 1',
  disruptionById: 'SELECT * FROM disruptions WHERE id = $1',

  restoreOverlap: `SELECT count(*) AS n FROM disruptions d JOIN restores r ON r.id = d.restore_id
    WHERE ${sourceFilter('d.')}
      AND r.state IN ('running', 'paused') AND d.outcome IN ('pending', 'ticketed')`,
  restoreClaim: `UPDATE disruptions SET restore_id = $7
    WHERE ${sourceFilter('')}
      AND outcome = 'pending'
      AND (restore_id IS NULL OR restore_id IN (SELECT id FROM restores WHERE state IN ('cancelled', 'done')))`,
  restoreInsert: `INSERT INTO restores (id, source, pacing, thresholds, state, requested_by, created_at, updated_at,
      total, released, batches, pause_code, pause_note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
  restoreById: 'SELECT * FROM restores WHERE id = $1',
  restoreLocked: 'SELECT * FROM restores WHERE id = $1 FOR UPDATE',
  restoresByStates:
    'SELECT * FROM restores WHERE state = ANY($1::text[]) ORDER BY array_position($1::text[], state), created_at, id',
  restorePage: `SELECT * FROM restores
    WHERE ($1::text[] IS NULL OR state = ANY($1::text[]))
      AND ($2::bigint IS NULL OR created_at < $2::bigint OR (created_at = $2::bigint AND id < $3::text))
    ORDER BY created_at DESC, id DESC LIMIT $4`,
  restoreUpdate:
    'UPDATE restores SET state = $1, updated_at = $2, pause_code = $3, pause_note = $4 WHERE id = $5',
  restorePace: `UPDATE restores SET pacing = $1, updated_at = $2
    WHERE id = $3 AND state IN ('running', 'paused') RETURNING *`,
  restoreNextPending: `SELECT * FROM disruptions WHERE restore_id = $1 AND outcome = 'pending'
    ORDER BY at, id LIMIT $2 FOR UPDATE SKIP LOCKED`,
  disruptionsTicket: `UPDATE disruptions SET outcome = 'ticketed', ticket_expires_at = $1
    WHERE id = ANY($2::text[]) AND outcome = 'pending'`,
  restoreAddReleased:
    'UPDATE restores SET released = released + $1, batches = batches + 1, updated_at = $2 WHERE id = $3',
  disruptionSettle: `UPDATE disruptions SET outcome = $1, outcome_reason = $2, settled_at = $3, restored_session_id = $4,
      ticket_expires_at = NULL
    WHERE id = $5 AND outcome = ANY($6::text[])`,
  ticketsExpire: `UPDATE disruptions SET outcome = 'expired', outcome_reason = 'ticket-ttl', settled_at = $1,
      ticket_expires_at = NULL WHERE outcome = 'ticketed' AND ticket_expires_at <= $1`,
  restoreCounts: 'SELECT outcome, count(*) AS n FROM disruptions WHERE restore_id = $1 GROUP BY outcome',
  restorePosition: `SELECT count(*) AS n FROM disruptions WHERE restore_id = $1 AND outcome = 'pending'
    AND (at < $2 OR (at = $2 AND id < $3))`,
  grantNewer:
    'SELECT 1 AS found FROM grants WHERE player_id = $1 AND created_at > $2 AND revoked_at IS NULL AND session_id <> $3 LIMIT 1',

  grantInsert: `INSERT INTO grants
    (session_id, player_id, family_id, generation, snapshot, created_at, expires_at, revoked_at, revoked_reason)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::bigint[], $7::bigint[],
      $8::bigint[], $9::text[])`,
  grantBySession: 'SELECT * FROM grants WHERE session_id = $1',
  grantFamilyLocked: 'SELECT * FROM grants WHERE family_id = $1 FOR UPDATE',
  grantRotate:
    'UPDATE grants SET generation = $1, expires_at = $2, rotated_at = $3, rotated_key = $4 WHERE family_id = $5',
  grantRevokeFamily:
    'UPDATE grants SET revoked_at = $1, revoked_reason = $2 WHERE family_id = $3 AND revoked_at IS NULL',
  grantRevokeSessions:
    'UPDATE grants SET revoked_at = $1, revoked_reason = $2 WHERE session_id = ANY($3::text[]) AND revoked_at IS NULL',

  banInsert: `INSERT INTO bans (id, player_id, reason, banned_by, at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)
    ON CONFLICT (player_id) WHERE lifted_at IS NULL DO NOTHING`,
  banCloseExpired: `UPDATE bans SET lifted_at = expires_at, lifted_by = 'system', lift_reason = 'expired'
    WHERE player_id = $1 AND lifted_at IS NULL AND expires_at IS NOT NULL AND expires_at <= $2`,
  grantPurge: `DELETE FROM grants WHERE session_id IN (
      SELECT session_id FROM grants WHERE revoked_at <= $1
      UNION SELECT session_id FROM grants WHERE expires_at <= $1 LIMIT $2)`,
  grantRevokePlayer:
    'UPDATE grants SET revoked_at = $1, revoked_reason = $2 WHERE player_id = $3 AND revoked_at IS NULL',
  banLift: `UPDATE bans SET lifted_at = $1, lifted_by = $2, lift_reason = $3
    WHERE player_id = $4 AND lifted_at IS NULL AND (expires_at IS NULL OR expires_at > $1) RETURNING *`,
  banList: `SELECT * FROM bans
    WHERE lifted_at IS NULL AND ($1::text[] IS NULL OR player_id = ANY($1::text[]))
      AND ($2::bigint IS NULL OR at < $2::bigint OR (at = $2::bigint AND player_id > $3::text))
      AND ($5::bigint IS NULL OR expires_at IS NULL OR expires_at > $5::bigint)
    ORDER BY at DESC, player_id LIMIT $4`,

  breakerByName: 'SELECT * FROM breakers WHERE name = $1',
  breakerSet: `INSERT INTO breakers (name, state, changed_at, changed_by, reason) VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (name) DO UPDATE SET state = excluded.state, changed_at = excluded.changed_at,
      changed_by = excluded.changed_by, reason = excluded.reason
    WHERE breakers.state <> excluded.state`,

  flagsList: 'SELECT * FROM flags ORDER BY key',
  flagUpsert: `INSERT INTO flags (key, value, updated_at, updated_by, reason) VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at,
      updated_by = excluded.updated_by, reason = excluded.reason`,

  entitlementRemember: `INSERT INTO entitlement_cache (player_id, licence, verified_at) VALUES ($1, $2, $3)
    ON CONFLICT (player_id) DO UPDATE SET licence = excluded.licence, verified_at = excluded.verified_at
    WHERE entitlement_cache.verified_at <= excluded.verified_at`,
  entitlementLastKnown: 'SELECT licence, verified_at FROM entitlement_cache WHERE player_id = $1',

  keysList: 'SELECT * FROM signing_keys ORDER BY created_at DESC, kid',
  keyInsertFirst: `INSERT INTO signing_keys (kid, sealed_key, alg, created_at, retired_at) SELECT $1, $2, $3, $4, NULL
    WHERE NOT EXISTS (SELECT 1 FROM signing_keys WHERE alg = $3 AND retired_at IS NULL)`,
  keyInsert:
    'INSERT INTO signing_keys (kid, sealed_key, alg, created_at, retired_at) VALUES ($1, $2, $3, $4, NULL)',
  keyReseal: 'UPDATE signing_keys SET sealed_key = $2 WHERE kid = $1',
  keyRetire:
    'UPDATE signing_keys SET retired_at = $2 WHERE kid = ANY($1::text[]) AND (retired_at IS NULL OR retired_at > $2)',

  macKeysList: 'SELECT * FROM mac_keys ORDER BY created_at DESC, kid',
  macKeyInsertFirst: `INSERT INTO mac_keys (kid, sealed_key, created_at, retired_at) SELECT $1, $2, $3, NULL
    WHERE NOT EXISTS (SELECT 1 FROM mac_keys)`,
  macKeyInsert:
    'INSERT INTO mac_keys (kid, sealed_key, created_at, retired_at) VALUES ($1, $2, $3, NULL) ON CONFLICT (kid) DO NOTHING',
  macKeyRetire:
    'UPDATE mac_keys SET retired_at = $2 WHERE kid = ANY($1::text[]) AND (retired_at IS NULL OR retired_at > $2)',

  incidentInsert: `INSERT INTO incidents (id, title, severity, severity_reason, status, declared_by, cause_key,
      started_at, detected_at, declared_at, mitigated_at, resolved_at, closed_at, updated_at, phases, signals, version)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
    ON CONFLICT (cause_key) DO NOTHING`,
  incidentById: 'SELECT * FROM incidents WHERE id = $1',
  incidentList: `SELECT * FROM incidents WHERE ($1::text[] IS NULL OR status = ANY($1::text[]))
    ORDER BY declared_at DESC, id DESC LIMIT $2`,
  incidentUpdate: `UPDATE incidents SET title = $1, severity = $2, severity_reason = $3, status = $4,
      mitigated_at = $5, resolved_at = $6, closed_at = $7, updated_at = $8, phases = $9, signals = $10,
      version = version + 1
    WHERE id = $11 AND version = $12`,
  incidentRoleInsert:
    'INSERT INTO incident_roles (id, incident_id, role, operator, at, handed_by) VALUES ($1, $2, $3, $4, $5, $6)',
  incidentRoles: 'SELECT * FROM incident_roles WHERE incident_id = $1 ORDER BY at, id',
  incidentNoteInsert:
    'INSERT INTO incident_notes (id, incident_id, author, body, written_at, at) VALUES ($1, $2, $3, $4, $5, $6)',
  incidentNotes: 'SELECT * FROM incident_notes WHERE incident_id = $1 ORDER BY written_at, id',
  incidentNoteCorrect: `INSERT INTO incident_note_corrections
      (id, note_id, incident_id, at, corrected_by, reason, corrected_at)
    SELECT $1, $2, $3, $4, $5, $6, $7
    WHERE EXISTS (SELECT 1 FROM incident_notes WHERE id = $2 AND incident_id = $3)`,
  incidentNoteCorrections:
    'SELECT * FROM incident_note_corrections WHERE incident_id = $1 ORDER BY corrected_at, id',
  incidentClaimDisruptions: `UPDATE disruptions SET incident_id = $1
    WHERE incident_id IS NULL AND at >= $2 AND ($3::bigint IS NULL OR at <= $3::bigint)`,
  incidentUpdateInsert: `INSERT INTO incident_updates (id, incident_id, state_key, kind, status, body, regions, at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (incident_id, state_key) DO NOTHING`,
  incidentUpdates: 'SELECT * FROM incident_updates WHERE incident_id = $1 ORDER BY at, id',
  incidentUpdatesSince: 'SELECT * FROM incident_updates WHERE at >= $1 ORDER BY at, id LIMIT $2',
  incidentDisruptions: 'SELECT * FROM disruptions WHERE incident_id = $1 AND id > $2 ORDER BY id LIMIT $3',
  ...outboxSql,

  signalUpdateOpen: `UPDATE signals SET severity = LEAST(severity, $1), title = $2, evidence = $3,
      localisation = $4, updated_at = $5
    WHERE fingerprint = $6 AND resolved_at IS NULL RETURNING *`,
  signalInsert: `INSERT INTO signals (id, source, detector, severity, title, dimensions, fingerprint,
      onset_at, started_at, updated_at, resolved_at, evidence, localisation, incident_id)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
    ON CONFLICT (fingerprint) WHERE resolved_at IS NULL DO NOTHING RETURNING *`,
  signalResolve: `UPDATE signals SET resolved_at = $1, updated_at = $1
    WHERE fingerprint = $2 AND resolved_at IS NULL RETURNING *`,
  signalList: `SELECT * FROM signals
    WHERE ($1::int = 0 OR resolved_at IS NULL)
      AND ($2::bigint IS NULL OR resolved_at IS NULL OR resolved_at >= $2::bigint)
      AND ($3::text IS NULL OR detector = $3::text)
    ORDER BY started_at DESC, id DESC LIMIT $4`,
  signalById: 'SELECT * FROM signals WHERE id = $1',
  compensationInsert: `INSERT INTO incident_grants (id, incident_id, player_id, grant_text, seconds, licence, region,
      run_id, granted_by, granted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
    ON CONFLICT (incident_id, player_id) DO NOTHING`,
  compensationList: 'SELECT * FROM incident_grants WHERE incident_id = $1 ORDER BY player_id',
  postmortemById: 'SELECT * FROM incident_postmortems WHERE incident_id = $1',
  postmortemUpsert: `INSERT INTO incident_postmortems (incident_id, body, written_at, updated_at, updated_by)
    VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (incident_id) DO UPDATE SET body = excluded.body, written_at = excluded.written_at,
      updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
  actionUpsert: `INSERT INTO incident_actions (id, incident_id, title, kind, owner, due_at, status, created_at,
      updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
    ON CONFLICT (id) DO UPDATE SET title = excluded.title, kind = excluded.kind, owner = excluded.owner,
      due_at = excluded.due_at, status = excluded.status, updated_at = excluded.updated_at`,
  actionDelete: 'DELETE FROM incident_actions WHERE id = $1',
  actionList: `SELECT * FROM incident_actions
    WHERE ($1::text IS NULL OR incident_id = $1::text) AND ($2::text IS NULL OR status = $2::text)
    ORDER BY due_at, id`,
  signalLinkIncident: 'UPDATE signals SET incident_id = $2 WHERE id = $1 AND incident_id IS NULL',
} as const satisfies Statements;
