/**
 * The driver under the SQL core: what each database adapter provides so that every decision
 * (compare-and-set, rotation, the restore claim) is written once in `src/store/sql/`. A driver
 * holds the connection handling; its statements hold the dialect (see `statements.ts`).
 */
import type { Row } from '../rows.ts';
import type { Statements } from './statements.ts';

export type Params = readonly unknown[];

/** The named locks a transaction may take; a single-writer database already holds them all. */
export type LockName = 'audit' | 'restore' | 'keys';

/** What a statement runs on: the store's connection, or one open transaction. */
export interface SqlRunner {
  /** The first row, if any. */
  one(text: string, params?: Params): Promise<Row | undefined>;
  all(text: string, params?: Params): Promise<Row[]>;
  /** The number of rows the statement changed. */
  run(text: string, params?: Params): Promise<number>;
  /**
   * One statement over many rows, every row or none: the driver writes them its cheapest way
   * (a prepared statement per row in one transaction, or one statement over column arrays).
   */
  batch(text: string, rows: readonly Params[]): Promise<void>;
}

export interface SqlTx extends SqlRunner {
  /** Holds `name` until the transaction ends, so writers on other nodes queue behind it. */
  lock(name: LockName): Promise<void>;
}

export interface SqlDriver extends SqlRunner {
  /** Runs `work` in one transaction: committed if it returns, rolled back if it throws. */
  tx<T>(work: (t: SqlTx) => Promise<T>): Promise<T>;
  /** A list of strings as one statement parameter (an array, or JSON for `json_each`). */
  list(values: readonly string[]): unknown;
  /** Whether `err` is the database refusing a duplicate key. */
  isUniqueViolation(err: unknown): boolean;
  close(): Promise<void>;
}

/** What every part of the core works with: a driver and its dialect's statements. */
export interface Sql {
  readonly d: SqlDriver;
  readonly q: Statements;
}
