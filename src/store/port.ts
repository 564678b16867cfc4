/**
 * The record store: what Lifeline keeps durably. Said in Lifeline's words, so that the SQLite
 * adapter and the PostgreSQL one each implement the meaning, not each other's commands.
 */

export const roles = ['viewer', 'operator', 'admin', 'auditor'] as const;
export type Role = (typeof roles)[number];

export interface Operator {
  id: string;
  name: string;
  role: Role;
  /** SHA-256 of the bearer secret, hex. The secret itself is shown once and never stored. */
  tokenHash: string;
  /** Base32 TOTP secret for step-up (enrolled by the CLI). */
  totpSecret: string | null;
  createdAt: number;
  revokedAt: number | null;
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

export const disruptionCauses = ['kick', 'node-loss', 'expired'] as const;
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
}

export interface DisruptionQuery {
  commandId?: string;
  playerId?: string;
  from?: number;
  to?: number;
  limit?: number;
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

export interface CommandRecord {
  id: string;
  action: 'kick';
  selector: Record<string, unknown>;
  reason: string;
  requestedBy: string;
  requestedAt: number;
  state: CommandState;
  plan: { count: number; sample: string[] };
  progress: { ended: number };
  finishedAt: number | null;
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

export interface SigningKey {
  kid: string;
  /** PKCS#8 PEM of the Ed25519 private key. */
  privatePem: string;
  createdAt: number;
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

  addOperator(operator: Operator): Promise<void>;
  findOperator(by: { id: string } | { name: string }): Promise<Operator | null>;
  listOperators(): Promise<Operator[]>;
  revokeOperator(id: string, at: number): Promise<boolean>;

  /** Saves a command and its disruption records together, or neither. */
  recordCommand(command: CommandRecord, disruptions: readonly Disruption[]): Promise<void>;
  getCommand(id: string): Promise<CommandRecord | null>;
  recordDisruptions(batch: readonly Disruption[]): Promise<void>;
  listDisruptions(query: DisruptionQuery): Promise<Disruption[]>;
  getDisruption(id: string): Promise<Disruption | null>;

  openGrant(grant: Grant): Promise<void>;
  getGrant(sessionId: string): Promise<Grant | null>;
  /**
   * Moves a family from `generation` to `generation + 1` if `generation` is the one now valid.
   * A spent generation revokes the whole family (reuse detection) and reports `reused`.
   */
  rotateGrant(familyId: string, generation: number, now: number, expiresAt: number): Promise<RotateOutcome>;
  revokeGrants(sessionIds: readonly string[], at: number, reason: string): Promise<void>;

  signingKeys(): Promise<SigningKey[]>;
  addSigningKey(key: SigningKey): Promise<void>;
}
