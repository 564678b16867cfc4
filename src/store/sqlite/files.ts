/**
 * The SQLite store's files are readable by their owner only: the data directory 0700, the
 * database and its -wal and -shm 0600. The store creates them so; a directory or file left looser
 * (by an older Lifeline, a copy, a umask) is tightened at start and reported for a warning.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';

export const DATA_DIR_MODE = 0o700;
export const DATA_FILE_MODE = 0o600;

/** A path whose mode was tightened, or could not be. */
export interface ModeRepair {
  path: string;
  /** The mode found, as octal text (`0755`). */
  was: string;
  /** Set when chmod failed (not the owner, a read-only mount): the path stays as it was. */
  error?: string;
}

const octal = (mode: number) => mode.toString(8).padStart(4, '0');

/** The directory (created 0700 when missing) and an empty database file created 0600. */
export function createDataFiles(dir: string, dbFile: string): void {
  mkdirSync(dir, { recursive: true, mode: DATA_DIR_MODE });
  // SQLite creates a new database 0644 and gives -wal and -shm the database's mode: creating the
  // file first, 0600, makes all three owner-only from the start.
  if (!existsSync(dbFile)) closeSync(openSync(dbFile, 'a', DATA_FILE_MODE));
}

/** Tightens `dir` to 0700 and the database files to 0600 where they are looser; says what it changed. */
export function tightenDataFiles(dir: string, dbFile: string): ModeRepair[] {
  const repairs: ModeRepair[] = [];
  const tighten = (path: string, mode: number) => {
    let was: number;
    try {
      was = statSync(path).mode & 0o777;
    } catch {
      return; // not there (no -wal yet): nothing to tighten
    }
    if ((was & ~mode & 0o777) === 0) return;
    try {
      chmodSync(path, mode);
      repairs.push({ path, was: octal(was) });
    } catch (err) {
      repairs.push({ path, was: octal(was), error: (err as NodeJS.ErrnoException).code ?? String(err) });
    }
  };
  tighten(dir, DATA_DIR_MODE);
  for (const file of [dbFile, `${dbFile}-wal`, `${dbFile}-shm`]) tighten(file, DATA_FILE_MODE);
  return repairs;
}
