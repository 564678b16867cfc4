/**
 * The statements the SQL core runs, by name; each adapter's `statements.ts` gives their text in
 * its dialect. The parameters each takes, in order (`list` = one `SqlDriver.list` parameter,
 * `?` = NULL means "no filter", `batch` = run through `SqlRunner.batch`, one row per item):
 *
 * audit        auditHead () · auditInsert batch(seq, at, actor, action, target, details, result,
 *              prev_hash, hash) · auditList (from?, to?, action?, actor?, afterSeq, limit) ·
 *              auditPage (afterSeq, limit)
 * operators    operatorInsert (id, name, role, token_hash, totp_secret, created_at, revoked_at,
 *              enrol_hash, enrol_expires_at) · operatorRedeem (token_hash, totp_secret, now, id,
 *              enrol_hash) -> row · operatorSetRole (role, at, id) · operatorReplaceTotp (to, id,
 *              from) · operatorById (id) · operatorByName (name) · operatorList () ·
 *              operatorRevoke (at, id) · operatorSetTotp (id, secret) · operatorConsumeStep (id, step) ·
 *              operatorSeen (at, id, before): only when last seen before `before`
 * step-up      stepUpLock (id) · stepUpSetLock (until, id) · stepUpFailureInsert (id, at) ·
 *              stepUpFailuresForget (id, since) · stepUpFailuresClear (id) · stepUpFailuresCount (id)
 * commands     commandUpsert (id, action, selector, reason, requested_by, requested_at, state, plan,
 *              progress, finished_at, policy, approvals, expires_at, halt_code, halt_note) · commandById (id) ·
 *              commandStateLocked (id): the state, the row held until the transaction ends ·
 *              commandsByStates (list states) · commandPage (list states?, actor?, since?, until?,
 *              after_at?, after_id, limit), newest first
 * disruptions  disruptionInsert batch(id, session_id, player_id, cause, command_id, incident_id,
 *              at, snapshot, outcome, outcome_reason) · disruptionList (commandId?, playerId?, from?,
 *              to?, restoreId?, region?, shard?, zone?, outcome?, after_at?, after_id, limit) · disruptionOfSession
 *              (session_id) · disruptionById (id) · grantRevokeForCommand (at, reason, command_id,
 *              wave_at) · grantRevokeSession batch(at, reason, session_id), the first row of a
 *              session winning
 * restores     (source) = (commandId?, from?, to?, region?, shard?, zone?): restoreOverlap (source) ·
 *              restoreClaim (source, restoreId) · restoreInsert (id, source, pacing, thresholds,
 *              state, requested_by, created_at, updated_at, total, released, batches, pause_code,
 *              pause_note) ·
 *              restoreById (id) · restoreLocked (id) · restoresByStates (list states), in the
 *              list's order · restorePage (list states?, after_at?, after_id, limit), newest first ·
 *              restoreUpdate (state, updated_at, pause_code, pause_note, id) ·
 *              restorePace (pacing, updated_at, id) -> row, only while running or paused ·
 *              restoreNextPending (restoreId, limit), in release order · disruptionsTicket
 *              (ticket_expires_at, list ids) · restoreAddReleased (n, updated_at, id) ·
 *              disruptionSettle (outcome, reason, at, session_id, id, list from) · ticketsExpire
 *              (now) · restoreCounts (restoreId) -> outcome, n · restorePosition (restoreId, at, id)
 * grants       grantInsert batch(session_id, player_id, family_id, generation, snapshot,
 *              created_at, expires_at, revoked_at, revoked_reason) · grantBySession (session_id) ·
 *              grantFamilyLocked (family_id) · grantRotate (generation, expires_at, rotated_at, rotated_key, family_id) ·
 *              grantRevokeFamily (at, reason, family_id) · grantRevokeSessions (at, reason, list
 *              ids) · grantRevokePlayer (at, reason, player_id) · grantPurge (before, limit) ·
 *              grantNewer (player_id, after, except_session_id)
 * bans         banInsert (id, player_id, reason, banned_by, at, expires_at) -> 0 under a ban in
 *              force · banCloseExpired (player_id, now) · banLift (at, by, reason, player_id) ->
 *              row, only a ban standing at `at` · banList (list player_ids?, after_at?,
 *              after_player_id, limit, active_at?), newest first; active_at null: expired too
 * the rest     breakerByName (name) · breakerSet (name, state, changed_at, changed_by, reason) ·
 *              flagsList () · flagUpsert (key, value, updated_at, updated_by, reason) ·
 *              entitlementRemember (player_id, licence, verified_at) · entitlementLastKnown
 *              (player_id) · keysList () · keyInsertFirst / keyInsert (kid, sealed_key, alg,
 *              created_at) · keyReseal (kid, sealed_key) · keyRetire (list kids, at) · macKeysList
 *              () · macKeyInsertFirst / macKeyInsert (kid, sealed_key, created_at) · macKeyRetire
 *              (list kids, at)
 * signals      signalUpdateOpen (severity, title, evidence, localisation, updated_at, fingerprint)
 *              -> row, only while open · signalInsert (id, source, detector, severity, title,
 *              dimensions, fingerprint, onset_at, started_at, updated_at, resolved_at, evidence,
 *              localisation, incident_id) -> row, none when an open one has the fingerprint ·
 *              signalResolve (at, fingerprint) -> row · signalList (open_only 1|0, since?,
 *              detector?, limit), newest first · signalById (id) · signalLinkIncident (id,
 *              incident_id) -> 0 when the signal is unknown or already linked
 * follow-up    compensationInsert (id, incident_id, player_id, grant_text, seconds, licence, region, run_id,
 *              granted_by, granted_at) -> 0 when the player has the incident's grant · compensationList
 *              (incident_id) · postmortemById (incident_id) · postmortemUpsert (incident_id, body,
 *              written_at, updated_at, updated_by) · actionUpsert (id, incident_id, title, kind, owner,
 *              due_at, status, created_at, updated_at) · actionDelete (id) -> 0 when none ·
 *              actionList (incident_id?, status?), by due date
 * incidents    incidentInsert (id, title, severity, severity_reason, status, declared_by, cause_key,
 *              started_at, detected_at, declared_at, mitigated_at, resolved_at, closed_at, updated_at,
 *              phases, signals, version) -> 0 when the cause key is taken · incidentById (id) ·
 *              incidentList (list statuses?, limit), newest declared first · incidentUpdate (title,
 *              severity, severity_reason, status, mitigated_at, resolved_at, closed_at, updated_at,
 *              phases, signals, id, version): compare-and-set on version, which it bumps ·
 *              incidentRoleInsert (id, incident_id, role, operator, at, handed_by) · incidentRoles
 *              (incident_id), oldest first · incidentNoteInsert (id, incident_id, author, body,
 *              written_at, at) · incidentNotes (incident_id) · incidentNoteCorrect (id, note_id,
 *              incident_id, at, corrected_by, reason, corrected_at) -> 0 when the incident has no
 *              such note · incidentNoteCorrections (incident_id), oldest first ·
 *              incidentClaimDisruptions (incident_id, from, to?): unclaimed records of the window ·
 *              incidentDisruptions (incident_id, after_id, limit), by id
 * updates      incidentUpdateInsert (id, incident_id, state_key, kind, status, body, regions, at)
 *              -> 0 when the incident already has that state key · incidentUpdates (incident_id),
 *              oldest first · incidentUpdatesSince (since, limit), oldest first
 */
