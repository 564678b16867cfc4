/**
 * The record store: what Lifeline keeps durably, said in Lifeline's words and split by role, so
 * that each capability depends on the records it uses and nothing else (commands take
 * `CommandRecords`, the audit log `AuditRecords`, …). The SQLite and PostgreSQL adapters each
 * implement the whole `RecordStore`; only the composition root (src/app.ts) sees one.
 *
 * The records themselves belong to the capabilities that own them (src/<capability>/records.ts):
 * the store depends on the domain, not the reverse.
 */
import type { PublicUpdate } from '../comms/records.ts';
import type { AuditEntry, AuditQuery, CheckedAuditPage, CheckedPagesOptions } from '../audit/records.ts';
import type { Ban, BanQuery } from '../bans/records.ts';
import type { BreakerState } from '../breaker/records.ts';
import type { CommandQuery, CommandRecord, CommandState } from '../commands/records.ts';
import type { Disruption, DisruptionOutcome, DisruptionQuery, Settlement } from '../disruptions/records.ts';
import type { FlagRecord } from '../flags/records.ts';
import type {
  Incident,
  IncidentNote,
  IncidentQuery,
  NoteCorrection,
  RoleHandOff,
} from '../incidents/records.ts';
import type { ActionItem, ActionQuery, CompensationGrant, Postmortem } from '../incidents/records.ts';
import type { Enrolment, Operator, Role } from '../operators/records.ts';
import type { Pacing, RestoreCounts, RestoreQuery, RestoreRecord, RestoreState } from '../restore/records.ts';
import type { OutboxMessage, OutboxQuery } from '../routing/records.ts';
import type { Signal, SignalQuery } from '../signals/records.ts';
import type { Grant, MacKey, RotateOutcome, SigningKey } from '../tokens/records.ts';

