/**
 * Every `lifeline <list>` command pages alike: `--limit` per page, `--cursor` to go on from where
 * a page ended (the API's opaque `nextCursor`), `--all` to follow the cursors to the end; `--json`
 * (or `-o json`, `-o yaml`, `--jq`, the global output options) prints the API's answer, `-o wide`
 * adds the wide columns. A page that is not the last says so on stderr, with the cursor to go
 * on from, rather than cutting silently (the machine answer carries `nextCursor` too).
 */
import type { Command } from 'commander';
import { CliError } from './errors.ts';
import type { CliContext } from './context.ts';
import { type Column, renderTable } from './table.ts';

export interface ListOptions {
  limit?: string;
  cursor?: string;
  all?: boolean;
}

export interface ListSpec<T> {
  /** The admin API path, e.g. `/admin/v1/commands`. */
  path: string;
  /** The answer's array field, e.g. `commands`. */
  key: string;
  columns: readonly Column<T>[];
  /** What a human sees for no rows, e.g. `(no commands)`. */
  empty: string;
  /**
   * Fields of the answer besides the list (the sessions' `counts`): kept from the last page read
   * in the machine answer, and `head` says them to a person above the table.
   */
  carry?: readonly string[];
  head?: (carried: Record<string, unknown>) => string;
}

/** `--all` follows at most this many pages, so a list growing faster than it is read still ends. */
const MAX_PAGES = 1000;

export function pagingOptions(command: Command, defaultLimit = '100'): Command {
  return command
    .option('--limit <n>', 'items per page', defaultLimit)
    .option('--cursor <cursor>', "go on from where a page ended (the previous page's cursor)")
    .option('--all', 'every page, following the cursors to the end');
}

export async function runList<T>(
  cli: CliContext,
  spec: ListSpec<T>,
  filters: Record<string, string | undefined>,
  opts: ListOptions,
): Promise<void> {
  const items: T[] = [];
  let cursor = opts.cursor;
  let next: string | null = null;
  const carried: Record<string, unknown> = {};
  for (let page = 0; page < MAX_PAGES; page++) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(filters)) if (v !== undefined) q.set(k, v);
    if (opts.limit !== undefined) q.set('limit', opts.limit);
    if (cursor !== undefined) q.set('cursor', cursor);
    const body = (await cli.api('GET', `${spec.path}?${q}`)) as Record<string, unknown>;
    const got = body[spec.key];
    if (!Array.isArray(got)) throw new CliError('INTERNAL', `The admin API answered no "${spec.key}" list`);
    items.push(...(got as T[]));
    for (const k of spec.carry ?? []) carried[k] = body[k];
    next = typeof body.nextCursor === 'string' ? body.nextCursor : null;
    if (!opts.all || next === null) break;
    cursor = next;
  }
  const json = { ...carried, [spec.key]: items, nextCursor: next };
  if (cli.machine()) {
    cli.io.out(cli.render(json));
    if (next !== null && cli.globals().jq !== undefined) cli.io.err(`more: --cursor ${next} (or --all)`);
    return;
  }
  const tty = cli.io.tty === true;
  const wide = cli.globals().output === 'wide';
  // Piped, stdout holds only rows (for cut and awk): the head goes to stderr there.
  if (spec.head) (tty ? cli.io.out : cli.io.err)(spec.head(carried));
  if (items.length > 0) cli.io.out(renderTable(spec.columns, items, { tty, wide }));
  else if (tty) cli.io.out(spec.empty);
  if (next !== null) cli.io.err(`more: --cursor ${next} (or --all)`);
}
