/**
 * The SQLite adapter's statements, one constant each. The header of each names its positional
 * parameters in order; a `?` that may be NULL means "no filter".
 */
export const sql = {
  /** () -> the newest audit row */
  auditHead: 'SELECT * FROM audit ORDER BY seq DESC LIMIT 1',
  /** (seq, at, actor, action, target, details, result, prev_hash, hash) */
  auditInsert:
    'INSERT INTO audit (seq, at, actor, action, target, details, result, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  /** (from?, to?, action?, actor?, afterSeq, limit) -> rows in seq order */
  auditList: `SELECT * FROM audit
    WHERE (?1 IS NULL OR at >= ?1) AND (?2 IS NULL OR at <= ?2)
      AND (?3 IS NULL OR action = ?3) AND (?4 IS NULL OR actor = ?4) AND seq > ?5
    ORDER BY seq LIMIT ?6`,
  /** (afterSeq, limit) -> rows in seq order */
  auditPage: 'SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?',

  /** (id, name, role, token_hash, totp_secret, created_at, revoked_at, enrol_hash, enrol_expires_at) */
  operatorInsert:
    'INSERT INTO operators (id, name, role, token_hash, totp_secret, created_at, revoked_at, enrol_hash, enrol_expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  /** (token_hash, totp_secret, now, id, enrol_hash) -> the operator, once, while unexpired and active */
  operatorRedeem: `UPDATE operators SET token_hash = ?1, totp_secret = ?2, enrolled_at = ?3, enrol_hash = NULL,
      enrol_expires_at = NULL, totp_last_step = 0
    WHERE id = ?4 AND enrol_hash = ?5 AND enrol_expires_at >= ?3 AND revoked_at IS NULL RETURNING *`,
  /** (role, at, id) -> changes 1 if active */
  operatorSetRole: 'UPDATE operators SET role = ?, role_changed_at = ? WHERE id = ? AND revoked_at IS NULL',
  /** (to, id, from) -> changes 1 if the secret still was `from` */
  operatorReplaceTotp: 'UPDATE operators SET totp_secret = ? WHERE id = ? AND totp_secret = ?',
  /** (id) -> stepup_locked_until */
  stepUpLock: 'SELECT stepup_locked_until FROM operators WHERE id = ?',
  /** (until, id) */
  stepUpSetLock: 'UPDATE operators SET stepup_locked_until = ? WHERE id = ?',
  /** (id, at) */
  stepUpFailureInsert: 'INSERT INTO stepup_failures (operator_id, at) VALUES (?, ?)',
  /** (id, since) */
  stepUpFailuresForget: 'DELETE FROM stepup_failures WHERE operator_id = ? AND at < ?',
  /** (id) */
  stepUpFailuresClear: 'DELETE FROM stepup_failures WHERE operator_id = ?',
  /** (id) -> n */
  stepUpFailuresCount: 'SELECT COUNT(*) AS n FROM stepup_failures WHERE operator_id = ?',
  /** (id) */
  operatorById: 'SELECT * FROM operators WHERE id = ?',
  /** (name) */
  operatorByName: 'SELECT * FROM operators WHERE name = ?',
  /** () */
  operatorList: 'SELECT * FROM operators ORDER BY created_at, name',
  /** (revoked_at, id) -> changes 1 if it was active */
  operatorRevoke: 'UPDATE operators SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',

  /** (id, action, selector, reason, requested_by, requested_at, state, plan, progress, finished_at,
   *  policy, approvals, expires_at, halt_code, halt_note) */
  commandUpsert: `INSERT INTO commands (id, action, selector, reason, requested_by, requested_at, state, plan, progress,
      finished_at, policy, approvals, expires_at, halt_code, halt_note)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (id) DO UPDATE SET state = excluded.state, plan = excluded.plan,
      progress = excluded.progress, finished_at = excluded.finished_at, approvals = excluded.approvals,
      expires_at = excluded.expires_at, halt_code = excluded.halt_code, halt_note = excluded.halt_note`,
  /** (id) */
  commandById: 'SELECT * FROM commands WHERE id = ?',
  /** (id) -> state only */
  commandState: 'SELECT state FROM commands WHERE id = ?',
  /** (state) */
  commandsByState: 'SELECT * FROM commands WHERE state = ? ORDER BY requested_at',

  /** (id, session_id, player_id, cause, command_id, incident_id, at, snapshot, outcome, outcome_reason) */
  disruptionInsert: `INSERT INTO disruptions
    (id, session_id, player_id, cause, command_id, incident_id, at, snapshot, outcome, outcome_reason)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  /** (commandId?, playerId?, from?, to?, restoreId?, region?, shard?, zone?, outcome?, limit) -> rows oldest first */
  disruptionList: `SELECT * FROM disruptions
    WHERE (?1 IS NULL OR command_id = ?1) AND (?2 IS NULL OR player_id = ?2)
      AND (?3 IS NULL OR at >= ?3) AND (?4 IS NULL OR at <= ?4) AND (?5 IS NULL OR restore_id = ?5)
      AND (?6 IS NULL OR json_extract(snapshot, '$.region') = ?6)
      AND (?7 IS NULL OR json_extract(snapshot, '$.shard') = ?7)
      AND (?8 IS NULL OR json_extract(snapshot, '$.zone') = ?8) AND (?9 IS NULL OR outcome = ?9)
    ORDER BY at, id LIMIT ?10`,
  /** (session_id) -> the newest */
  disruptionOfSession: 'SELECT * FROM disruptions WHERE session_id = ? ORDER BY at DESC LIMIT 1',

  /**
   * The disruptions a restore source names. Every statement below that says "(source)" takes
   * these six first: (commandId?, from?, to?, region?, shard?, zone?).
   */
  /** (source) -> disruptions that an unfinished restore owns and that are not settled */
  restoreOverlap: `SELECT count(*) AS n FROM disruptions d JOIN restores r ON r.id = d.restore_id
    WHERE (?1 IS NULL OR d.command_id = ?1) AND (?2 IS NULL OR d.at >= ?2) AND (?3 IS NULL OR d.at <= ?3)
      AND (?4 IS NULL OR json_extract(d.snapshot, '$.region') = ?4)
      AND (?5 IS NULL OR json_extract(d.snapshot, '$.shard') = ?5)
      AND (?6 IS NULL OR json_extract(d.snapshot, '$.zone') = ?6)
      AND r.state IN ('running', 'paused') AND d.outcome IN ('pending', 'ticketed')`,
  /** (source, restoreId) -> claims the pending ones that no unfinished restore owns */
  restoreClaim: `UPDATE disruptions SET restore_id = ?7
    WHERE (?1 IS NULL OR command_id = ?1) AND (?2 IS NULL OR at >= ?2) AND (?3 IS NULL OR at <= ?3)
      AND (?4 IS NULL OR json_extract(snapshot, '$.region') = ?4)
      AND (?5 IS NULL OR json_extract(snapshot, '$.shard') = ?5)
      AND (?6 IS NULL OR json_extract(snapshot, '$.zone') = ?6)
      AND outcome = 'pending'
      AND (restore_id IS NULL OR restore_id IN (SELECT id FROM restores WHERE state IN ('cancelled', 'done')))`,
  /** (id, source, pacing, thresholds, state, requested_by, created_at, updated_at, total, released, batches, pause_code, pause_note) */
  restoreInsert: `INSERT INTO restores (id, source, pacing, thresholds, state, requested_by, created_at, updated_at,
      total, released, batches, pause_code, pause_note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  /** (id) */
  restoreById: 'SELECT * FROM restores WHERE id = ?',
  /** (state) */
  restoresByState: 'SELECT * FROM restores WHERE state = ? ORDER BY created_at',
  /** (state, updated_at, released, batches, pause_code, pause_note, id) */
  restoreUpdate:
    'UPDATE restores SET state = ?, updated_at = ?, released = ?, batches = ?, pause_code = ?, pause_note = ? WHERE id = ?',
  /** (restoreId, limit) -> the next pending ones, in release order */
  restoreNextPending: `SELECT * FROM disruptions WHERE restore_id = ? AND outcome = 'pending' ORDER BY at, id LIMIT ?`,
  /** (ticket_expires_at, id) */
  disruptionTicket: `UPDATE disruptions SET outcome = 'ticketed', ticket_expires_at = ? WHERE id = ? AND outcome = 'pending'`,
  /** (released_add, updated_at, id) */
  restoreAddReleased:
    'UPDATE restores SET released = released + ?, batches = batches + 1, updated_at = ? WHERE id = ?',
  /** (outcome, reason, settled_at, restored_session_id, id, fromJson) */
  disruptionSettle: `UPDATE disruptions SET outcome = ?1, outcome_reason = ?2, settled_at = ?3, restored_session_id = ?4,
      ticket_expires_at = NULL
    WHERE id = ?5 AND outcome IN (SELECT value FROM json_each(?6))`,
  /** (now) */
  ticketsExpire: `UPDATE disruptions SET outcome = 'expired', outcome_reason = 'ticket-ttl', settled_at = ?1,
      ticket_expires_at = NULL WHERE outcome = 'ticketed' AND ticket_expires_at <= ?1`,
  /** (restoreId) -> outcome, n */
  restoreCounts: 'SELECT outcome, count(*) AS n FROM disruptions WHERE restore_id = ? GROUP BY outcome',
  /** (restoreId, at, id) */
  restorePosition: `SELECT count(*) AS n FROM disruptions WHERE restore_id = ?1 AND outcome = 'pending'
    AND (at < ?2 OR (at = ?2 AND id < ?3))`,
  /** (player_id, after) */
  grantNewer:
    'SELECT 1 AS found FROM grants WHERE player_id = ? AND created_at > ? AND revoked_at IS NULL LIMIT 1',
  /** (id) */
  disruptionById: 'SELECT * FROM disruptions WHERE id = ?',

  /** (session_id, player_id, family_id, generation, snapshot, created_at, expires_at, revoked_at, revoked_reason) */
  grantInsert: `INSERT INTO grants
    (session_id, player_id, family_id, generation, snapshot, created_at, expires_at, revoked_at, revoked_reason)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  /** (session_id) */
  grantBySession: 'SELECT * FROM grants WHERE session_id = ?',
  /** (family_id) */
  grantByFamily: 'SELECT * FROM grants WHERE family_id = ?',
  /** (generation, expires_at, family_id) */
  grantRotate: 'UPDATE grants SET generation = ?, expires_at = ? WHERE family_id = ?',
  /** (revoked_at, reason, family_id) */
  grantRevokeFamily:
    'UPDATE grants SET revoked_at = ?, revoked_reason = ? WHERE family_id = ? AND revoked_at IS NULL',
  /** (revoked_at, reason, command_id, at): every grant of the sessions a command's wave at `at` disrupted */
  grantRevokeForCommand: `UPDATE grants SET revoked_at = ?1, revoked_reason = ?2
    WHERE revoked_at IS NULL AND session_id IN (SELECT session_id FROM disruptions WHERE command_id = ?3 AND at = ?4)`,
  /** (revoked_at, reason, session_id) */
  grantRevokeSession:
    'UPDATE grants SET revoked_at = ?, revoked_reason = ? WHERE session_id = ? AND revoked_at IS NULL',

  /** (before, limit) -> changes: grants revoked or expired at or before `before` */
  grantPurge: `DELETE FROM grants WHERE session_id IN (
      SELECT session_id FROM grants WHERE revoked_at <= ?1
      UNION SELECT session_id FROM grants WHERE expires_at <= ?1 LIMIT ?2)`,

  /** (id, secret) */
  operatorSetTotp: 'UPDATE operators SET totp_secret = ?2, totp_last_step = 0 WHERE id = ?1',
  /** (id, step) -> changes 1 only if step is newer than the last one used */
  operatorConsumeStep: 'UPDATE operators SET totp_last_step = ?2 WHERE id = ?1 AND totp_last_step < ?2',

  /** (id, player_id, reason, banned_by, at) -> changes 0 when the player already is under a ban */
  banInsert: `INSERT INTO bans (id, player_id, reason, banned_by, at) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (player_id) WHERE lifted_at IS NULL DO NOTHING`,
  /** (revoked_at, reason, player_id): every grant of the player still valid */
  grantRevokePlayer:
    'UPDATE grants SET revoked_at = ?, revoked_reason = ? WHERE player_id = ? AND revoked_at IS NULL',
  /** (lifted_at, lifted_by, lift_reason, player_id) -> the lifted row, if a ban was in force */
  banLift: `UPDATE bans SET lifted_at = ?, lifted_by = ?, lift_reason = ?
    WHERE player_id = ? AND lifted_at IS NULL RETURNING *`,
  /** (player_id) -> the ban in force */
  banCurrent: 'SELECT * FROM bans WHERE player_id = ? AND lifted_at IS NULL',
  /** (playerIdsJson?, limit) -> bans in force, newest first */
  banList: `SELECT * FROM bans
    WHERE lifted_at IS NULL AND (?1 IS NULL OR player_id IN (SELECT value FROM json_each(?1)))
    ORDER BY at DESC, player_id LIMIT ?2`,

  /** (name) */
  breakerByName: 'SELECT * FROM breakers WHERE name = ?',
  /** (name, state, changed_at, changed_by, reason) -> changes 0 when it already was in that state */
  breakerSet: `INSERT INTO breakers (name, state, changed_at, changed_by, reason) VALUES (?1, ?2, ?3, ?4, ?5)
    ON CONFLICT (name) DO UPDATE SET state = ?2, changed_at = ?3, changed_by = ?4, reason = ?5
    WHERE breakers.state <> ?2`,

  /** () */
  flagsList: 'SELECT * FROM flags ORDER BY key',
  /** (key, value, updated_at, updated_by, reason) */
  flagUpsert: `INSERT INTO flags (key, value, updated_at, updated_by, reason) VALUES (?1, ?2, ?3, ?4, ?5)
    ON CONFLICT (key) DO UPDATE SET value = ?2, updated_at = ?3, updated_by = ?4, reason = ?5`,

  /** (player_id, licence, verified_at) */
  entitlementRemember: `INSERT INTO entitlement_cache (player_id, licence, verified_at) VALUES (?1, ?2, ?3)
    ON CONFLICT (player_id) DO UPDATE SET licence = ?2, verified_at = ?3 WHERE verified_at <= ?3`,
  /** (player_id) */
  entitlementLastKnown: 'SELECT licence, verified_at FROM entitlement_cache WHERE player_id = ?',

  /** () -> newest first, retired ones too */
  keysList: 'SELECT * FROM signing_keys ORDER BY created_at DESC, kid',
  /** (kid, sealed_key, alg, created_at) -> nothing when an unretired key of that alg exists */
  keyInsertFirst: `INSERT INTO signing_keys (kid, sealed_key, alg, created_at, retired_at) SELECT ?1, ?2, ?3, ?4, NULL
    WHERE NOT EXISTS (SELECT 1 FROM signing_keys WHERE alg = ?3 AND retired_at IS NULL)`,
  /** (kid, sealed_key, alg, created_at) */
  keyInsert:
    'INSERT INTO signing_keys (kid, sealed_key, alg, created_at, retired_at) VALUES (?, ?, ?, ?, NULL)',
  /** (kid, sealed_key) */
  keyReseal: 'UPDATE signing_keys SET sealed_key = ?2 WHERE kid = ?1',
  /** (kid, retired_at) */
  keyRetire:
    'UPDATE signing_keys SET retired_at = ?2 WHERE kid = ?1 AND (retired_at IS NULL OR retired_at > ?2)',

  /** () -> newest first, retired ones too */
  macKeysList: 'SELECT * FROM mac_keys ORDER BY created_at DESC, kid',
  /** (kid, sealed_key, created_at) -> nothing when the store holds any MAC key */
  macKeyInsertFirst: `INSERT INTO mac_keys (kid, sealed_key, created_at, retired_at) SELECT ?1, ?2, ?3, NULL
    WHERE NOT EXISTS (SELECT 1 FROM mac_keys)`,
  /** (kid, sealed_key, created_at) */
  macKeyInsert:
    'INSERT INTO mac_keys (kid, sealed_key, created_at, retired_at) VALUES (?, ?, ?, NULL) ON CONFLICT (kid) DO NOTHING',
  /** (kid, retired_at) */
  macKeyRetire:
    'UPDATE mac_keys SET retired_at = ?2 WHERE kid = ?1 AND (retired_at IS NULL OR retired_at > ?2)',
} as const;
