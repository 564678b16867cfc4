/**
 * The record store: what Lifeline keeps durably. Said in Lifeline's words, so that the SQLite
 * adapter and the PostgreSQL one each implement the meaning, not each other's commands.
 */

import type { ErrorCode } from '../errors/index.ts';

export const roles = ['viewer', 'operator', 'admin', 'auditor'] as const;
export type Role = (typeof roles)[number];

export interface Operator {
  id: string;
  name: string;
  role: Role;
  /** SHA-256 of the bearer secret, hex. The secret itself is shown once and never stored. */
  tokenHash: string;
  /**
   * The TOTP secret for step-up, sealed under the KEK (context `totp:<id>`); null until the
   * operator enrols. A plain base32 value is one stored before sealing, converted at start.
   */
  totpSecret: string | null;
  createdAt: number;
  revokedAt: number | null;
  /** When the operator redeemed their enrolment token; null if created directly (CLI). */
  enrolledAt: number | null;
  /** When an approved request last changed the role; null if never. */
  roleChangedAt: number | null;
}

/** A one-time enrolment an approved operator request opens: a SHA-256 over both its parts, and its end. */
export interface Enrolment {
  hash: string;
  expiresAt: number;
}

/** Where a session lived and what it was entitled to: what a restore needs to put it back. */
export interface RestoreSnapshot {
  region: string;
  shard: string;
  zone: string | null;
  clientVersion: string | null;
  licence: string;
  provisional: boolean;
}

export const disruptionCauses = ['kick', 'node-loss', 'expired', 'heartbeat-loss'] as const;
export type DisruptionCause = (typeof disruptionCauses)[number];
export const disruptionOutcomes = ['pending', 'ticketed', 'restored', 'expired', 'refused'] as const;
export type DisruptionOutcome = (typeof disruptionOutcomes)[number];

export interface Disruption {
  id: string;
  sessionId: string;
  playerId: string;
  cause: DisruptionCause;
  commandId: string | null;
  incidentId: string | null;
  at: number;
  snapshot: RestoreSnapshot;
  outcome: DisruptionOutcome;
  outcomeReason: string | null;
  /** The restore that owns it, once one does. */
  restoreId?: string | null;
  /** While ticketed: when the ticket lapses and the record becomes `expired`. */
  ticketExpiresAt?: number | null;
  /** When it reached a final outcome. */
  settledAt?: number | null;
  /** The session a rejoin opened, once restored. */
  restoredSessionId?: string | null;
}

/** A disruption's final outcome: when, why, and for a restore the session it got. */
export interface Settlement {
  outcome: 'restored' | 'expired' | 'refused';
  reason: string | null;
  at: number;
  sessionId?: string;
}

export interface DisruptionQuery {
  commandId?: string;
  playerId?: string;
  restoreId?: string;
  from?: number;
  to?: number;
  region?: string;
  shard?: string;
  zone?: string;
  outcome?: DisruptionOutcome;
  limit?: number;
}

/** What a restore brings back: a command's disruptions, or a time window and selector. */
export interface RestoreSource {
  commandId?: string;
  from?: number;
  to?: number;
  selector?: { region?: string; shard?: string; zone?: string };
}

export type Pacing =
  | { mode: 'fixed'; batchSize: number; intervalMs: number }
  | { mode: 'adaptive'; maxRate: number };

/** Auto-pause limits; an absent one is not checked. */
export interface Thresholds {
  cpuPercent?: number;
  connections?: number;
  errorRate?: number;
  /** p99 of rejoins answered here, over the last tick. */
  p99LatencyMs?: number;
  eventLoopDelayMs?: number;
  /** p99 the health URL reports as `{"p99Ms"}` (the downstream's own latency). */
  downstreamP99Ms?: number;
  /** GET it each tick: anything but a 2xx within a second counts as unhealthy. */
  healthUrl?: string;
}

export const restoreStates = ['running', 'paused', 'cancelled', 'done'] as const;
export type RestoreState = (typeof restoreStates)[number];

export interface RestoreRecord {
  id: string;
  source: RestoreSource;
  pacing: Pacing;
  thresholds: Thresholds;
  state: RestoreState;
  requestedBy: string;
  createdAt: number;
  updatedAt: number;
  /** Disruption records the restore owns. */
  total: number;
  /** How many it has ticketed so far: the durable checkpoint a restarted run resumes from. */
  released: number;
  batches: number;
  /**
   * Why it stopped releasing, when it did: a threshold's pause (which lifts itself once healthy),
   * an operator's pause (which waits for an operator), or a cancellation.
   */
  pauseCode: PauseCode | null;
  /** What a person reads about it (`threshold: cpuPercent 93 > 80`, `operator alice: …`, a cancel's reason). */
  pauseNote: string | null;
}

