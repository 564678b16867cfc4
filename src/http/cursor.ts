/**
 * The one cursor scheme of every admin list: opaque to clients, base64url of the last item's
 * (time, id) in the list's order. Lists read by keyset (`WHERE (at, id)` past the cursor), so a
 * page never repeats or skips an item when rows are inserted meanwhile: a new item lands before
 * the first page of a newest-first list, or after the last page of an oldest-first one.
 */
import { LifelineError } from '../errors/index.ts';

export interface CursorKey {
  at: number;
  id: string;
}

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify([key.at, key.id])).toString('base64url');
}

/** A cursor this API handed out, or a VALIDATION_FAILED naming `cursor` (nothing is read). */
export function decodeCursor(cursor: string | undefined): CursorKey | undefined {
  if (cursor === undefined) return undefined;
  const refuse = () =>
    new LifelineError('VALIDATION_FAILED', 'cursor is not one this API handed out', {
      details: { field: 'cursor' },
    });
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw refuse();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw refuse();
  const [at, id] = parsed as unknown[];
  if (typeof at !== 'number' || !Number.isSafeInteger(at) || typeof id !== 'string' || id.length > 128)
    throw refuse();
  return { at, id };
}

/** What every list answers beside its items: the cursor of the next page, or null at the end. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * Reads one page: asks for one row more than `limit` to know whether another page follows, so
 * the last page says `nextCursor: null` rather than sending the client on an empty read.
 */
export async function readPage<T>(
  limit: number,
  read: (limit: number) => Promise<T[]>,
  keyOf: (item: T) => CursorKey,
): Promise<Page<T>> {
  const rows = await read(limit + 1);
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(keyOf(last)) : null };
}

/** A list's `limit`: the default when absent, at least 1, never above the route's maximum. */
export function pageLimit(value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1 || n > max)
    throw new LifelineError('VALIDATION_FAILED', `limit must be between 1 and ${max}`, {
      details: { field: 'limit', max },
    });
  return n;
}

/** A comma-separated `state` filter, every state one of `known`; VALIDATION_FAILED naming them otherwise. */
export function statesOf<S extends string>(value: string | undefined, known: readonly S[]): S[] | undefined {
  if (value === undefined) return undefined;
  const states = value.split(',');
  const unknown = states.filter((s) => !(known as readonly string[]).includes(s));
  if (unknown.length > 0)
    throw new LifelineError(
      'VALIDATION_FAILED',
      `state ${unknown.join(', ')} is not one of ${known.join(', ')}`,
      {
        details: { field: 'state', unknown, known },
      },
    );
  return states as S[];
}
