/** `lifeline ban`, `unban` and `bans`: through the admin API, which ends the banned player's sessions. */
import type { Command } from 'commander';
import type { CliContext } from './context.ts';

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

  program
    .command('bans')
    .description('[api] list the bans in force, newest first')
    .option('--player <playerId>', 'only this player')
    .option('--limit <n>', 'bans to list', '100')
    .action(async (opts: { player?: string; limit: string }) => {
      const q = new URLSearchParams({ limit: opts.limit });
      if (opts.player !== undefined) q.set('playerId', opts.player);
      const body = (await cli.api('GET', `/admin/v1/bans?${q}`)) as { bans: BanView[] };
      cli.print(
        body.bans
          .map((b) => `${b.playerId}\t${new Date(b.at).toISOString()}\t${b.bannedBy}\t${b.reason}`)
          .join('\n') || '(no bans)',
        body,
      );
    });
}
