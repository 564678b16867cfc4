/**
 * Why the SQLite file did not open, in words an operator can act on. Each cause has its own code:
 * "the store is unavailable" sends someone looking at the network when the fix is a chmod, and a
 * corrupt file must be told apart from one Lifeline merely may not write.
 */
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { type ErrorCode, LifelineError } from '../../errors/index.ts';

/** SQLite primary result codes (the low byte of an extended code). */
const SQLITE_CORRUPT = 11;
const SQLITE_CANTOPEN = 14;
const SQLITE_READONLY = 8;
const SQLITE_NOTADB = 26;

const fsCodes: Record<string, ErrorCode> = {
  EACCES: 'DATA_DIR_PERMISSION',
  EPERM: 'DATA_DIR_PERMISSION',
  EEXIST: 'DATA_DIR_CONFLICT',
  ENOTDIR: 'DATA_DIR_CONFLICT',
  EISDIR: 'DATA_DIR_CONFLICT',
  EROFS: 'STORE_READ_ONLY',
};

const advice: Partial<Record<ErrorCode, string>> = {
  DATA_DIR_PERMISSION: 'give this user write access to it (owner or mode)',
  DATA_DIR_CONFLICT: 'move the file away or point dataDir (store.sqlite.file) elsewhere',
  STORE_READ_ONLY: 'make it writable (mode, chattr -i, or a read-write mount)',
  STORE_CORRUPT: 'restore it from a backup, or move it away to start empty; Lifeline will not rewrite it',
};

/** A filesystem errno on `path` as a coded error, or undefined when it is not one we name. */
export function fsFailure(err: unknown, path: string): LifelineError | undefined {
  const errno = (err as { code?: unknown } | null)?.code;
  const code = typeof errno === 'string' ? fsCodes[errno] : undefined;
  if (code === undefined) return undefined;
  return new LifelineError(code, `Cannot use ${path} (${errno}): ${advice[code]}`, {
    cause: err,
    details: { path, errno },
  });
}

/**
 * Makes the database's directory exist and checks it is a writable directory before SQLite
 * touches it: SQLite reports all of these as a bare "unable to open database file".
 */
export function prepareDirectory(file: string): void {
  const dir = dirname(file);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // mkdir with recursive accepts a symlink to a file on some systems; make sure.
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw fsFailure(err, dir) ?? err;
  }
}

/** The error a failed open of `path` becomes: by SQLite's result code, then by what the file is. */
export function openFailure(err: unknown, path: string): LifelineError {
  const errcode = (err as { errcode?: unknown } | null)?.errcode;
  const primary = typeof errcode === 'number' ? errcode & 0xff : undefined;
  if (primary === SQLITE_READONLY)
    return new LifelineError(
      'STORE_READ_ONLY',
      `The SQLite file ${path} is read-only: ${advice.STORE_READ_ONLY}`,
      {
        cause: err,
        details: { path, sqlite: errcode },
      },
    );
  if (primary === SQLITE_NOTADB || primary === SQLITE_CORRUPT)
    return new LifelineError(
      'STORE_CORRUPT',
      `${path} is not a SQLite database or is damaged: ${advice.STORE_CORRUPT}`,
      { cause: err, details: { path, sqlite: errcode } },
    );
  if (primary === SQLITE_CANTOPEN) {
    try {
      if (statSync(path).isDirectory())
        return fsFailure(
          Object.assign(new Error('is a directory'), { code: 'EISDIR' }),
          path,
        ) as LifelineError;
      accessSync(path, constants.R_OK | constants.W_OK);
    } catch (probe) {
      const mapped = fsFailure(probe, path);
      if (mapped?.code === 'DATA_DIR_PERMISSION')
        return new LifelineError(
          'STORE_READ_ONLY',
          `The SQLite file ${path} is read-only: ${advice.STORE_READ_ONLY}`,
          {
            cause: err,
            details: { path },
          },
        );
      if (mapped) return mapped;
    }
  }
  return new LifelineError('STORE_UNAVAILABLE', `Cannot open the SQLite store at ${path}`, { cause: err });
}
