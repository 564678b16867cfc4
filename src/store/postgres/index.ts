import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
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
type Queryable = pg.Pool | pg.PoolClient;
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
import { sql } from './statements.ts';

const migrationsDir = join(import.meta.dirname, 'migrations');

/**
 * Advisory lock keys (the first half of a two-key lock; the second is the schema's hash), so
 * several schemas in one database never wait on each other.
 */
const lockKeys = { migrate: 0x4c4c0001, audit: 0x4c4c0002, restore: 0x4c4c0003, keys: 0x4c4c0004 } as const;

/** A schema name as a quoted identifier; only plain names are accepted. */
function schemaIdent(schema: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw new LifelineError('STORE_UNAVAILABLE', `Not a usable PostgreSQL schema name: ${schema}`);
  }
  return `"${schema}"`;
}

async function rows(db: Queryable, text: string, params: unknown[] = []): Promise<Row[]> {
  return (await db.query(text, params)).rows as Row[];
}

async function one(db: Queryable, text: string, params: unknown[] = []): Promise<Row | undefined> {
  return (await rows(db, text, params))[0];
}

async function changes(db: Queryable, text: string, params: unknown[] = []): Promise<number> {
  return (await db.query(text, params)).rowCount ?? 0;
}

/**
 * The shared record store: one PostgreSQL schema, reached through a connection pool. Every
 * pooled connection has `search_path` set to the schema. Where SQLite relies on one writer at a
 * time, this adapter takes row locks (`SELECT … FOR UPDATE`) or transaction-scoped advisory
 * locks, so several Lifeline nodes sharing the database keep the port's guarantees.
 */
export class PostgresRecordStore implements RecordStore {
  readonly kind = 'postgres';
  readonly schema: string;
  readonly #pool: pg.Pool;
  /** The schema's lock key: the second half of every advisory lock this store takes. */
  readonly #schemaKey: number;

  private constructor(pool: pg.Pool, schema: string, schemaKey: number) {
    this.#pool = pool;
    this.schema = schema;
    this.#schemaKey = schemaKey;
  }

