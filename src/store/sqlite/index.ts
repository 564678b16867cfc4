import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { LifelineError } from '../../errors/index.ts';
import type {
  AuditEntry,
  AuditQuery,
  Ban,
  BanQuery,
  BreakerState,
  CommandRecord,
  CommandState,
  Disruption,
  DisruptionOutcome,
  DisruptionQuery,
  Enrolment,
  FlagRecord,
  Grant,
  MacKey,
  Operator,
  RecordStore,
  RestoreCounts,
  RestoreRecord,
  RestoreState,
  Role,
  RotateOutcome,
  Settlement,
  SigningKey,
} from '../port.ts';
import {
  migrationFiles,
  num,
  numOrNull,
  type Row,
  sourceParams,
  str,
  toAudit,
  toBan,
  toCommand,
  toDisruption,
  toGrant,
  toMacKey,
  toOperator,
  toRestore,
  toSigningKey,
} from '../rows.ts';
import { createDataFiles } from './files.ts';
import { fsFailure, openFailure, prepareDirectory } from './open-errors.ts';
import { sql } from './statements.ts';

const migrationsDir = join(import.meta.dirname, 'migrations');

/**
 * The embedded record store: one SQLite file in WAL mode. node:sqlite is synchronous, so each
 * method runs to completion before another starts; that is what keeps a transaction whole here.
 * Writers in other processes (the CLI beside a running server) are serialized by SQLite itself
 * through BEGIN IMMEDIATE and the busy timeout.
 */
export class SqliteRecordStore implements RecordStore {
  readonly kind = 'sqlite';
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #stmts = new Map<string, StatementSync>();
  #pendingGrants: { grant: Grant; resolve: () => void; reject: (err: unknown) => void }[] = [];

  constructor(path: string) {
    this.path = path;
    if (path !== ':memory:') {
      prepareDirectory(path);
      try {
        createDataFiles(dirname(path), path);
      } catch (err) {
        throw fsFailure(err, path) ?? err;
      }
    }
    let db: DatabaseSync | undefined;
    try {
      db = new DatabaseSync(path);
      this.#db = db;
      this.#db.exec('PRAGMA journal_mode = WAL');
      // NORMAL in WAL mode: a commit survives a process crash; only a power loss can undo the
      // last few, and then the chain still verifies (it is the tail that goes missing).
      this.#db.exec('PRAGMA synchronous = NORMAL');
      this.#db.exec('PRAGMA busy_timeout = 5000');
      this.#db.exec('PRAGMA foreign_keys = ON');
      this.#migrate();
    } catch (err) {
      if (db?.isOpen) db.close();
      throw openFailure(err, path);
    }
  }

