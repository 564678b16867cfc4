/** `lifeline ban`, `unban` and `bans`: through the admin API, which ends the banned player's sessions. */
import type { Command } from 'commander';
import type { CliContext } from './context.ts';
import { type ListOptions, pagingOptions, runList } from './list.ts';
import { readBanList } from './ban-list.ts';
import { CliError } from './errors.ts';
import { banColumns } from './lists.ts';

interface BanView {
  playerId: string;
  reason: string;
  bannedBy: string;
  at: number;
  expiresAt: number | null;
}

interface BanOptions {
  reason?: string;
  for?: string;
  from?: string;
  totp?: string;
}

const units: Record<string, number> = { m: 60, h: 3600, d: 86_400, w: 7 * 86_400 };

/** `30m`, `12h`, `7d`, `2w` as seconds; the server checks the bounds (a minute to 3650 days). */
export function parseBanDuration(text: string): number {
  const m = /^(\d{1,7})([mhdw])$/.exec(text.trim());
  if (!m)
    throw new CliError('VALIDATION_FAILED', `--for takes a duration like 30m, 12h, 7d or 2w, not "${text}"`);
  const seconds = Number(m[1]) * (units[m[2] as string] as number);
  if (seconds < 60 || seconds > 3650 * 86_400)
    throw new CliError('VALIDATION_FAILED', `--for is a minute to 3650d, not "${text}"`);
  return seconds;
}

/** Reads and checks the whole file, then sends it as one list; names the file's line on an error. */
async function banFromList(
  cli: CliContext,
  path: string,
  opts: BanOptions,
  durationSeconds: number | undefined,
): Promise<void> {
  const entries = readBanList(path, cli.io.cwd, opts.reason);
  let body: {
    banned: number;
    alreadyBanned: string[];
    sessionsEnded: number;
    batches: number;
    expiresAt: number | null;
  };
  try {
    body = (await cli.api('POST', '/admin/v1/bans/bulk', {
      entries: entries.map(({ playerId, reason }) => ({
        playerId,
        ...(reason === undefined ? {} : { reason }),
      })),
      ...(opts.reason === undefined ? {} : { reason: opts.reason }),
      ...(durationSeconds === undefined ? {} : { durationSeconds }),
      ...(opts.totp === undefined ? {} : { totp: opts.totp }),
    })) as typeof body;
  } catch (err) {
    const index = (err as { details?: { index?: unknown } }).details?.index;
    const at = typeof index === 'number' ? entries[index] : undefined;
    if (at && err instanceof Error)
      throw new CliError(
        (err as CliError).code,
        `--from ${path} line ${at.line}: ${err.message.replace(/^entries\[\d+\]: /, '')}`,
        {
          ...(err as CliError).details,
          line: at.line,
        },
      );
    throw err;
  }
  const until = body.expiresAt === null ? '' : ` until ${new Date(body.expiresAt).toISOString()}`;
  const skipped =
    body.alreadyBanned.length === 0 ? '' : `; ${body.alreadyBanned.length} already banned, left as they were`;
  cli.print(
    `${body.banned} player(s) banned${until} in ${body.batches} batch(es); ${body.sessionsEnded} session(s) ended${skipped}`,
    body,
  );
}

export function banCommands(program: Command, cli: CliContext): void {
  program
    .command('ban [playerId]')
    .description(
      '[api] ban a player (admin): ends their sessions; no login, refresh or restore until lifted or --for ends',
    )
    .option(
      '--reason <text>',
      'why; lands in the audit log (not shown to the player); with --from, for lines without one',
    )
    .option('--for <duration>', 'the ban ends by itself after this long: 30m, 12h, 7d (a minute to 3650d)')
    .option('--from <file>', 'ban every player listed: one id a line, or playerId,reason (CSV)')
    .option('--totp <code>', 'with --from: your TOTP code (lists of more than one player)')
    .action(async (playerId: string | undefined, opts: BanOptions) => {
      const durationSeconds = opts.for === undefined ? undefined : parseBanDuration(opts.for);
      if (opts.from !== undefined) {
        if (playerId !== undefined)
          throw new CliError('VALIDATION_FAILED', 'give a player id or --from, not both');
        await banFromList(cli, opts.from, opts, durationSeconds);
        return;
      }
      if (playerId === undefined) throw new CliError('VALIDATION_FAILED', 'give a player id, or --from FILE');
      if (opts.reason === undefined) throw new CliError('VALIDATION_FAILED', '--reason is required');
      const body = (await cli.api('POST', '/admin/v1/bans', {
        playerId,
        reason: opts.reason,
        ...(durationSeconds === undefined ? {} : { durationSeconds }),
      })) as { ban: BanView; sessionsEnded: number };
      const until = body.ban.expiresAt === null ? '' : ` until ${new Date(body.ban.expiresAt).toISOString()}`;
      cli.print(`player ${body.ban.playerId} banned${until}; ${body.sessionsEnded} session(s) ended`, body);
    });

  program
    .command('unban <playerId>')
    .description("[api] lift a player's ban (admin); they may log in again")
    .requiredOption('--reason <text>', 'why; lands in the audit log')
    .action(async (playerId: string, opts: { reason: string }) => {
      const body = (await cli.api('DELETE', `/admin/v1/bans/${encodeURIComponent(playerId)}`, {
        reason: opts.reason,
      })) as { ban: BanView };
      cli.print(`player ${body.ban.playerId}: ban lifted`, body);
    });

  pagingOptions(program.command('bans').description('[api] list the bans in force, newest first'))
    .option('--player <playerId>', 'only this player')
    .action((o: ListOptions & { player?: string }) =>
      runList(
        cli,
        { path: '/admin/v1/bans', key: 'bans', columns: banColumns, empty: '(no bans)' },
        { playerId: o.player },
        o,
      ),
    );
}
