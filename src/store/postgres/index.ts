import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { LifelineError } from '../../errors/index.ts';
import { migrationFiles, num } from '../rows.ts';
import { SqlRecordStore } from '../sql/store.ts';
import { lockKeys, PgDriver } from './driver.ts';
import { sql } from './statements.ts';

const migrationsDir = join(import.meta.dirname, 'migrations');

/** A schema name as a quoted identifier; only plain names are accepted. */
function schemaIdent(schema: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw new LifelineError('STORE_UNAVAILABLE', `Not a usable PostgreSQL schema name: ${schema}`);
  }
  return `"${schema}"`;
}

/**
 * The shared record store: one PostgreSQL schema, reached through a connection pool, several
 * Lifeline nodes sharing it. Every pooled connection has `search_path` set to the schema; the
 * rest is the SQL core's, over the PostgreSQL driver's locks.
 */
export class PostgresRecordStore extends SqlRecordStore {
  readonly kind = 'postgres';
  readonly schema: string;

  private constructor(pool: pg.Pool, schema: string, schemaKey: number) {
    super(new PgDriver(pool, schemaKey), sql);
    this.schema = schema;
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
      const key = num((await pool.query('SELECT hashtext($1) AS k', [opts.schema])).rows[0]?.k);
      await migrate(pool, ident, key);
      return new PostgresRecordStore(pool, opts.schema, key);
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
}

async function migrate(pool: pg.Pool, ident: string, schemaKey: number): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1, $2)', [lockKeys.migrate, schemaKey]);
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${ident}`);
      await client.query(`SET search_path TO ${ident}`);
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)',
      );
      const applied = new Set(
        (await client.query('SELECT version FROM schema_migrations')).rows.map((r) => num(r.version)),
      );
      for (const m of migrationFiles(migrationsDir)) {
        if (!applied.has(m.version)) await applyOne(client, m.version, readFileSync(m.file, 'utf8'));
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, $2)', [lockKeys.migrate, schemaKey]);
    }
  } finally {
    client.release();
  }
}

async function applyOne(client: pg.PoolClient, version: number, script: string): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query(script);
    await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [
      version,
      Date.now(),
    ]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  }
}