/** Whether the store answers, and letting it go. */
export interface StoreHealth {
  readonly kind: string;
  /** Cheap round trip for /ready. Throws when the store cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The hash-chained audit log, appended by one writer at a time. */
export interface AuditRecords {
  /** The newest audit entry, or null on an empty chain. */
  auditHead(): Promise<AuditEntry | null>;
  /**
   * Appends already-sealed entries if, and only if, they extend the current head (the first
   * entry's seq and prevHash follow the head). Returns false, writing nothing, when another
   * writer moved the head first; the caller reseals and tries again.
   */
  appendAudit(entries: readonly AuditEntry[]): Promise<boolean>;
  listAudit(query: AuditQuery): Promise<AuditEntry[]>;
  /** Entries in seq order from `afterSeq` (exclusive), `limit` at a time, for verify and export. */
  readAuditPage(afterSeq: number, limit: number): Promise<AuditEntry[]>;
  /**
   * Optional: the whole chain (seq > 0) in pages read and checked on worker threads, each
   * entry's hash recomputed and the links inside a page followed, so verify meets its speed
   * target; the verifier links the pages (`ChainVerifier.pushPage`). The SQLite adapter has it.
   */
  checkedAuditPages?(options: CheckedPagesOptions): AsyncIterable<CheckedAuditPage>;
}

/** Operators, their enrolments and their step-up (TOTP) state. */
export interface OperatorRecords {
  /** Adds an operator; with `enrolment`, one who has no token or TOTP until they redeem it. */
  addOperator(operator: Operator, enrolment?: Enrolment): Promise<void>;
  /**
   * Spends an enrolment: if operator `id` is active and holds an unexpired enrolment whose hash is
   * `hash`, sets its token hash and sealed TOTP secret and clears the enrolment, all at once, and
   * returns the operator; null (and no change) otherwise, so a token is redeemed once.
   */
  redeemEnrolment(
    id: string,
    hash: string,
    now: number,
    credentials: { tokenHash: string; totpSecret: string },
  ): Promise<Operator | null>;
  /** Changes an active operator's role and records when; false if none is active with that id. */
  setOperatorRole(id: string, role: Role, at: number): Promise<boolean>;
  findOperator(by: { id: string } | { name: string }): Promise<Operator | null>;
  listOperators(): Promise<Operator[]>;
  revokeOperator(id: string, at: number): Promise<boolean>;
  /** Records that the operator used their token at `at`, if last seen before `before` (or never). */
  markOperatorSeen(id: string, at: number, before: number): Promise<void>;
  setTotpSecret(id: string, secret: string): Promise<void>;
  /** Records a used TOTP time step; false (and no change) if it is not newer than the last. */
  consumeTotpStep(id: string, step: number): Promise<boolean>;
  /**
   * Replaces the stored TOTP secret `from` by `to` (its sealed form), keeping the last used
   * step; false if the stored value is no longer `from` (another node converted it first).
   */
  replaceTotpSecret(id: string, from: string, to: string): Promise<boolean>;
  /** Until when the operator's step-up is locked, or null. */
  stepUpLockedUntil(id: string): Promise<number | null>;
  /** Counts a failed step-up at `at`; forgets failures before `since`; returns those left (this one too). */
  recordStepUpFailure(id: string, at: number, since: number): Promise<number>;
  /** Locks the operator's step-up until `until` and clears the failures that led to it. */
  lockStepUp(id: string, until: number): Promise<void>;
}

/** Guarded commands, saved with the disruption records they create. */
export interface CommandRecords {
  /**
   * Saves a command and its disruption records together, or neither. Writing a disruption also
   * revokes that session's grant (reason: the cause): it can only come back through a restore.
   */
  recordCommand(command: CommandRecord, disruptions: readonly Disruption[]): Promise<void>;
  /**
   * Saves the command and its new disruptions only if the stored command is still in one of
   * `from` states (compare-and-set), so an approval and a halt racing cannot both win.
   */
  advanceCommand(
    command: CommandRecord,
    from: readonly CommandState[],
    disruptions?: readonly Disruption[],
  ): Promise<boolean>;
  getCommand(id: string): Promise<CommandRecord | null>;
  listCommands(states: readonly CommandState[]): Promise<CommandRecord[]>;
  /** A page of commands, newest first, by filters and a keyset cursor (stable under inserts). */
  pageCommands(query: CommandQuery): Promise<CommandRecord[]>;
}

/** The disruption ledger: every session Lifeline ended, and its outcome. */
export interface DisruptionLedger {
  /**
   * Writes disruption records and revokes their sessions' grants, all or none. With
   * `endGrants: false` the grants stay (a node's loss: the session lives on in the store, and the
   * player's own tokens bring it back through any node).
   */
  recordDisruptions(batch: readonly Disruption[], options?: { endGrants?: boolean }): Promise<void>;
  listDisruptions(query: DisruptionQuery): Promise<Disruption[]>;
  getDisruption(id: string): Promise<Disruption | null>;
  /** The newest disruption of a session, if it has one. */
  disruptionOfSession(sessionId: string): Promise<Disruption | null>;
}

/** Paced restores: which disruptions each owns, released batch by batch. */
export interface RestoreRecords {
  /**
   * Creates the restore and makes it the owner of every pending disruption its source names, in
   * one transaction; unless some of those already belong to an unfinished restore, in which case
   * it writes nothing and reports how many overlap.
   */
  createRestore(
    restore: RestoreRecord,
  ): Promise<{ created: true; total: number } | { created: false; overlapping: number }>;
  getRestore(id: string): Promise<RestoreRecord | null>;
  listRestores(states: readonly RestoreState[]): Promise<RestoreRecord[]>;
  /** A page of restores, newest first, by state and a keyset cursor (stable under inserts). */
  pageRestores(query: RestoreQuery): Promise<RestoreRecord[]>;
  /** Compare-and-set on state, like advanceCommand. */
  updateRestore(restore: RestoreRecord, from: readonly RestoreState[]): Promise<boolean>;
  /**
   * Sets an unfinished (running or paused) restore's pacing and returns it as stored; null, and
   * no change, when there is no such restore or it has finished.
   */
  repaceRestore(id: string, pacing: Pacing, at: number): Promise<RestoreRecord | null>;
  /**
   * Tickets the next `size` pending disruptions of a running restore, oldest first, and counts
   * them into its progress, in one transaction: a crash between batches loses nothing and
   * releases nobody twice.
   */
  releaseBatch(restoreId: string, size: number, now: number, ticketExpiresAt: number): Promise<Disruption[]>;
  /**
   * Moves one disruption to a final outcome if it is in one of `from`; false (and no change)
   * otherwise, so a record is settled once.
   */
  settleDisruption(id: string, from: readonly DisruptionOutcome[], to: Settlement): Promise<boolean>;
  /** Tickets past their time become `expired`; returns how many. */
  expireTickets(now: number): Promise<number>;
  restoreCounts(restoreId: string): Promise<RestoreCounts>;
  /** How many of the restore's pending disruptions are released before this one. */
  queuePosition(restoreId: string, disruption: Disruption): Promise<number>;
  /**
   * Whether the player opened a session after `after` that is still valid, other than `except`
   * (the session a rejoin of this very record opens, which a retry after a crash finds).
   */
  hasNewerSession(playerId: string, after: number, except?: string): Promise<boolean>;
}

/** Session grants: the refresh families that let a session outlive a restart. */
export interface Grants {
  openGrant(grant: Grant): Promise<void>;
  getGrant(sessionId: string): Promise<Grant | null>;
  /**
   * Moves a family from `generation` to `generation + 1` if `generation` is the one now valid.
   * A spent generation revokes the whole family (reuse detection) and reports `reused`, except
   * the generation just before the current one presented with the `retryKey` its rotation was
   * made with (the same client retrying that refresh, however late), or within `reuseGraceMs`
   * (default 0: none) of its rotation: that reports `grace` and changes nothing. The rotation
   * stores `retryKey` (default null: none) for the next one.
   */
  rotateGrant(
    familyId: string,
    generation: number,
    now: number,
    expiresAt: number,
    reuseGraceMs?: number,
    retryKey?: string | null,
  ): Promise<RotateOutcome>;
  revokeGrants(sessionIds: readonly string[], at: number, reason: string): Promise<void>;
  /**
   * Deletes up to `limit` grants that ended at or before `before`: revoked then, or expired
   * then. Returns how many; the caller repeats while it gets `limit`. Until a grant is deleted,
   * its refresh tokens still answer "revoked" (or "expired"); after, "unknown".
   */
  purgeGrants(before: number, limit: number): Promise<number>;
}

/** Bans in force and lifted. */
export interface BanRecords {
  /**
   * Puts a ban in force and revokes every grant of the player still valid (reason `banned`), in
   * one transaction, so none of the player's sessions can be refreshed. Returns false, writing
   * nothing, when the player already is under a ban.
   */
  banPlayer(ban: Ban): Promise<boolean>;
  /**
   * Lifts the player's ban standing at `lift.at` and returns it as lifted; null (and no change)
   * if none stands (never banned, lifted, or expired).
   */
  liftBan(playerId: string, lift: { at: number; by: string; reason: string }): Promise<Ban | null>;
  /** The player's ban standing at `at` (not lifted, not expired by then), or null. */
  currentBan(playerId: string, at: number): Promise<Ban | null>;
  /** Bans standing at `query.activeAt`, newest first; lifted and expired ones are not listed. */
  listBans(query: BanQuery): Promise<Ban[]>;
}

/** The shared breaker state. */
export interface BreakerRecords {
  getBreaker(name: string): Promise<BreakerState | null>;
  /** Sets the breaker's state; returns false if it already was in that state (someone else won). */
  setBreaker(next: BreakerState): Promise<boolean>;
}

/** Feature flags as set by operators. */
export interface FlagRecords {
  listFlags(): Promise<FlagRecord[]>;
  setFlag(flag: FlagRecord): Promise<void>;
}

/** Last known good entitlements, for static stability while the upstream is down. */
export interface EntitlementMemory {
  /** Keeps a licence the entitlement upstream confirmed, as the player's last known good. */
  rememberEntitlement(playerId: string, licence: string, verifiedAt: number): Promise<void>;
  lastKnownEntitlement(playerId: string): Promise<{ licence: string; verifiedAt: number } | null>;
}

/** Signing and MAC keys, sealed. */
export interface KeyRecords {
  /** Every signing key, retired ones too, newest first; the newest of the configured algorithm signs. */
  signingKeys(): Promise<SigningKey[]>;
  /**
   * Adds the key only if the store holds no unretired key of its algorithm, atomically: nodes
   * that start together on a fresh store (or switch algorithm together) all end up with the one
   * key that won, so they sign and verify alike.
   */
  addFirstSigningKey(key: SigningKey): Promise<void>;
  /** Adds a key whatever the store holds (a rotation). */
  addSigningKey(key: SigningKey): Promise<void>;
  /** Replaces a key's stored text (a plain PEM from before sealing) with its sealed form. */
  resealSigningKey(kid: string, sealedKey: string): Promise<void>;
  /**
   * Marks these keys retired at `at` (which may be in the future: the key verifies until then);
   * a key already retiring earlier keeps its time, one retiring later is brought forward.
   */
  retireSigningKeys(kids: readonly string[], at: number): Promise<void>;