import type { OutboxStatementName } from './outbox-statements.ts';

export const statementNames = [
  'auditHead',
  'auditInsert',
  'auditList',
  'auditPage',
  'operatorInsert',
  'operatorRedeem',
  'operatorSetRole',
  'operatorReplaceTotp',
  'operatorById',
  'operatorByName',
  'operatorList',
  'operatorSeen',
  'operatorRevoke',
  'operatorSetTotp',
  'operatorConsumeStep',
  'stepUpLock',
  'stepUpSetLock',
  'stepUpFailureInsert',
  'stepUpFailuresForget',
  'stepUpFailuresClear',
  'stepUpFailuresCount',
  'commandUpsert',
  'commandById',
  'commandStateLocked',
  'commandsByStates',
  'commandPage',
  'disruptionInsert',
  'disruptionList',
  'disruptionOfSession',
  'disruptionById',
  'grantRevokeForCommand',
  'grantRevokeSession',
  'restoreOverlap',
  'restoreClaim',
  'restoreInsert',
  'restoreById',
  'restoreLocked',
  'restoresByStates',
  'restorePage',
  'restoreUpdate',
  'restorePace',
  'restoreNextPending',
  'disruptionsTicket',
  'restoreAddReleased',
  'disruptionSettle',
  'ticketsExpire',
  'restoreCounts',
  'restorePosition',
  'grantInsert',
  'grantBySession',
  'grantFamilyLocked',
  'grantRotate',
  'grantRevokeFamily',
  'grantRevokeSessions',
  'grantRevokePlayer',
  'grantPurge',
  'grantNewer',
  'banInsert',
  'banCloseExpired',
  'banLift',
  'banList',
  'breakerByName',
  'breakerSet',
  'flagsList',
  'flagUpsert',
  'entitlementRemember',
  'entitlementLastKnown',
  'keysList',
  'keyInsertFirst',
  'keyInsert',
  'keyReseal',
  'keyRetire',
  'macKeysList',
  'macKeyInsertFirst',
  'macKeyInsert',
  'macKeyRetire',
  'signalUpdateOpen',
  'signalInsert',
  'signalResolve',
  'signalList',
  'signalLinkIncident',
  'compensationInsert',
  'compensationList',
  'postmortemById',
  'postmortemUpsert',
  'actionUpsert',
  'actionDelete',
  'actionList',
  'signalById',
  'incidentInsert',
  'incidentById',
  'incidentList',
  'incidentUpdate',
  'incidentRoleInsert',
  'incidentRoles',
  'incidentNoteInsert',
  'incidentNotes',
  'incidentNoteCorrect',
  'incidentNoteCorrections',
  'incidentClaimDisruptions',
  'incidentDisruptions',
  'incidentUpdateInsert',
  'incidentUpdates',
  'incidentUpdatesSince',
] as const;

export type StatementName = (typeof statementNames)[number];

/** One dialect's text for every statement the core runs. */
export type Statements = Readonly<Record<StatementName | OutboxStatementName, string>>;