  /**
   * Opens a pool on `url`, creates `schema` if it is missing and brings it to the newest
   * migration. Migrations run under a session advisory lock, so nodes starting together migrate
   * once.
   */
  static async open(opts: { url: string; schema: string; max?: number }): Promise<PostgresRecordStore> {
    const ident = schemaIdent(opts.schema);
    // Every pooled connection works in the schema. pg-pool awaits `onConnect` (its awaited
    // form of the 'connect' event) before handing the client out, so no query can run first;
    // a connection that cannot set its path is discarded and the checkout fails.
    const pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.max ?? 10,
      onConnect: async (client) => {
        await client.query(`SET search_path TO ${ident}`);
      },
    });
    // An idle client that loses its server must not take the process down; the next checkout
    // opens a new one.
    pool.on('error', () => {});
    try {
      const key = num((await one(pool, 'SELECT hashtext($1) AS k', [opts.schema]))?.k);
      const store = new PostgresRecordStore(pool, opts.schema, key);
      await store.#migrate(ident);
      return store;
    } catch (err) {
      await pool.end().catch(() => {});
      if (err instanceof LifelineError) throw err;
      throw new LifelineError(
        'STORE_UNAVAILABLE',
        `Cannot open the PostgreSQL store (schema ${opts.schema})`,
        {
          cause: err,
        },
      );
    }
  }

  async #migrate(ident: string): Promise<void> {
    const client = await this.#pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1, $2)', [lockKeys.migrate, this.#schemaKey]);
      try {
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${ident}`);
        await client.query(`SET search_path TO ${ident}`);
        await client.query(
          'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)',
        );
        const applied = new Set(
          (await rows(client, 'SELECT version FROM schema_migrations')).map((r) => num(r.version)),
        );
        for (const m of migrationFiles(migrationsDir)) {
          if (applied.has(m.version)) continue;
          await client.query('BEGIN');
          try {
            await client.query(readFileSync(m.file, 'utf8'));
            await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [
              m.version,
              Date.now(),
            ]);
            await client.query('COMMIT');
          } catch (err) {
            await client.query('ROLLBACK');
            throw err;
          }
        }
      } finally {
        await client.query('SELECT pg_advisory_unlock($1, $2)', [lockKeys.migrate, this.#schemaKey]);
      }
    } finally {
      client.release();
    }
  }

  async #tx<T>(work: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    // A connection that cannot even roll back is broken: it is discarded, not pooled again.
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      try {
        const out = await work(client);
        await client.query('COMMIT');
        return out;
      } catch (err) {
        await client.query('ROLLBACK').catch((rollbackErr: unknown) => {
          broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
        });
        throw err;
      }
    } catch (err) {
      broken ??= (err as { code?: unknown }).code === undefined && err instanceof Error ? err : undefined;
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async ping(): Promise<void> {
    await this.#pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  // Audit ---------------------------------------------------------------------------------------

  async auditHead(): Promise<AuditEntry | null> {
    const r = await one(this.#pool, sql.auditHead);
    return r ? toAudit(r) : null;
  }

  async appendAudit(entries: readonly AuditEntry[]): Promise<boolean> {
    const first = entries[0];
    if (!first) return true;
    return this.#tx(async (c) => {
      // Appenders on every node queue here, so the head they check is the head they extend.
      await c.query('SELECT pg_advisory_xact_lock($1, $2)', [lockKeys.audit, this.#schemaKey]);
      const head = await one(c, sql.auditHead);
      const headSeq = head ? num(head.seq) : 0;
      const headHash = head ? str(head.hash) : null;
      if (first.seq !== headSeq + 1 || (headHash !== null && first.prevHash !== headHash)) return false;
      await c.query(sql.auditInsert, [
        entries.map((e) => e.seq),
        entries.map((e) => e.at),
        entries.map((e) => e.actor),
        entries.map((e) => e.action),
        entries.map((e) => e.target),
        entries.map((e) => JSON.stringify(e.details)),
        entries.map((e) => e.result),
        entries.map((e) => e.prevHash),
        entries.map((e) => e.hash),
      ]);
      return true;
    });
  }

  async listAudit(q: AuditQuery): Promise<AuditEntry[]> {
    const r = await rows(this.#pool, sql.auditList, [
      q.from ?? null,
      q.to ?? null,
      q.action ?? null,
      q.actor ?? null,
      q.afterSeq ?? 0,
      q.limit ?? 100,
    ]);
    return r.map(toAudit);
  }

  async readAuditPage(afterSeq: number, limit: number): Promise<AuditEntry[]> {
    return (await rows(this.#pool, sql.auditPage, [afterSeq, limit])).map(toAudit);
  }

  // Operators -----------------------------------------------------------------------------------

  async addOperator(o: Operator, enrolment?: Enrolment): Promise<void> {
    try {
      await this.#pool.query(sql.operatorInsert, [
        o.id,
        o.name,
        o.role,
        o.tokenHash,
        o.totpSecret,
        o.createdAt,
        o.revokedAt,
        enrolment?.hash ?? null,
        enrolment?.expiresAt ?? null,
      ]);
    } catch (err) {
      if ((err as { code?: unknown }).code === '23505') {
        throw new LifelineError('OPERATOR_EXISTS', `An operator named ${o.name} already exists`, {
          cause: err,
        });
      }
      throw err;
    }
  }

  async findOperator(by: { id: string } | { name: string }): Promise<Operator | null> {
    const r =
      'id' in by
        ? await one(this.#pool, sql.operatorById, [by.id])
        : await one(this.#pool, sql.operatorByName, [by.name]);
    return r ? toOperator(r) : null;
  }

  async listOperators(): Promise<Operator[]> {
    return (await rows(this.#pool, sql.operatorList)).map(toOperator);
  }

  async revokeOperator(id: string, at: number): Promise<boolean> {
    return (await changes(this.#pool, sql.operatorRevoke, [at, id])) > 0;
  }

  async setTotpSecret(id: string, secret: string): Promise<void> {
    await this.#pool.query(sql.operatorSetTotp, [id, secret]);
  }

  async consumeTotpStep(id: string, step: number): Promise<boolean> {
    return (await changes(this.#pool, sql.operatorConsumeStep, [id, step])) > 0;
  }

  async redeemEnrolment(
    id: string,
    hash: string,
    now: number,
    credentials: { tokenHash: string; totpSecret: string },
  ): Promise<Operator | null> {
    const r = await one(this.#pool, sql.operatorRedeem, [
      credentials.tokenHash,
      credentials.totpSecret,
      now,
      id,
      hash,
    ]);
    return r ? toOperator(r) : null;
  }

  async setOperatorRole(id: string, role: Role, at: number): Promise<boolean> {
    return (await changes(this.#pool, sql.operatorSetRole, [role, at, id])) > 0;
  }

  async replaceTotpSecret(id: string, from: string, to: string): Promise<boolean> {
    return (await changes(this.#pool, sql.operatorReplaceTotp, [to, id, from])) > 0;
  }

  async stepUpLockedUntil(id: string): Promise<number | null> {
    const r = await one(this.#pool, sql.stepUpLock, [id]);
    return r ? numOrNull(r.stepup_locked_until) : null;
  }

  async recordStepUpFailure(id: string, at: number, since: number): Promise<number> {
    return this.#tx(async (c) => {
      await c.query(sql.stepUpFailuresForget, [id, since]);
      await c.query(sql.stepUpFailureInsert, [id, at]);
      return num((await one(c, sql.stepUpFailuresCount, [id]))?.n);
    });
  }

  async lockStepUp(id: string, until: number): Promise<void> {
    await this.#tx(async (c) => {
      await c.query(sql.stepUpSetLock, [until, id]);
      await c.query(sql.stepUpFailuresClear, [id]);
    });
  }

  // Commands and disruptions --------------------------------------------------------------------

  async recordCommand(c: CommandRecord, disruptions: readonly Disruption[]): Promise<void> {
    await this.#tx(async (client) => {
      await this.#saveCommand(client, c);
      await this.#insertDisruptions(client, disruptions);
    });
  }

  async advanceCommand(
    c: CommandRecord,
    from: readonly CommandState[],
    disruptions: readonly Disruption[] = [],
  ): Promise<boolean> {
    return this.#tx(async (client) => {
      const row = await one(client, sql.commandStateForUpdate, [c.id]);
      if (!row || !from.includes(str(row.state) as CommandState)) return false;
      await this.#saveCommand(client, c);
      await this.#insertDisruptions(client, disruptions);
      return true;
    });
  }

  async #saveCommand(client: pg.PoolClient, c: CommandRecord): Promise<void> {
    await client.query(sql.commandUpsert, [
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
    ]);
  }

  async listCommands(states: readonly CommandState[]): Promise<CommandRecord[]> {
    if (states.length === 0) return [];
    return (await rows(this.#pool, sql.commandsByStates, [[...states]])).map(toCommand);
  }

  async getCommand(id: string): Promise<CommandRecord | null> {
    const r = await one(this.#pool, sql.commandById, [id]);
    return r ? toCommand(r) : null;
  }

  async recordDisruptions(batch: readonly Disruption[]): Promise<void> {
    if (batch.length === 0) return;
    await this.#tx((client) => this.#insertDisruptions(client, batch));
  }

  // A disrupted session's grant ends with it: the player comes back through a restore (with a
  // new session), never by refreshing the old one. Both the insert and the revocation are one
  // set-based statement each, whatever the batch size.
  async #insertDisruptions(client: pg.PoolClient, batch: readonly Disruption[]): Promise<void> {
    if (batch.length === 0) return;
    await client.query(sql.disruptionInsert, [
      batch.map((d) => d.id),
      batch.map((d) => d.sessionId),
      batch.map((d) => d.playerId),
      batch.map((d) => d.cause),
      batch.map((d) => d.commandId),
      batch.map((d) => d.incidentId),
      batch.map((d) => d.at),
      batch.map((d) => JSON.stringify(d.snapshot)),
      batch.map((d) => d.outcome),
      batch.map((d) => d.outcomeReason),
    ]);
    await client.query(sql.grantRevokeDisrupted, [
      batch.map((d) => d.sessionId),
      batch.map((d) => d.at),
      batch.map((d) => d.cause),
    ]);
  }

  async listDisruptions(q: DisruptionQuery): Promise<Disruption[]> {
    const r = await rows(this.#pool, sql.disruptionList, [
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
    ]);
    return r.map(toDisruption);
  }

  async disruptionOfSession(sessionId: string): Promise<Disruption | null> {
    const r = await one(this.#pool, sql.disruptionOfSession, [sessionId]);
    return r ? toDisruption(r) : null;
  }

  async getDisruption(id: string): Promise<Disruption | null> {
    const r = await one(this.#pool, sql.disruptionById, [id]);
    return r ? toDisruption(r) : null;
  }

  // Restores ------------------------------------------------------------------------------------

  async createRestore(
    r: RestoreRecord,
  ): Promise<{ created: true; total: number } | { created: false; overlapping: number }> {
    return this.#tx(async (c) => {
      // Two restores created at once on different nodes must not both see "no overlap".
      await c.query('SELECT pg_advisory_xact_lock($1, $2)', [lockKeys.restore, this.#schemaKey]);
      const params = sourceParams(r.source);
      const overlapping = num((await one(c, sql.restoreOverlap, params))?.n);
      if (overlapping > 0) return { created: false as const, overlapping };
      const total = await changes(c, sql.restoreClaim, [...params, r.id]);
      await c.query(sql.restoreInsert, [
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
      ]);
      return { created: true as const, total };
    });
  }

  async getRestore(id: string): Promise<RestoreRecord | null> {
    const r = await one(this.#pool, sql.restoreById, [id]);
    return r ? toRestore(r) : null;
  }

  async listRestores(states: readonly RestoreState[]): Promise<RestoreRecord[]> {
    if (states.length === 0) return [];
    return (await rows(this.#pool, sql.restoresByStates, [[...states]])).map(toRestore);
  }

  async updateRestore(r: RestoreRecord, from: readonly RestoreState[]): Promise<boolean> {
    return this.#tx(async (c) => {
      const row = await one(c, sql.restoreByIdForUpdate, [r.id]);
      if (!row || !from.includes(str(row.state) as RestoreState)) return false;
      // released and batches are the batches' own counters; a state change never rewinds them.
      await c.query(sql.restoreUpdate, [r.state, r.updatedAt, r.pauseCode, r.pauseNote, r.id]);
      return true;
    });
  }

  async releaseBatch(
    restoreId: string,
    size: number,
    now: number,
    ticketExpiresAt: number,
  ): Promise<Disruption[]> {
    if (size <= 0) return [];
    return this.#tx(async (c) => {
      // The restore row lock serializes batches of one restore across nodes and holds off a
      // pause until this batch is counted.
      const restore = await one(c, sql.restoreByIdForUpdate, [restoreId]);
      if (!restore || str(restore.state) !== 'running') return [];
      const next = (await rows(c, sql.restoreTicketNext, [restoreId, size, ticketExpiresAt]))
        .map(toDisruption)
        .sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      if (next.length > 0) await c.query(sql.restoreAddReleased, [next.length, now, restoreId]);
      return next;
    });
  }

  async settleDisruption(id: string, from: readonly DisruptionOutcome[], to: Settlement): Promise<boolean> {
    const n = await changes(this.#pool, sql.disruptionSettle, [
      to.outcome,
      to.reason,
      to.at,
      to.sessionId ?? null,
      id,
      [...from],
    ]);
    return n > 0;
  }

  async expireTickets(now: number): Promise<number> {
    return changes(this.#pool, sql.ticketsExpire, [now]);
  }

  async restoreCounts(restoreId: string): Promise<RestoreCounts> {
    const counts: RestoreCounts = { pending: 0, ticketed: 0, restored: 0, expired: 0, refused: 0 };
    for (const r of await rows(this.#pool, sql.restoreCounts, [restoreId]))
      counts[str(r.outcome) as keyof RestoreCounts] = num(r.n);
    return counts;
  }

  async queuePosition(restoreId: string, d: Disruption): Promise<number> {
    return num((await one(this.#pool, sql.restorePosition, [restoreId, d.at, d.id]))?.n);
  }

  async hasNewerSession(playerId: string, after: number): Promise<boolean> {
    return (await one(this.#pool, sql.grantNewer, [playerId, after])) !== undefined;
  }

  // Grants --------------------------------------------------------------------------------------

  async openGrant(g: Grant): Promise<void> {
    await this.#pool.query(sql.grantInsert, [
      g.sessionId,
      g.playerId,
      g.familyId,
      g.generation,
      JSON.stringify(g.snapshot),
      g.createdAt,
      g.expiresAt,
      g.revokedAt,
      g.revokedReason,
    ]);
  }

  async getGrant(sessionId: string): Promise<Grant | null> {
    const r = await one(this.#pool, sql.grantBySession, [sessionId]);
    return r ? toGrant(r) : null;
  }

  async rotateGrant(
    familyId: string,
    generation: number,
    now: number,
    expiresAt: number,
  ): Promise<RotateOutcome> {
    return this.#tx(async (c): Promise<RotateOutcome> => {
      const r = await one(c, sql.grantByFamilyForUpdate, [familyId]);
      if (!r) return { kind: 'unknown' };
      const grant = toGrant(r);
      if (grant.revokedAt !== null) return { kind: 'revoked', grant };
      if (grant.expiresAt <= now) return { kind: 'expired', grant };
      if (grant.generation !== generation) {
        await c.query(sql.grantRevokeFamily, [now, 'refresh-reuse', familyId]);
        return { kind: 'reused', grant: { ...grant, revokedAt: now, revokedReason: 'refresh-reuse' } };
      }
      await c.query(sql.grantRotate, [generation + 1, expiresAt, familyId]);
      return { kind: 'rotated', grant: { ...grant, generation: generation + 1, expiresAt } };
    });
  }

  async revokeGrants(sessionIds: readonly string[], at: number, reason: string): Promise<void> {
    if (sessionIds.length === 0) return;
    await this.#pool.query(sql.grantRevokeSessions, [at, reason, [...sessionIds]]);
  }

  async purgeGrants(before: number, limit: number): Promise<number> {
    return changes(this.#pool, sql.grantPurge, [before, limit]);
  }

  // Bans ----------------------------------------------------------------------------------------

  async banPlayer(b: Ban): Promise<boolean> {
    return this.#tx(async (c) => {
      // The partial unique index decides between two nodes banning the same player at once.
      if ((await changes(c, sql.banInsert, [b.id, b.playerId, b.reason, b.bannedBy, b.at])) === 0)
        return false;
      await c.query(sql.grantRevokePlayer, [b.at, 'banned', b.playerId]);
      return true;
    });
  }

  async liftBan(playerId: string, lift: { at: number; by: string; reason: string }): Promise<Ban | null> {
    const r = await one(this.#pool, sql.banLift, [lift.at, lift.by, lift.reason, playerId]);
    return r ? toBan(r) : null;
  }

  async currentBan(playerId: string): Promise<Ban | null> {
    const r = await one(this.#pool, sql.banCurrent, [playerId]);
    return r ? toBan(r) : null;
  }

  async listBans(q: BanQuery): Promise<Ban[]> {
    const ids = q.playerIds === undefined ? null : [...q.playerIds];
    return (await rows(this.#pool, sql.banList, [ids, q.limit ?? 1000])).map(toBan);
  }

  // Breakers and flags --------------------------------------------------------------------------

  async getBreaker(name: string): Promise<BreakerState | null> {
    const r = await one(this.#pool, sql.breakerByName, [name]);
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
      (await changes(this.#pool, sql.breakerSet, [b.name, b.state, b.changedAt, b.changedBy, b.reason])) > 0
    );
  }

  async listFlags(): Promise<FlagRecord[]> {
    return (await rows(this.#pool, sql.flagsList)).map((r) => ({
      key: str(r.key),
      value: JSON.parse(str(r.value)) as FlagRecord['value'],
      updatedAt: num(r.updated_at),
      updatedBy: str(r.updated_by),
      reason: str(r.reason),
    }));
  }

  async setFlag(f: FlagRecord): Promise<void> {
    await this.#pool.query(sql.flagUpsert, [
      f.key,
      JSON.stringify(f.value),
      f.updatedAt,
      f.updatedBy,
      f.reason,
    ]);
  }

  // Entitlement cache ---------------------------------------------------------------------------

  async rememberEntitlement(playerId: string, licence: string, verifiedAt: number): Promise<void> {
    await this.#pool.query(sql.entitlementRemember, [playerId, licence, verifiedAt]);
  }

  async lastKnownEntitlement(playerId: string): Promise<{ licence: string; verifiedAt: number } | null> {
    const r = await one(this.#pool, sql.entitlementLastKnown, [playerId]);
    return r ? { licence: str(r.licence), verifiedAt: num(r.verified_at) } : null;
  }

  // Signing keys --------------------------------------------------------------------------------

  async signingKeys(): Promise<SigningKey[]> {
    return (await rows(this.#pool, sql.keysList)).map(toSigningKey);
  }

  async addFirstSigningKey(k: SigningKey): Promise<void> {
    // Under READ COMMITTED two nodes would both see no key and both insert: the lock orders them.
    await this.#tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1, $2)', [lockKeys.keys, this.#schemaKey]);
      await c.query(sql.keyInsertFirst, [k.kid, k.sealedKey, k.alg, k.createdAt]);
    });
  }

  async addSigningKey(k: SigningKey): Promise<void> {
    await this.#pool.query(sql.keyInsert, [k.kid, k.sealedKey, k.alg, k.createdAt]);
  }

  async resealSigningKey(kid: string, sealedKey: string): Promise<void> {
    await this.#pool.query(sql.keyReseal, [kid, sealedKey]);
  }

  async retireSigningKeys(kids: readonly string[], at: number): Promise<void> {
    await this.#pool.query(sql.keyRetire, [kids, at]);
  }

  async macKeys(): Promise<MacKey[]> {
    return (await rows(this.#pool, sql.macKeysList)).map(toMacKey);
  }

  async addFirstMacKey(k: MacKey): Promise<void> {
    await this.#tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1, $2)', [lockKeys.keys, this.#schemaKey]);
      await c.query(sql.macKeyInsertFirst, [k.kid, k.sealedKey, k.createdAt]);
    });
  }

  async addMacKey(k: MacKey): Promise<void> {
    await this.#pool.query(sql.macKeyInsert, [k.kid, k.sealedKey, k.createdAt]);
  }

  async retireMacKeys(kids: readonly string[], at: number): Promise<void> {
    await this.#pool.query(sql.macKeyRetire, [kids, at]);
  }
}
