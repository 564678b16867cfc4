/**
 * Human output of lists, as gh and kubectl print theirs: on a terminal an aligned table under a
 * header; piped, one tab-separated line per row and no header, so `cut -f` and `awk -F'\t'`
 * read it. Cells never hold a tab or a newline (they would break a row in either form).
 */

export interface Column<T> {
  header: string;
  value: (row: T) => string;
  /** Shown only with `-o wide`. */
  wide?: boolean;
}

const clean = (s: string) => s.replace(/[\t\r\n]+/g, ' ');

export function renderTable<T>(
  columns: readonly Column<T>[],
  rows: readonly T[],
  opts: { tty: boolean; wide: boolean },
): string {
  const shown = columns.filter((c) => opts.wide || !c.wide);
  const cells = rows.map((r) => shown.map((c) => clean(c.value(r))));
  if (!opts.tty) return cells.map((r) => r.join('\t')).join('\n');
  const all = [shown.map((c) => c.header), ...cells];
  const widths = shown.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('   ')
        .trimEnd(),
    )
    .join('\n');
}

/** A time as lists print it: ISO 8601 to the second, or `-`. */
export const when = (ms: number | null | undefined): string =>
  ms === null || ms === undefined ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