  /** Every MAC key, retired ones too, newest first; the newest MACs new tokens. */
  macKeys(): Promise<MacKey[]>;
  /** Adds the key only if the store holds no MAC key at all, atomically (as addFirstSigningKey). */
  addFirstMacKey(key: MacKey): Promise<void>;
  /** Adds a key (a rotation); does nothing if its kid is already there. */
  addMacKey(key: MacKey): Promise<void>;
  /**
   * Marks these keys retired at `at` (which may be in the future: the key verifies until then);
   * a key already retiring earlier keeps its time, one retiring later is brought forward.
   */
  retireMacKeys(kids: readonly string[], at: number): Promise<void>;
}

/** An incident's fields without its ledgers: what a list shows and what a change rewrites. */
export type IncidentHeader = Omit<Incident, 'roles' | 'notes'>;

/** Incidents, their roles ledger and notes, and the disruption records they claim. */
export interface IncidentRecords {
  /**
   * Saves a new incident and its first role hand-offs together; returns false, writing nothing,
   * when another incident already holds its `causeKey` (one cause declares one incident).
   */
  declareIncident(incident: IncidentHeader, roles: readonly RoleHandOff[]): Promise<boolean>;
  /** The incident with its roles ledger and notes (their corrections applied in order). */
  getIncident(id: string): Promise<Incident | null>;
  /** Newest declared first. */
  listIncidents(query: IncidentQuery): Promise<IncidentHeader[]>;
  /**
   * Rewrites the incident's fields if its stored version is still `version` (compare-and-set),
   * bumping it; false (and no change) when another writer changed it first.
   */
  updateIncident(incident: IncidentHeader, version: number): Promise<boolean>;
  /** Appends a hand-off to the roles ledger; earlier entries are never changed. */
  handOffRole(entry: RoleHandOff & { id: string }): Promise<void>;
  addIncidentNote(note: Omit<IncidentNote, 'corrections'>): Promise<void>;
  /** Appends a correction of a note's time; false (and no change) if the incident has no such note. */
  correctIncidentNote(
    incidentId: string,
    noteId: string,
    correction: NoteCorrection & { id: string },
  ): Promise<boolean>;
  /**
   * Names the incident on every disruption record of its window (`from`, up to `to` or open
   * ended) that no incident claimed yet; returns how many it claimed.
   */
  claimDisruptions(incidentId: string, from: number, to: number | null): Promise<number>;
  /** The incident's disruption records by id, `limit` at a time after `afterId` ('' to start). */
  incidentDisruptions(incidentId: string, afterId: string, limit: number): Promise<Disruption[]>;
}

/** What Lifeline told the public about incidents (src/comms). */
export interface PublicUpdateRecords {
  /**
   * Stores the update unless the incident already has one with its `stateKey`; false (writing
   * nothing) then: of two nodes telling the same state, one tells it.
   */
  addIncidentUpdate(update: PublicUpdate): Promise<boolean>;
  /** The incident's updates, oldest first. */
  incidentUpdates(incidentId: string): Promise<PublicUpdate[]>;
  /** Every incident's updates at or after `since`, oldest first, at most `limit`. */
  incidentUpdatesSince(since: number, limit: number): Promise<PublicUpdate[]>;
}

/**
 * The notification outbox (src/routing): a message per destination, stored before any attempt to
 * send it; each change after that is a compare-and-set on its `version`.
 */
export interface OutboxRecords {
  /**
   * Stores a pending message; if the destination already holds a pending one with the same
   * `dedupKey`, replaces its payload instead (bumping its version, keeping its id, attempts and
   * next attempt), so a flapping source cannot queue a flood. Returns the id that holds it.
   */
  enqueueOutbox(message: OutboxMessage): Promise<{ id: string; replaced: boolean }>;
  /** Pending messages of `destination` whose next attempt is at or before `now`, oldest first. */
  dueOutbox(destination: string, now: number, limit: number): Promise<OutboxMessage[]>;
  /** Marks it sent if it is still pending at `version`; false (and no change) otherwise. */
  markOutboxSent(id: string, version: number, at: number): Promise<boolean>;
  /** Counts a failed attempt and sets the next, if still pending at `version`. */
  retryOutbox(id: string, version: number, nextAttemptAt: number, error: string): Promise<boolean>;
  /** Gives up on it (the destination refused it for good), if still pending at `version`. */
  markOutboxDead(id: string, version: number, at: number, error: string): Promise<boolean>;
  listOutbox(query: OutboxQuery): Promise<OutboxMessage[]>;
  /** Deletes up to `limit` sent or dead messages settled at or before `before`; returns how many. */
  purgeOutbox(before: number, limit: number): Promise<number>;
}

/** Signals: what detectors and senders raised, at most one open per fingerprint. */
export interface SignalRecords {
  /**
   * Raises a signal; when one with the same fingerprint is already open, updates that one instead
   * (title, evidence, localisation; severity only ever towards P1) and keeps its id and start, so
   * a detector repeating itself, or two nodes raising at once, never makes two open signals.
   */
  raiseSignal(signal: Signal): Promise<{ signal: Signal; change: 'raised' | 'updated' }>;
  /** Resolves the open signal with this fingerprint at `at`; null (and no change) when none is open. */
  resolveSignal(fingerprint: string, at: number): Promise<Signal | null>;
  /** Newest first. */
  listSignals(query: SignalQuery): Promise<Signal[]>;
  getSignal(id: string): Promise<Signal | null>;
  /**
   * Names the incident the signal was linked to, unless another already is (the first link
   * stays); false when there is no such signal or it was linked before.
   */
  linkSignalIncident(id: string, incidentId: string): Promise<boolean>;
}

/** Every role at once: what an adapter implements and what only the composition root holds. */
/** Compensation grants, post-mortems and action items (issue 16 items 6 and 7). */
export interface IncidentFollowUpRecords {
  /**
   * Saves each grant unless the player already has the incident's grant (one per player and
   * incident, whichever run made it); returns those saved, in the order given.
   */
  recordGrants(grants: readonly CompensationGrant[]): Promise<CompensationGrant[]>;
  /** The incident's grants by player id. */
  listGrants(incidentId: string): Promise<CompensationGrant[]>;
  getPostmortem(incidentId: string): Promise<Postmortem | null>;
  /** Creates or replaces the incident's post-mortem. */
  savePostmortem(postmortem: Postmortem): Promise<void>;
  /** Creates or replaces an action item (by id; its incident and creation time stay). */
  saveAction(action: ActionItem): Promise<void>;
  /** False when there is no such action item. */
  deleteAction(id: string): Promise<boolean>;
  /** Action items by due date. */
  listActions(query: ActionQuery): Promise<ActionItem[]>;
}

export interface RecordStore
  extends StoreHealth,
    AuditRecords,
    OperatorRecords,
    CommandRecords,
    DisruptionLedger,
    RestoreRecords,
    Grants,
    BanRecords,
    BreakerRecords,
    FlagRecords,
    EntitlementMemory,
    KeyRecords,
    IncidentRecords,
    PublicUpdateRecords,
    OutboxRecords,
    SignalRecords,
    IncidentFollowUpRecords {}
