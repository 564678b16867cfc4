/**
 * The SQL core's driver on node-postgres: statements on a pool, a transaction on one checked-out
 * connection. Where SQLite has one writer at a time, the core's named locks are transaction-scoped
 * advisory locks, keyed by the schema too so several schemas in one database never wait on each
 * other; the "locked" statements take row locks (`FOR UPDATE`).
 */
import type pg from 'pg';
import type { Row } from '../rows.ts';
import type { LockName, Params, SqlDriver, SqlRunner, SqlTx } from '../sql/driver.ts';

/** Advisory lock keys: the first half of a two-key lock, the second being the schema's hash. */
export const lockKeys = {
  migrate: 0x4c4c0001,
  audit: 0x4c4c0002,
  restore: 0x4c4c0003,
  keys: 0x4c4c0004,
} as const;

/**
 * Every statement is prepared once per connection, by a name its text is given here: the server
 * then parses and plans it once, not on every call (each connection works in one schema, so a
 * plan never crosses schemas).
 */
const names = new Map<string, string>();
function prepared(text: string, params: readonly unknown[]): pg.QueryConfig {
  let name = names.get(text);
  if (name === undefined) {
    name = `lifeline_${names.size + 1}`;
    names.set(text, name);
  }
  return { name, text, values: [...params] };
}

/** Statements on a pool (each on any free connection) or on one connection. */
function runner(db: pg.Pool | pg.PoolClient): SqlRunner {
  const all = async (text: string, params: Params = []) =>
    (await db.query(prepared(text, params))).rows as Row[];
  return {
    all,
    one: async (text, params) => (await all(text, params))[0],
    run: async (text, params = []) => (await db.query(prepared(text, params))).rowCount ?? 0,
    // One statement over column arrays (`unnest`): the rows go in one round trip, all or none.
    batch: async (text, rows) => {
      if (rows.length === 0) return;
      await db.query(
        prepared(
          text,
          (rows[0] as Params).map((_, i) => rows.map((r) => r[i])),
        ),
      );
    },
  };
}

export class PgDriver implements SqlDriver {
  readonly #pool: pg.Pool;
  /** The schema's lock key: the second half of every advisory lock this store takes. */
  readonly #schemaKey: number;
  readonly #pooled: SqlRunner;

  constructor(pool: pg.Pool, schemaKey: number) {
    this.#pool = pool;
    this.#schemaKey = schemaKey;
    this.#pooled = runner(pool);
  }

  one(text: string, params?: Params): Promise<Row | undefined> {
    return this.#pooled.one(text, params);
  }
  all(text: string, params?: Params): Promise<Row[]> {
    return this.#pooled.all(text, params);
  }
  run(text: string, params?: Params): Promise<number> {
    return this.#pooled.run(text, params);
  }
  batch(text: string, rows: readonly Params[]): Promise<void> {
    return this.#pooled.batch(text, rows);
  }

  async tx<T>(work: (t: SqlTx) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    // A connection that cannot even roll back is broken: it is discarded, not pooled again.
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      try {
        const out = await work(this.#inside(client));
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

  #inside(client: pg.PoolClient): SqlTx {
    const lock = async (name: LockName) => {
      await client.query('SELECT pg_advisory_xact_lock($1, $2)', [lockKeys[name], this.#schemaKey]);
    };
    return { ...runner(client), lock };
  }

  list(values: readonly string[]): string[] {
    return [...values];
  }

  isUniqueViolation(err: unknown): boolean {
    return (err as { code?: unknown }).code === '23505';
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
