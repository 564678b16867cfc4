/**
 * The SQL core's driver on node:sqlite. node:sqlite is synchronous, so a statement runs to
 * completion before another starts; a transaction, whose work awaits, is made whole by queueing
 * every statement issued meanwhile from elsewhere in the process until it ends. The queue is
 * the file's, shared by every store open on it here: a second connection's write would wait on
 * the busy timeout, blocking the one thread that could end the transaction. Writers in other
 * processes (the CLI beside a running server) are serialized by SQLite itself through BEGIN
 * IMMEDIATE and the busy timeout.
 */
import { resolve as resolvePath } from 'node:path';
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import type { Row } from '../rows.ts';
import type { Params, SqlDriver, SqlTx } from '../sql/driver.ts';

/** Per database file in this process: settles when the transaction under way ends; unset when none is. */
interface Gate {
  open: Promise<void> | undefined;
}
const gates = new Map<string, Gate>();

export class SqliteDriver implements SqlDriver {
  readonly #db: DatabaseSync;
  readonly #stmts = new Map<string, StatementSync>();
  readonly #gate: Gate;
  /** The open transaction's handle: its statements run at once, inside it. */
  readonly #inside: SqlTx = {
    one: async (text, params = []) => this.#get(text, params),
    all: async (text, params = []) => this.#all(text, params),
    run: async (text, params = []) => this.#run(text, params),
    batch: async (text, rows) => this.#batchRows(text, rows),
    // BEGIN IMMEDIATE already holds the database's one write lock.
    lock: async () => {},
  };

  /** `path` names the file, so that stores opened on the same one share its gate. */
  constructor(db: DatabaseSync, path: string) {
    this.#db = db;
    const key = resolvePath(path);
    this.#gate = (path !== ':memory:' && gates.get(key)) || { open: undefined };
    if (path !== ':memory:') gates.set(key, this.#gate);
  }

  one(text: string, params: Params = []): Promise<Row | undefined> {
    return this.#outside(() => this.#get(text, params));
  }

  all(text: string, params: Params = []): Promise<Row[]> {
    return this.#outside(() => this.#all(text, params));
  }

  run(text: string, params: Params = []): Promise<number> {
    return this.#outside(() => this.#run(text, params));
  }

  batch(text: string, rows: readonly Params[]): Promise<void> {
    return this.#outside(() => this.#atomically(() => this.#batchRows(text, rows)));
  }

  async tx<T>(work: (t: SqlTx) => Promise<T>): Promise<T> {
    while (this.#gate.open) await this.#gate.open;
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#gate.open = promise;
    try {
      this.#db.exec('BEGIN IMMEDIATE');
      try {
        const out = await work(this.#inside);
        this.#db.exec('COMMIT');
        return out;
      } catch (err) {
        this.#db.exec('ROLLBACK');
        throw err;
      }
    } finally {
      this.#gate.open = undefined;
      resolve();
    }
  }

  list(values: readonly string[]): string {
    return JSON.stringify(values);
  }

  isUniqueViolation(err: unknown): boolean {
    return String((err as Error).message).includes('UNIQUE');
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
  }

  /** Runs `f` now, or once the transaction under way has ended, so it never lands inside it. */
  #outside<T>(f: () => T): Promise<T> {
    if (this.#gate.open) return this.#gate.open.then(() => this.#outside(f));
    try {
      return Promise.resolve(f());
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** A synchronous transaction (nothing else can run meanwhile). */
  #atomically(f: () => void): void {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      f();
      this.#db.exec('COMMIT');
    } catch (err) {
      this.#db.exec('ROLLBACK');
      throw err;
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

  #get(text: string, params: Params): Row | undefined {
    return this.#stmt(text).get(...(params as SQLInputValue[])) as Row | undefined;
  }

  #all(text: string, params: Params): Row[] {
    return this.#stmt(text).all(...(params as SQLInputValue[])) as Row[];
  }

  #run(text: string, params: Params): number {
    return Number(this.#stmt(text).run(...(params as SQLInputValue[])).changes);
  }

  #batchRows(text: string, rows: readonly Params[]): void {
    const s = this.#stmt(text);
    for (const r of rows) s.run(...(r as SQLInputValue[]));
  }
}