  #migrate(): void {
    this.#db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)',
    );
    const applied = new Set(
      (this.#db.prepare('SELECT version FROM schema_migrations').all() as Row[]).map((r) => num(r.version)),
    );
    for (const m of migrationFiles(migrationsDir)) {
      if (applied.has(m.version)) continue;
      this.#tx(() => {
        this.#db.exec(readFileSync(m.file, 'utf8'));
        this.#db
          .prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)')
          .run(m.version, Date.now());
      });
    }
  }

  #stmt(text: string): StatementSync {
    let s = this.#stmts.get(text);
    if (!s) {
      s = this.#db.prepare(text);
      this.#stmts.set(text, s);
    }
    return s;
  }

  #tx<T>(work: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const out = work();
      this.#db.exec('COMMIT');
      return out;
    } catch (err) {
      this.#db.exec('ROLLBACK');
      throw err;
    }
  }

  async ping(): Promise<void> {
    this.#stmt('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.#pendingGrants.length > 0) this.#flushGrants();
    if (this.#db.isOpen) this.#db.close();
  }

  // Audit ---------------------------------------------------------------------------------------

  async auditHead(): Promise<AuditEntry | null> {
    const r = this.#stmt(sql.auditHead).get() as Row | undefined;
    return r ? toAudit(r) : null;
  }

  async appendAudit(entries: readonly AuditEntry[]): Promise<boolean> {
    const first = entries[0];
    if (!first) return true;
    return this.#tx(() => {
      const head = this.#stmt(sql.auditHead).get() as Row | undefined;
      const headSeq = head ? num(head.seq) : 0;
      const headHash = head ? str(head.hash) : null;
      if (first.seq !== headSeq + 1 || (headHash !== null && first.prevHash !== headHash)) return false;
      const insert = this.#stmt(sql.auditInsert);
      for (const e of entries) {
        insert.run(
          e.seq,
          e.at,
          e.actor,
          e.action,
          e.target,
          JSON.stringify(e.details),
          e.result,
          e.prevHash,
          e.hash,
        );
      }
      return true;
    });
  }

  async listAudit(q: AuditQuery): Promise<AuditEntry[]> {
    const rows = this.#stmt(sql.auditList).all(
      q.from ?? null,
      q.to ?? null,
      q.action ?? null,
      q.actor ?? null,
      q.afterSeq ?? 0,
      q.limit ?? 100,
    ) as Row[];
    return rows.map(toAudit);
  }

  async readAuditPage(afterSeq: number, limit: number): Promise<AuditEntry[]> {
    return (this.#stmt(sql.auditPage).all(afterSeq, limit) as Row[]).map(toAudit);
  }

  // Operators -----------------------------------------------------------------------------------

  async addOperator(o: Operator, enrolment?: Enrolment): Promise<void> {
    try {
      this.#stmt(sql.operatorInsert).run(
        o.id,
        o.name,
        o.role,
        o.tokenHash,
        o.totpSecret,
        o.createdAt,
        o.revokedAt,
        enrolment?.hash ?? null,
        enrolment?.expiresAt ?? null,
      );
    } catch (err) {
      if (String((err as Error).message).includes('UNIQUE')) {
        throw new LifelineError('OPERATOR_EXISTS', `An operator named ${o.name} already exists`, {
          cause: err,
        });
      }
      throw err;
    }
  }

  async findOperator(by: { id: string } | { name: string }): Promise<Operator | null> {
    const r = (
      'id' in by ? this.#stmt(sql.operatorById).get(by.id) : this.#stmt(sql.operatorByName).get(by.name)
    ) as Row | undefined;
    return r ? toOperator(r) : null;
  }

  async listOperators(): Promise<Operator[]> {
    return (this.#stmt(sql.operatorList).all() as Row[]).map(toOperator);
  }

  async revokeOperator(id: string, at: number): Promise<boolean> {
    return Number(this.#stmt(sql.operatorRevoke).run(at, id).changes) > 0;
  }

  async setTotpSecret(id: string, secret: string): Promise<void> {
    this.#stmt(sql.operatorSetTotp).run(id, secret);
  }

  async consumeTotpStep(id: string, step: number): Promise<boolean> {
    return Number(this.#stmt(sql.operatorConsumeStep).run(id, step).changes) > 0;
  }

  async redeemEnrolment(
    id: string,
    hash: string,
    now: number,
    credentials: { tokenHash: string; totpSecret: string },
  ): Promise<Operator | null> {
    const r = this.#stmt(sql.operatorRedeem).get(
      credentials.tokenHash,
      credentials.totpSecret,
      now,
      id,
      hash,
    ) as Row | undefined;
    return r ? toOperator(r) : null;
  }

  async setOperatorRole(id: string, role: Role, at: number): Promise<boolean> {
    return Number(this.#stmt(sql.operatorSetRole).run(role, at, id).changes) > 0;
  }

  async replaceTotpSecret(id: string, from: string, to: string): Promise<boolean> {
    return Number(this.#stmt(sql.operatorReplaceTotp).run(to, id, from).changes) > 0;
  }

  async stepUpLockedUntil(id: string): Promise<number | null> {
    const r = this.#stmt(sql.stepUpLock).get(id) as Row | undefined;
    return r ? numOrNull(r.stepup_locked_until) : null;
  }

  async recordStepUpFailure(id: string, at: number, since: number): Promise<number> {
    return this.#tx(() => {
      this.#stmt(sql.stepUpFailuresForget).run(id, since);
      this.#stmt(sql.stepUpFailureInsert).run(id, at);
      return num((this.#stmt(sql.stepUpFailuresCount).get(id) as Row).n);
    });
  }

  async lockStepUp(id: string, until: number): Promise<void> {
    this.#tx(() => {
      this.#stmt(sql.stepUpSetLock).run(until, id);
      this.#stmt(sql.stepUpFailuresClear).run(id);
    });
  }

  // Commands and disruptions --------------------------------------------------------------------

  async recordCommand(c: CommandRecord, disruptions: readonly Disruption[]): Promise<void> {
    this.#tx(() => {
      this.#saveCommand(c);
      this.#insertDisruptions(disruptions);
    });
  }

  async advanceCommand(
    c: CommandRecord,
    from: readonly CommandState[],
    disruptions: readonly Disruption[] = [],
  ): Promise<boolean> {
    return this.#tx(() => {
      const row = this.#stmt(sql.commandState).get(c.id) as Row | undefined;
      if (!row || !from.includes(str(row.state) as CommandState)) return false;
      this.#saveCommand(c);
      this.#insertDisruptions(disruptions);
      return true;
    });
  }

  #saveCommand(c: CommandRecord): void {
    this.#stmt(sql.commandUpsert).run(
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
    );
  }

  async listCommands(states: readonly CommandState[]): Promise<CommandRecord[]> {
    const out: CommandRecord[] = [];
    for (const state of states)
      out.push(...(this.#stmt(sql.commandsByState).all(state) as Row[]).map(toCommand));
    return out.sort((a, b) => a.requestedAt - b.requestedAt);
  }

  async getCommand(id: string): Promise<CommandRecord | null> {
    const r = this.#stmt(sql.commandById).get(id) as Row | undefined;
    return r ? toCommand(r) : null;
  }

  async recordDisruptions(batch: readonly Disruption[]): Promise<void> {
    this.#tx(() => this.#insertDisruptions(batch));
  }

  // A disrupted session's grant ends with it: the player comes back through a restore (with a
  // new session), never by refreshing the old one. A command's wave revokes its grants in one
  // set-based statement; row by row costs a JS-to-SQLite round trip per session.
  #insertDisruptions(batch: readonly Disruption[]): void {
    const first = batch[0];
    if (!first) return;
    const insert = this.#stmt(sql.disruptionInsert);
    for (const d of batch) {
      insert.run(
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
      );
    }
    const oneCommand =
      first.commandId !== null && batch.every((d) => d.commandId === first.commandId && d.at === first.at);
    if (oneCommand) {
      this.#stmt(sql.grantRevokeForCommand).run(first.at, first.cause, first.commandId, first.at);
      return;
    }
    const revoke = this.#stmt(sql.grantRevokeSession);
    for (const d of batch) revoke.run(d.at, d.cause, d.sessionId);
  }

  async listDisruptions(q: DisruptionQuery): Promise<Disruption[]> {
    const rows = this.#stmt(sql.disruptionList).all(
      q.commandId ?? null,
      q.playerId ?? null,
      q.from ?? null,
      q.to ?? null,
      q.restoreId ?? null,
      q.region ?? null,
      q.shard ?? null,
      q.zone ?? null,
      q.outcome ?? null,
      q.limit ?? 1000,
    ) as Row[];
    return rows.map(toDisruption);
  }

  async disruptionOfSession(sessionId: string): Promise<Disruption | null> {
    const r = this.#stmt(sql.disruptionOfSession).get(sessionId) as Row | undefined;
    return r ? toDisruption(r) : null;
  }

  // Restores ------------------------------------------------------------------------------------

  async createRestore(r: RestoreRecord) {
    return this.#tx(() => {
      const params = sourceParams(r.source);
      const overlapping = num((this.#stmt(sql.restoreOverlap).get(...params) as Row).n);
      if (overlapping > 0) return { created: false as const, overlapping };
      const total = Number(this.#stmt(sql.restoreClaim).run(...params, r.id).changes);
      this.#stmt(sql.restoreInsert).run(
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
      );
      return { created: true as const, total };
    });
  }

  async getRestore(id: string): Promise<RestoreRecord | null> {
    const r = this.#stmt(sql.restoreById).get(id) as Row | undefined;
    return r ? toRestore(r) : null;
  }

  async listRestores(states: readonly RestoreState[]): Promise<RestoreRecord[]> {
    return states.flatMap((s) => (this.#stmt(sql.restoresByState).all(s) as Row[]).map(toRestore));
  }

  async updateRestore(r: RestoreRecord, from: readonly RestoreState[]): Promise<boolean> {
    return this.#tx(() => {
      const row = this.#stmt(sql.restoreById).get(r.id) as Row | undefined;
      if (!row || !from.includes(str(row.state) as RestoreState)) return false;
      // released and batches are the batches' own counters; a state change never rewinds them.
      this.#stmt(sql.restoreUpdate).run(
        r.state,
        r.updatedAt,
        num(row.released),
        num(row.batches),
        r.pauseCode,
        r.pauseNote,
        r.id,
      );
      return true;
    });
  }

  async releaseBatch(
    restoreId: string,
    size: number,
    now: number,
    ticketExpiresAt: number,
  ): Promise<Disruption[]> {
    return this.#tx(() => {
      const restore = this.#stmt(sql.restoreById).get(restoreId) as Row | undefined;
      if (!restore || str(restore.state) !== 'running' || size <= 0) return [];
      const next = (this.#stmt(sql.restoreNextPending).all(restoreId, size) as Row[]).map(toDisruption);
      const ticket = this.#stmt(sql.disruptionTicket);
      for (const d of next) ticket.run(ticketExpiresAt, d.id);
      if (next.length > 0) this.#stmt(sql.restoreAddReleased).run(next.length, now, restoreId);
      return next.map((d) => ({ ...d, outcome: 'ticketed' as const, ticketExpiresAt }));
    });
  }

  async settleDisruption(id: string, from: readonly DisruptionOutcome[], to: Settlement): Promise<boolean> {
    const changes = this.#stmt(sql.disruptionSettle).run(
      to.outcome,
      to.reason,
      to.at,
      to.sessionId ?? null,
      id,
      JSON.stringify(from),
    ).changes;
    return Number(changes) > 0;
  }

  async expireTickets(now: number): Promise<number> {
    return Number(this.#stmt(sql.ticketsExpire).run(now).changes);
  }

  async restoreCounts(restoreId: string): Promise<RestoreCounts> {
    const counts: RestoreCounts = { pending: 0, ticketed: 0, restored: 0, expired: 0, refused: 0 };
    for (const r of this.#stmt(sql.restoreCounts).all(restoreId) as Row[])
      counts[str(r.outcome) as keyof RestoreCounts] = num(r.n);
    return counts;
  }

  async queuePosition(restoreId: string, d: Disruption): Promise<number> {
    return num((this.#stmt(sql.restorePosition).get(restoreId, d.at, d.id) as Row).n);
  }

  async hasNewerSession(playerId: string, after: number): Promise<boolean> {
    return this.#stmt(sql.grantNewer).get(playerId, after) !== undefined;
  }

  async getDisruption(id: string): Promise<Disruption | null> {
    const r = this.#stmt(sql.disruptionById).get(id) as Row | undefined;
    return r ? toDisruption(r) : null;
  }

  // Grants --------------------------------------------------------------------------------------

  /**
   * Group commit: every grant opened in the same turn of the event loop is written in one
   * transaction. A login storm then costs one WAL commit per batch instead of one per login
   * (each commit rewrites whole pages of the table and its indexes); every caller still
   * resolves only once its row is committed.
   */
  openGrant(g: Grant): Promise<void> {
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.#pendingGrants.push({ grant: g, resolve, reject });
    if (this.#pendingGrants.length === 1) setImmediate(() => this.#flushGrants());
    return promise;
  }

  #flushGrants(): void {
    const batch = this.#pendingGrants;
    if (batch.length === 0) return;
    this.#pendingGrants = [];
    try {
      this.#tx(() => {
        for (const p of batch) this.#insertGrant(p.grant);
      });
    } catch {
      // One bad row (a duplicate session id) must not fail its neighbours: retry one by one.
      for (const p of batch) {
        try {
          this.#insertGrant(p.grant);
          p.resolve();
        } catch (single) {
          p.reject(single);
        }
      }
      return;
    }
    for (const p of batch) p.resolve();
  }

  #insertGrant(g: Grant): void {
    this.#stmt(sql.grantInsert).run(
      g.sessionId,
      g.playerId,
      g.familyId,
      g.generation,
      JSON.stringify(g.snapshot),
      g.createdAt,
      g.expiresAt,
      g.revokedAt,
      g.revokedReason,
    );
  }

  async getGrant(sessionId: string): Promise<Grant | null> {
    const r = this.#stmt(sql.grantBySession).get(sessionId) as Row | undefined;
    return r ? toGrant(r) : null;
  }

  async rotateGrant(
    familyId: string,
    generation: number,
    now: number,
    expiresAt: number,
  ): Promise<RotateOutcome> {
    return this.#tx((): RotateOutcome => {
      const r = this.#stmt(sql.grantByFamily).get(familyId) as Row | undefined;
      if (!r) return { kind: 'unknown' };
      const grant = toGrant(r);
      if (grant.revokedAt !== null) return { kind: 'revoked', grant };
      if (grant.expiresAt <= now) return { kind: 'expired', grant };
      if (grant.generation !== generation) {
        this.#stmt(sql.grantRevokeFamily).run(now, 'refresh-reuse', familyId);
        return { kind: 'reused', grant: { ...grant, revokedAt: now, revokedReason: 'refresh-reuse' } };
      }
      this.#stmt(sql.grantRotate).run(generation + 1, expiresAt, familyId);
      return { kind: 'rotated', grant: { ...grant, generation: generation + 1, expiresAt } };
    });
  }

  async revokeGrants(sessionIds: readonly string[], at: number, reason: string): Promise<void> {
    this.#tx(() => {
      const revoke = this.#stmt(sql.grantRevokeSession);
      for (const id of sessionIds) revoke.run(at, reason, id);
    });
  }

  async purgeGrants(before: number, limit: number): Promise<number> {
    return Number(this.#stmt(sql.grantPurge).run(before, limit).changes);
  }

  // Bans ----------------------------------------------------------------------------------------

  async banPlayer(b: Ban): Promise<boolean> {
    return this.#tx(() => {
      const inserted = this.#stmt(sql.banInsert).run(b.id, b.playerId, b.reason, b.bannedBy, b.at).changes;
      if (Number(inserted) === 0) return false;
      this.#stmt(sql.grantRevokePlayer).run(b.at, 'banned', b.playerId);
      return true;
    });
  }

  async liftBan(playerId: string, lift: { at: number; by: string; reason: string }): Promise<Ban | null> {
    const r = this.#stmt(sql.banLift).get(lift.at, lift.by, lift.reason, playerId) as Row | undefined;
    return r ? toBan(r) : null;
  }

  async currentBan(playerId: string): Promise<Ban | null> {
    const r = this.#stmt(sql.banCurrent).get(playerId) as Row | undefined;
    return r ? toBan(r) : null;
  }

  async listBans(q: BanQuery): Promise<Ban[]> {
    const ids = q.playerIds === undefined ? null : JSON.stringify(q.playerIds);
    return (this.#stmt(sql.banList).all(ids, q.limit ?? 1000) as Row[]).map(toBan);
  }

  // Breakers and flags --------------------------------------------------------------------------

  async getBreaker(name: string): Promise<BreakerState | null> {
    const r = this.#stmt(sql.breakerByName).get(name) as Row | undefined;
    return r
      ? {
          name: str(r.name),
          state: str(r.state) as BreakerState['state'],
          changedAt: num(r.changed_at),
          changedBy: str(r.changed_by),
          reason: str(r.reason),
        }
      : null;
  }

  async setBreaker(b: BreakerState): Promise<boolean> {
    return (
      Number(this.#stmt(sql.breakerSet).run(b.name, b.state, b.changedAt, b.changedBy, b.reason).changes) > 0
    );
  }

  async listFlags(): Promise<FlagRecord[]> {
    return (this.#stmt(sql.flagsList).all() as Row[]).map((r) => ({
      key: str(r.key),
      value: JSON.parse(str(r.value)) as FlagRecord['value'],
      updatedAt: num(r.updated_at),
      updatedBy: str(r.updated_by),
      reason: str(r.reason),
    }));
  }

  async setFlag(f: FlagRecord): Promise<void> {
    this.#stmt(sql.flagUpsert).run(f.key, JSON.stringify(f.value), f.updatedAt, f.updatedBy, f.reason);
  }

  // Entitlement cache ---------------------------------------------------------------------------

  async rememberEntitlement(playerId: string, licence: string, verifiedAt: number): Promise<void> {
    this.#stmt(sql.entitlementRemember).run(playerId, licence, verifiedAt);
  }

  async lastKnownEntitlement(playerId: string): Promise<{ licence: string; verifiedAt: number } | null> {
    const r = this.#stmt(sql.entitlementLastKnown).get(playerId) as Row | undefined;
    return r ? { licence: str(r.licence), verifiedAt: num(r.verified_at) } : null;
  }

  // Signing keys --------------------------------------------------------------------------------

  async signingKeys(): Promise<SigningKey[]> {
    return (this.#stmt(sql.keysList).all() as Row[]).map(toSigningKey);
  }

  async addFirstSigningKey(k: SigningKey): Promise<void> {
    // One statement: SQLite's single writer makes the check and the insert one step.
    this.#stmt(sql.keyInsertFirst).run(k.kid, k.sealedKey, k.alg, k.createdAt);
  }

  async addSigningKey(k: SigningKey): Promise<void> {
    this.#stmt(sql.keyInsert).run(k.kid, k.sealedKey, k.alg, k.createdAt);
  }

  async resealSigningKey(kid: string, sealedKey: string): Promise<void> {
    this.#stmt(sql.keyReseal).run(kid, sealedKey);
  }

  async retireSigningKeys(kids: readonly string[], at: number): Promise<void> {
    this.#tx(() => {
      for (const kid of kids) this.#stmt(sql.keyRetire).run(kid, at);
    });
  }

  async macKeys(): Promise<MacKey[]> {
    return (this.#stmt(sql.macKeysList).all() as Row[]).map(toMacKey);
  }

  async addFirstMacKey(k: MacKey): Promise<void> {
    this.#stmt(sql.macKeyInsertFirst).run(k.kid, k.sealedKey, k.createdAt);
  }

  async addMacKey(k: MacKey): Promise<void> {
    this.#stmt(sql.macKeyInsert).run(k.kid, k.sealedKey, k.createdAt);
  }

  async retireMacKeys(kids: readonly string[], at: number): Promise<void> {
    this.#tx(() => {
      for (const kid of kids) this.#stmt(sql.macKeyRetire).run(kid, at);
    });
  }
}
