import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { migrationFiles, num, type Row } from '../rows.ts';
import { SqlRecordStore } from '../sql/store.ts';
import type { CheckedAuditPage, CheckedPagesOptions } from '../../audit/records.ts';
import { checkedAuditPages } from './audit-pages.ts';
import { SqliteDriver } from './driver.ts';
import { createDataFiles } from './files.ts';
import { fsFailure, openFailure, prepareDirectory } from './open-errors.ts';
import { sql } from './statements.ts';

const migrationsDir = join(import.meta.dirname, 'migrations');

/**
 * The embedded record store: one SQLite file in WAL mode, opened and migrated before the
 * constructor returns (node:sqlite is synchronous); everything else is the SQL core's.
 */
export class SqliteRecordStore extends SqlRecordStore {
  readonly kind = 'sqlite';
  readonly path: string;

  constructor(path: string) {
    super(new SqliteDriver(open(path), path), sql);
    this.path = path;
    // A worker opens the file by its name; an in-memory database has none to share.
    if (path === ':memory:') this.checkedAuditPages = undefined;
  }

  checkedAuditPages?: (options: CheckedPagesOptions) => AsyncIterable<CheckedAuditPage> = (options) =>
    checkedAuditPages(this.path, options);
}

function open(path: string): DatabaseSync {
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
    // First: every statement after it, the journal mode's too, waits out another process's
    // write (a server recording an operator's last use) instead of failing SQLITE_BUSY at once.
    db.exec('PRAGMA busy_timeout = 5000');
    db.exec('PRAGMA journal_mode = WAL');
    // NORMAL in WAL mode: a commit survives a process crash; only a power loss can undo the
    // last few, and then the chain still verifies (it is the tail that goes missing).
    db.exec('PRAGMA synchronous = NORMAL');
    db.exec('PRAGMA foreign_keys = ON');
    migrate(db);
    return db;
  } catch (err) {
    if (db?.isOpen) db.close();
    throw openFailure(err, path);
  }
}

function migrate(db: DatabaseSync): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)',
  );
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as Row[]).map((r) => num(r.version)),
  );
  for (const m of migrationFiles(migrationsDir)) {
    if (applied.has(m.version)) continue;
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(readFileSync(m.file, 'utf8'));
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(
        m.version,
        Date.now(),
      );
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
  }
}
