/** `lifeline ban`, `unban` and `bans`: through the admin API, which ends the banned player's sessions. */
import type { Command } from 'commander';
import type { CliContext } from './context.ts';
import { type ListOptions, pagingOptions, runList } from './list.ts';
import { banColumns } from './lists.ts';

interface BanView {
  playerId: string;
  reason: string;
  bannedBy: string;
  at: number;
}

export function banCommands(program: Command, cli: CliContext): void {
  program
    .command('ban <playerId>')
    .description('[api] ban a player (admin): ends their sessions; no login, refresh or restore until lifted')
    .requiredOption('--reason <text>', 'why; lands in the audit log (not shown to the player)')
    .action(async (playerId: string, opts: { reason: string }) => {
      const body = (await cli.api('POST', '/admin/v1/bans', { playerId, reason: opts.reason })) as {
        ban: BanView;
        sessionsEnded: number;
      };
      cli.print(`player ${body.ban.playerId} banned; ${body.sessionsEnded} session(s) ended`, body);
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