export type PauseCode = 'threshold' | 'operator' | 'cancelled';

export interface RestoreCounts {
  pending: number;
  ticketed: number;
  restored: number;
  expired: number;
  refused: number;
}

export const commandStates = [
  'planned',
  'awaiting-approval',
  'running',
  'halted',
  'done',
  'rejected',
] as const;
export type CommandState = (typeof commandStates)[number];

/** What a selector resolved to when the command was planned: what approvers look at. */
export interface CommandPlan {
  count: number;
  /** Up to 10 of the sessions, for a human to eyeball. */
  sample: { sessionId: string; playerId: string; region: string; shard: string; licence: string }[];
  byRegion: Record<string, number>;
  byShard: Record<string, number>;
  byLicence: Record<string, number>;
  /** Paying versus free players, by the configured paying licences. */
  byTier: { paying: number; free: number };
  online: number;
  /** count / online, 0 when nobody is online. */
  shareOfOnline: number;
}

/** The guard a command must pass, fixed at planning time from config and the plan's size. */
export interface CommandPolicy {
  /** `operators`: creating an operator or changing a role (admin, TOTP, a second admin). */
  tier: 'single' | 'small' | 'bulk' | 'all' | 'operators';
  /** The least role that may request (and approve) it. */
  role: Role;
  totp: boolean;
  /** Second approvers needed: a different operator, with their own TOTP. */
  approvals: number;
  /** The most sessions it may ever end: the planned count plus the tolerance. */
  cap: number;
  tolerance: number;
  /** Sessions in the canary wave; 0 runs in one wave. */
  canary: number;
  /** How long to hold after the canary before the rest. */
  holdMs: number;
}

/** What a command does: end sessions, or change who may act on the admin plane. */
export type CommandAction = 'kick' | 'operator.add' | 'operator.role';

export interface CommandRecord {
  id: string;
  action: CommandAction;
  selector: Record<string, unknown>;
  reason: string;
  requestedBy: string;
  requestedAt: number;
  state: CommandState;
  plan: CommandPlan;
  policy: CommandPolicy;
  approvals: { by: string; at: number }[];
  /** An awaiting command not approved by then is rejected. */
  expiresAt: number | null;
  progress: { ended: number; waves: number };
  /**
   * Why it halted or was rejected, when it did: a catalog code, which an inline request answers
   * with (`SELECTOR_DRIFT`, `COMMAND_HALTED`, `COMMAND_INTERRUPTED`, …).
   */
  haltCode: ErrorCode | null;
  /** What a person reads beyond the code (`halted by alice: wrong selector`), or null. */
  haltNote: string | null;
  finishedAt: number | null;
}

export interface BreakerState {
  name: string;
  state: 'closed' | 'open';
  changedAt: number;
  changedBy: string;
  reason: string;
}

export interface FlagRecord {
  key: string;
  value: boolean | string | number;
  updatedAt: number;
  updatedBy: string;
  reason: string;
}

/** One entry of the hash-chained audit log. `hash` covers every other field. */
export interface AuditEntry {
  seq: number;
  at: number;
  actor: string;
  action: string;
  target: string;
  details: Record<string, unknown>;
  result: string;
  prevHash: string;
  hash: string;
}

/**
 * A ban: the player may not log in, refresh or be restored while it stands. Lifting one keeps
 * the row (liftedAt, liftedBy, liftReason), so the store holds the history as well as the
 * audit log; a player has at most one ban in force at a time.
 */
export interface Ban {
  id: string;
  playerId: string;
  reason: string;
  /** The operator who banned. */
  bannedBy: string;
  at: number;
  liftedAt: number | null;
  liftedBy: string | null;
  liftReason: string | null;
}

export interface BanQuery {
  /** Only bans of these players. */
  playerIds?: readonly string[];
  /** @defaultValue 1000 */
  limit?: number;
}

export interface AuditQuery {
  from?: number;
  to?: number;
  action?: string;
  actor?: string;
  afterSeq?: number;
  limit?: number;
}

/**
 * A session grant: the durable side of a session. It holds the refresh-token family (the
 * generation now valid) and the restore snapshot, so a session outlives a Lifeline restart.
 */
