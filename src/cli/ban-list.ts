/**
 * `lifeline ban --from FILE`: one player id a line, or `playerId,reason` (CSV; a reason holding a
 * comma is quoted). Blank lines and lines starting with `#` are skipped. Every line is checked
 * here first, and the first bad one is named by its line number; the server checks them again
 * and an error it names by entry is mapped back to the file's line.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { inputProblem } from '../bans/index.ts';
import { CliError } from './errors.ts';

export interface ListedBan {
  playerId: string;
  reason?: string;
  /** The line in the file, from 1. */
  line: number;
}

/** The file's entries; a coded error naming the line when one is bad. */
export function readBanList(path: string, cwd: string, defaultReason: string | undefined): ListedBan[] {
  let text: string;
  try {
    text = readFileSync(resolve(cwd, path), 'utf8');
  } catch (err) {
    throw new CliError(
      'VALIDATION_FAILED',
      `--from ${path}: cannot read it (${(err as NodeJS.ErrnoException).code})`,
    );
  }
  const entries: ListedBan[] = [];
  const seen = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const [playerId, reason] = splitCsv(trimmed, path, line);
    if (line === firstContentLine(lines) && /^player_?id$/i.test(playerId)) continue; // a CSV header
    const problem = inputProblem(playerId, reason ?? defaultReason ?? '');
    const bad = (message: string) =>
      new CliError('VALIDATION_FAILED', `--from ${path} line ${line}: ${message}`, { line, playerId });
    if (problem?.field === 'reason' && reason === undefined && defaultReason === undefined)
      throw bad('no reason: give one on the line (playerId,reason) or --reason for all');
    if (problem) throw bad(problem.message);
    const earlier = seen.get(playerId);
    if (earlier !== undefined) throw bad(`${playerId} is already on line ${earlier}`);
    seen.set(playerId, line);
    entries.push({ playerId, ...(reason === undefined ? {} : { reason }), line });
  }
  if (entries.length === 0) throw new CliError('VALIDATION_FAILED', `--from ${path}: no player ids in it`);
  return entries;
}

function firstContentLine(lines: readonly string[]): number {
  return lines.findIndex((l) => l.trim() !== '' && !l.trim().startsWith('#')) + 1;
}

/** `id` or `id,reason` or `id,"reason, with a comma"`; more fields are an error. */
function splitCsv(text: string, path: string, line: number): [string, string | undefined] {
  const comma = text.indexOf(',');
  if (comma < 0) return [text, undefined];
  const id = text.slice(0, comma).trim();
  let rest = text.slice(comma + 1).trim();
  if (rest.startsWith('"')) {
    if (!rest.endsWith('"') || rest.length < 2)
      throw new CliError('VALIDATION_FAILED', `--from ${path} line ${line}: an unclosed quote`, { line });
    rest = rest.slice(1, -1).replaceAll('""', '"');
  } else if (rest.includes(','))
    throw new CliError(
      'VALIDATION_FAILED',
      `--from ${path} line ${line}: two columns at most (playerId,reason)`,
      {
        line,
      },
    );
  return [id, rest === '' ? undefined : rest];
}
