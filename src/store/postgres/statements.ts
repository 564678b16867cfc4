/**
 * The PostgreSQL adapter's statements, one constant each, mirroring the SQLite adapter's. The
 * header of each names its parameters in order; a parameter that may be NULL means "no filter".
 * Nullable filters carry an explicit cast so PostgreSQL can type them.
 */

/** The disruptions a restore source names: `$1..$6` = (commandId?, from?, to?, region?, shard?, zone?). */
const sourceFilter = (p: string): string => `($1::text IS NULL OR ${p}command_id = $1::text)
      AND ($2::bigint IS NULL OR ${p}at >= $2::bigint) AND ($3::bigint IS NULL OR ${p}at <= $3::bigint)
      AND ($4::text IS NULL OR ${p}snapshot::jsonb->>'region' = $4::text)
      AND ($5::text IS NULL OR ${p}snapshot::jsonb->>'shard' = $5::text)
      AND ($6::text IS NULL OR ${p}snapshot::jsonb->>'zone' = $6::text)`;

export const sql = {
  /** () -> the newest audit row */
  auditHead: 'SELECT * FROM audit ORDER BY seq DESC LIMIT 1',
  /** (seqs[], ats[], actors[], actions[], targets[], details[], results[], prev_hashes[], hashes[]) */
  auditInsert: `INSERT INTO audit (seq, at, actor, action, target, details, result, prev_hash, hash)
    SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
      $8::text[], $9::text[])`,
  /** (from?, to?, action?, actor?, afterSeq, limit) -> rows in seq order */
  auditList: `SELECT * FROM audit
    WHERE ($1::bigint IS NULL OR at >= $1::bigint) AND ($2::bigint IS NULL OR at <= $2::bigint)
      AND ($3::text IS NULL OR action = $3::text) AND ($4::text IS NULL OR actor = $4::text) AND seq > $5
    ORDER BY seq LIMIT $6`,
  /** (afterSeq, limit) -> rows in seq order */
  auditPage: 'SELECT * FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2',

  /** (id, name, role, token_hash, totp_secret, created_at, revoked_at, enrol_hash, enrol_expires_at) */
  operatorInsert:
    'INSERT INTO operators (id, name, role, token_hash, totp_secret, created_at, revoked_at, enrol_hash, enrol_expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
  /** (token_hash, totp_secret, now, id, enrol_hash) -> the operator, once, while unexpired and active */
  operatorRedeem: `UPDATE operators SET token_hash = $1, totp_secret = $2, enrolled_at = $3, enrol_hash = NULL,
      enrol_expires_at = NULL, totp_last_step = 0
    WHERE id = $4 AND enrol_hash = $5 AND enrol_expires_at >= $3 AND revoked_at IS NULL RETURNING *`,
  /** (role, at, id) -> changes 1 if active */
  operatorSetRole:
    'UPDATE operators SET role = $1, role_changed_at = $2 WHERE id = $3 AND revoked_at IS NULL',
  /** (to, id, from) -> changes 1 if the secret still was `from` */
  operatorReplaceTotp: 'UPDATE operators SET totp_secret = $1 WHERE id = $2 AND totp_secret = $3',
  /** (id) -> stepup_locked_until */
  stepUpLock: 'SELECT stepup_locked_until FROM operators WHERE id = $1',
  /** (until, id) */
  stepUpSetLock: 'UPDATE operators SET stepup_locked_until = $1 WHERE id = $2',
  /** (id, at) */
  stepUpFailureInsert: 'INSERT INTO stepup_failures (operator_id, at) VALUES ($1, $2)',
  /** (id, since) */
  stepUpFailuresForget: 'DELETE FROM stepup_failures WHERE operator_id = $1 AND at < $2',
  /** (id) */
  stepUpFailuresClear: 'DELETE FROM stepup_failures WHERE operator_id = $1',
  /** (id) -> n */
  stepUpFailuresCount: 'SELECT COUNT(*) AS n FROM stepup_failures WHERE operator_id = $1',
  /** (id) */
  operatorById: 'SELECT * FROM operators WHERE id = $1',
  /** (name) */
  operatorByName: 'SELECT * FROM operators WHERE name = $1',
  /** () */
  operatorList: 'SELECT * FROM operators ORDER BY created_at, name',
  /** (revoked_at, id) -> rowCount 1 if it was active */
  operatorRevoke: 'UPDATE operators SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL',
  /** (id, secret) */
  operatorSetTotp: 'UPDATE operators SET totp_secret = $2, totp_last_step = 0 WHERE id = $1',
  /** (id, step) -> rowCount 1 only if step is newer than the last one used */
  operatorConsumeStep: 'UPDATE operators SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2',

  /** (id, action, selector, reason, requested_by, requested_at, state, plan, progress, finished_at,
   *  policy, approvals, expires_at, halt_code, halt_note) */
  commandUpsert: `INSERT INTO commands (id, action, selector, reason, requested_by, requested_at, state, plan, progress,
      finished_at, policy, approvals, expires_at, halt_code, halt_note)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
    ON CONFLICT (id) DO UPDATE SET state = excluded.state, plan = excluded.plan,
      progress = excluded.progress, finished_at = excluded.finished_at, approvals = excluded.approvals,
      expires_at = excluded.expires_at, halt_code = excluded.halt_code, halt_note = excluded.halt_note`,
  /** (id) */
  commandById: 'SELECT * FROM commands WHERE id = $1',
  /** (id) -> state only, row locked until the transaction ends */
  commandStateForUpdate: 'SELECT state FROM commands WHERE id = $1 FOR UPDATE',
  /** (states[]) */
  commandsByStates: 'SELECT * FROM commands WHERE state = ANY($1::text[]) ORDER BY requested_at, id',

  /** (ids[], session_ids[], player_ids[], causes[], command_ids[], incident_ids[], ats[], snapshots[],
   *  outcomes[], outcome_reasons[]) */
  disruptionInsert: `INSERT INTO disruptions
    (id, session_id, player_id, cause, command_id, incident_id, at, snapshot, outcome, outcome_reason)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],
      $8::text[], $9::text[], $10::text[])`,
  /**
   * (session_ids[], ats[], causes[]): revokes each session's grant, the first listed disruption of
   * a session giving the time and reason (as writing them one by one would).
   */
  grantRevokeDisrupted: `UPDATE grants g SET revoked_at = v.at, revoked_reason = v.cause
    FROM (SELECT DISTINCT ON (s) s, a AS at, c AS cause
            FROM unnest($1::text[], $2::bigint[], $3::text[]) WITH ORDINALITY AS u(s, a, c, o)
           ORDER BY s, o) v
    WHERE g.session_id = v.s AND g.revoked_at IS NULL`,
  /** (commandId?, playerId?, from?, to?, restoreId?, region?, shard?, zone?, outcome?, limit) -> oldest first */
  disruptionList: `SELECT * FROM disruptions
    WHERE ($1::text IS NULL OR command_id = $1::text) AND ($2::text IS NULL OR player_id = $2::text)
      AND ($3::bigint IS NULL OR at >= $3::bigint) AND ($4::bigint IS NULL OR at <= $4::bigint)
      AND ($5::text IS NULL OR restore_id = $5::text)
      AND ($6::text IS NULL OR snapshot::jsonb->>'region' = $6::text)
      AND ($7::text IS NULL OR snapshot::jsonb->>'shard' = $7::text)
      AND ($8::text IS NULL OR snapshot::jsonb->>'zone' = $8::text) AND ($9::text IS NULL OR outcome = $9::text)
    ORDER BY at, id LIMIT $10`,
  /** (session_id) -> the newest */
  disruptionOfSession: 'SELECT * FROM disruptions WHERE session_id = $1 ORDER BY at DESC, id DESC LIMIT 1',
  /** (id) */
  disruptionById: 'SELECT * FROM disruptions WHERE id = $1',

  /** (source) -> disruptions that an unfinished restore owns and that are not settled */
  restoreOverlap: `SELECT count(*) AS n FROM disruptions d JOIN restores r ON r.id = d.restore_id
    WHERE ${sourceFilter('d.')}
      AND r.state IN ('running', 'paused') AND d.outcome IN ('pending', 'ticketed')`,
  /** (source, restoreId) -> claims the pending ones that no unfinished restore owns */
  restoreClaim: `UPDATE disruptions SET restore_id = $7
    WHERE ${sourceFilter('')}
      AND outcome = 'pending'
      AND (restore_id IS NULL OR restore_id IN (SELECT id FROM restores WHERE state IN ('cancelled', 'done')))`,
  /** (id, source, pacing, thresholds, state, requested_by, created_at, updated_at, total, released, batches, pause_code, pause_note) */
  restoreInsert: `INSERT INTO restores (id, source, pacing, thresholds, state, requested_by, created_at, updated_at,
      total, released, batches, pause_code, pause_note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
  /** (id) */
  restoreById: 'SELECT * FROM restores WHERE id = $1',
  /** (id) -> the row, locked until the transaction ends */
  restoreByIdForUpdate: 'SELECT * FROM restores WHERE id = $1 FOR UPDATE',
  /** (states[]) */
  restoresByStates:
    'SELECT * FROM restores WHERE state = ANY($1::text[]) ORDER BY array_position($1::text[], state), created_at',
  /** (state, updated_at, pause_code, pause_note, id); released and batches are left as they are */
  restoreUpdate:
    'UPDATE restores SET state = $1, updated_at = $2, pause_code = $3, pause_note = $4 WHERE id = $5',
  /** (restoreId, limit, ticket_expires_at) -> tickets the next pending ones, in release order */
  restoreTicketNext: `WITH next AS (
      SELECT id FROM disruptions WHERE restore_id = $1 AND outcome = 'pending'
      ORDER BY at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
    UPDATE disruptions d SET outcome = 'ticketed', ticket_expires_at = $3
    FROM next WHERE d.id = next.id RETURNING d.*`,
  /** (released_add, updated_at, id) */
  restoreAddReleased:
    'UPDATE restores SET released = released + $1, batches = batches + 1, updated_at = $2 WHERE id = $3',
  /** (outcome, reason, settled_at, restored_session_id, id, from[]) */
  disruptionSettle: `UPDATE disruptions SET outcome = $1, outcome_reason = $2, settled_at = $3, restored_session_id = $4,
      ticket_expires_at = NULL
    WHERE id = $5 AND outcome = ANY($6::text[])`,
  /** (now) */
  ticketsExpire: `UPDATE disruptions SET outcome = 'expired', outcome_reason = 'ticket-ttl', settled_at = $1,
      ticket_expires_at = NULL WHERE outcome = 'ticketed' AND ticket_expires_at <= $1`,
  /** (restoreId) -> outcome, n */
  restoreCounts: 'SELECT outcome, count(*) AS n FROM disruptions WHERE restore_id = $1 GROUP BY outcome',
  /** (restoreId, at, id) */
  restorePosition: `SELECT count(*) AS n FROM disruptions WHERE restore_id = $1 AND outcome = 'pending'
    AND (at < $2 OR (at = $2 AND id < $3))`,
  /** (player_id, after) */
  grantNewer:
    'SELECT 1 AS found FROM grants WHERE player_id = $1 AND created_at > $2 AND revoked_at IS NULL LIMIT 1',

  /** (session_id, player_id, family_id, generation, snapshot, created_at, expires_at, revoked_at, revoked_reason) */
  grantInsert: `INSERT INTO grants
    (session_id, player_id, family_id, generation, snapshot, created_at, expires_at, revoked_at, revoked_reason)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
  /** (session_id) */
  grantBySession: 'SELECT * FROM grants WHERE session_id = $1',
  /** (family_id) -> the row, locked until the transaction ends */
  grantByFamilyForUpdate: 'SELECT * FROM grants WHERE family_id = $1 FOR UPDATE',
  /** (generation, expires_at, family_id) */
  grantRotate: 'UPDATE grants SET generation = $1, expires_at = $2 WHERE family_id = $3',
  /** (revoked_at, reason, family_id) */
  grantRevokeFamily:
    'UPDATE grants SET revoked_at = $1, revoked_reason = $2 WHERE family_id = $3 AND revoked_at IS NULL',
  /** (revoked_at, reason, session_ids[]) */
  grantRevokeSessions:
    'UPDATE grants SET revoked_at = $1, revoked_reason = $2 WHERE session_id = ANY($3::text[]) AND revoked_at IS NULL',

  /** (id, player_id, reason, banned_by, at) -> rowCount 0 when the player already is under a ban */
  banInsert: `INSERT INTO bans (id, player_id, reason, banned_by, at) VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (player_id) WHERE lifted_at IS NULL DO NOTHING`,
  /** (before, limit) -> rowCount: grants revoked or expired at or before `before` */
  grantPurge: `DELETE FROM grants WHERE session_id IN (
      SELECT session_id FROM grants WHERE revoked_at <= $1
      UNION SELECT session_id FROM grants WHERE expires_at <= $1 LIMIT $2)`,
  /** (revoked_at, reason, player_id): every grant of the player still valid */
  grantRevokePlayer:
    'UPDATE grants SET revoked_at = $1, revoked_reason = $2 WHERE player_id = $3 AND revoked_at IS NULL',
  /** (lifted_at, lifted_by, lift_reason, player_id) -> the lifted row, if a ban was in force */
  banLift: `UPDATE bans SET lifted_at = $1, lifted_by = $2, lift_reason = $3
    WHERE player_id = $4 AND lifted_at IS NULL RETURNING *`,
  /** (player_id) -> the ban in force */
  banCurrent: 'SELECT * FROM bans WHERE player_id = $1 AND lifted_at IS NULL',
  /** (player_ids[]?, limit) -> bans in force, newest first */
  banList: `SELECT * FROM bans
    WHERE lifted_at IS NULL AND ($1::text[] IS NULL OR player_id = ANY($1::text[]))
    ORDER BY at DESC, player_id LIMIT $2`,

  /** (name) */
  breakerByName: 'SELECT * FROM breakers WHERE name = $1',
  /** (name, state, changed_at, changed_by, reason) -> rowCount 0 when it already was in that state */
  breakerSet: `INSERT INTO breakers (name, state, changed_at, changed_by, reason) VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (name) DO UPDATE SET state = excluded.state, changed_at = excluded.changed_at,
      changed_by = excluded.changed_by, reason = excluded.reason
    WHERE breakers.state <> excluded.state`,

  /** () */
  flagsList: 'SELECT * FROM flags ORDER BY key',
  /** (key, value, updated_at, updated_by, reason) */
  flagUpsert: `INSERT INTO flags (key, value, updated_at, updated_by, reason) VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at,
      updated_by = excluded.updated_by, reason = excluded.reason`,

  /** (player_id, licence, verified_at) */
  entitlementRemember: `INSERT INTO entitlement_cache (player_id, licence, verified_at) VALUES ($1, $2, $3)
    ON CONFLICT (player_id) DO UPDATE SET licence = excluded.licence, verified_at = excluded.verified_at
    WHERE entitlement_cache.verified_at <= excluded.verified_at`,
  /** (player_id) */
  entitlementLastKnown: 'SELECT licence, verified_at FROM entitlement_cache WHERE player_id = $1',

  /** () -> newest first, retired ones too */
  keysList: 'SELECT * FROM signing_keys ORDER BY created_at DESC, kid',
  /** (kid, sealed_key, alg, created_at) -> nothing when an unretired key of that alg exists */
  keyInsertFirst: `INSERT INTO signing_keys (kid, sealed_key, alg, created_at, retired_at) SELECT $1, $2, $3, $4, NULL
    WHERE NOT EXISTS (SELECT 1 FROM signing_keys WHERE alg = $3 AND retired_at IS NULL)`,
  /** (kid, sealed_key, alg, created_at) */
  keyInsert:
    'INSERT INTO signing_keys (kid, sealed_key, alg, created_at, retired_at) VALUES ($1, $2, $3, $4, NULL)',
  /** (kid, sealed_key) */
  keyReseal: 'UPDATE signing_keys SET sealed_key = $2 WHERE kid = $1',
  /** (kids[], retired_at) */
  keyRetire:
    'UPDATE signing_keys SET retired_at = $2 WHERE kid = ANY($1) AND (retired_at IS NULL OR retired_at > $2)',

  /** () -> newest first, retired ones too */
  macKeysList: 'SELECT * FROM mac_keys ORDER BY created_at DESC, kid',
  /** (kid, sealed_key, created_at) -> nothing when the store holds any MAC key */
  macKeyInsertFirst: `INSERT INTO mac_keys (kid, sealed_key, created_at, retired_at) SELECT $1, $2, $3, NULL
    WHERE NOT EXISTS (SELECT 1 FROM mac_keys)`,
  /** (kid, sealed_key, created_at) */
  macKeyInsert:
    'INSERT INTO mac_keys (kid, sealed_key, created_at, retired_at) VALUES ($1, $2, $3, NULL) ON CONFLICT (kid) DO NOTHING',
  /** (kids[], retired_at) */
  macKeyRetire:
    'UPDATE mac_keys SET retired_at = $2 WHERE kid = ANY($1) AND (retired_at IS NULL OR retired_at > $2)',
} as const;