export interface Grant {
  sessionId: string;
  playerId: string;
  familyId: string;
  generation: number;
  snapshot: RestoreSnapshot;
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
  revokedReason: string | null;
}

/** What `rotateGrant` found, so the caller can tell a valid refresh from a replayed one. */
export type RotateOutcome =
  | { kind: 'rotated'; grant: Grant }
  | { kind: 'reused'; grant: Grant }
  | { kind: 'revoked'; grant: Grant }
  | { kind: 'expired'; grant: Grant }
  | { kind: 'unknown' };

/** A key that signs access tokens. */
export interface SigningKey {
  kid: string;
  /** The JWS algorithm it signs with: `EdDSA` (Ed25519) or `ES256` (P-256). */
  alg: string;
  /**
   * The PKCS#8 PEM private key sealed by the Sealer (context `signing-key:<kid>`). A store written
   * before sealing holds the plain PEM here until the first start converts it.
   */
  sealedKey: string;
  createdAt: number;
  /**
   * When no token it signed can still be valid: from then on it neither signs nor verifies. It may
   * lie ahead (a key kept in clear before an upgrade verifies until then but no longer signs).
   */
  retiredAt: number | null;
}

/** A key that MACs refresh and resume tokens, which carry its kid. */
export interface MacKey {
  kid: string;
  /** The 32 random key bytes sealed by the Sealer (context `mac-key:<kid>`). */
  sealedKey: string;
  createdAt: number;
  retiredAt: number | null;
}

export interface RecordStore {
  readonly kind: string;
  /** Cheap round trip for /ready. Throws when the store cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;

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
  /** Writes disruption records and revokes their sessions' grants, all or none. */
  recordDisruptions(batch: readonly Disruption[]): Promise<void>;
  listDisruptions(query: DisruptionQuery): Promise<Disruption[]>;
  getDisruption(id: string): Promise<Disruption | null>;
  /** The newest disruption of a session, if it has one. */
  disruptionOfSession(sessionId: string): Promise<Disruption | null>;

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
  /** Compare-and-set on state, like advanceCommand. */
  updateRestore(restore: RestoreRecord, from: readonly RestoreState[]): Promise<boolean>;
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
  /** Whether the player opened a session after `after` that is still valid. */
  hasNewerSession(playerId: string, after: number): Promise<boolean>;

  openGrant(grant: Grant): Promise<void>;
  getGrant(sessionId: string): Promise<Grant | null>;
  /**
   * Moves a family from `generation` to `generation + 1` if `generation` is the one now valid.
   * A spent generation revokes the whole family (reuse detection) and reports `reused`.
   */
  rotateGrant(familyId: string, generation: number, now: number, expiresAt: number): Promise<RotateOutcome>;
  revokeGrants(sessionIds: readonly string[], at: number, reason: string): Promise<void>;
  /**
   * Deletes up to `limit` grants that ended at or before `before`: revoked then, or expired
   * then. Returns how many; the caller repeats while it gets `limit`. Until a grant is deleted,
   * its refresh tokens still answer "revoked" (or "expired"); after, "unknown".
   */
  purgeGrants(before: number, limit: number): Promise<number>;

  /**
   * Puts a ban in force and revokes every grant of the player still valid (reason `banned`), in
   * one transaction, so none of the player's sessions can be refreshed. Returns false, writing
   * nothing, when the player already is under a ban.
   */
  banPlayer(ban: Ban): Promise<boolean>;
  /** Lifts the player's ban in force and returns it as lifted; null (and no change) if none. */
  liftBan(playerId: string, lift: { at: number; by: string; reason: string }): Promise<Ban | null>;
  /** The player's ban in force, or null. */
  currentBan(playerId: string): Promise<Ban | null>;
  /** Bans in force, newest first; lifted ones are not listed. */
  listBans(query: BanQuery): Promise<Ban[]>;

  getBreaker(name: string): Promise<BreakerState | null>;
  /** Sets the breaker's state; returns false if it already was in that state (someone else won). */
  setBreaker(next: BreakerState): Promise<boolean>;

  listFlags(): Promise<FlagRecord[]>;
  setFlag(flag: FlagRecord): Promise<void>;

  /** Keeps a licence the entitlement upstream confirmed, as the player's last known good. */
  rememberEntitlement(playerId: string, licence: string, verifiedAt: number): Promise<void>;
  lastKnownEntitlement(playerId: string): Promise<{ licence: string; verifiedAt: number } | null>;

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
