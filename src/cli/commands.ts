/** A command once asked for (a kick, an operator change): approve it, halt it, show it. */
import type { Command } from 'commander';
import type { CliContext } from './context.ts';

/** A command as `lifeline command` shows it: the halt reason as the API gives it, if any. */
interface CommandView {
  id: string;
  state: string;
  progress: { ended: number; waves: number };
  haltReason: string | null;
}

export function describeCommand(c: CommandView): string {
  return `command ${c.id}: ${c.state}, ${c.progress.ended} ended in ${c.progress.waves} wave(s)${c.haltReason ? ` (${c.haltReason})` : ''}`;
}

export function commandCommands(program: Command, cli: CliContext): void {
  approveCommand(program, cli);
  program
    .command('halt <commandId>')
    .description('[api] stop a command that waits or runs; sessions already ended stay ended')
    .requiredOption('--reason <text>')
    .action(async (id: string, opts: { reason: string }) => {
      const body = (await cli.api('POST', `/admin/v1/commands/${encodeURIComponent(id)}/halt`, {
        reason: opts.reason,
      })) as {
        command: { id: string; state: string; progress: { ended: number } };
      };
      cli.print(
        `command ${body.command.id}: ${body.command.state} after ${body.command.progress.ended} session(s)`,
        body,
      );
    });
  program
    .command('command <commandId>')
    .description('[api] show a command: plan, policy, approvals, progress')
    .action(async (id: string) => {
      const body = (await cli.api('GET', `/admin/v1/commands/${encodeURIComponent(id)}`)) as {
        command: CommandView;
      };
      cli.print(describeCommand(body.command), body);
    });
}

function approveCommand(program: Command, cli: CliContext): void {
  program
    .command('approve <commandId>')
    .description("[api] approve another operator's command with your own TOTP")
    .requiredOption('--totp <code>', 'your TOTP code')
    .action(async (id: string, opts: { totp: string }) => {
      const body = (await cli.api('POST', `/admin/v1/commands/${encodeURIComponent(id)}/approve`, {
        totp: opts.totp,
      })) as {
        command: { id: string; state: string };
        enrolment?: { operator: string; token: string; expiresAt: string };
      };
      const e = body.enrolment;
      cli.print(
        e
          ? [
              `command ${body.command.id}: ${body.command.state}`,
              `enrolment token for ${e.operator} (your part, shown once; hand it to them out of band, valid until ${e.expiresAt}):`,
              e.token,
              `they run: lifeline operators enrol <token> --requester-part <the requester's part>`,
            ].join('\n')
          : `command ${body.command.id}: ${body.command.state}`,
        body,
      );
    });
}
