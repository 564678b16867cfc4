import type { Command } from 'commander';
import type { CliContext } from './context.ts';

/** `lifeline breaker`: the kick breaker that opens when unapproved kicks run away. */
export function breakerCommands(program: Command, cli: CliContext): void {
  const breaker = program.command('breaker').description('[api] the kick breaker');
  breaker
    .command('status')
    .description('[api] open or closed, the cap and the kicks in the window')
    .action(async () => {
      const body = (await cli.api('GET', '/admin/v1/breaker')) as {
        breaker: { state: string; cap: number; usedInWindow: number; reason: string };
      };
      const b = body.breaker;
      cli.print(
        `kick breaker ${b.state} (${b.reason}); ${b.usedInWindow}/${b.cap} unapproved kicks in the window`,
        body,
      );
    });
  breaker
    .command('reset')
    .description('[api] close the breaker (admin, with TOTP)')
    .requiredOption('--totp <code>')
    .requiredOption('--reason <text>')
    .action(async (opts: { totp: string; reason: string }) => {
      const body = (await cli.api('POST', '/admin/v1/breaker/reset', {
        totp: opts.totp,
        reason: opts.reason,
      })) as {
        breaker: { state: string };
      };
      cli.print(`kick breaker ${body.breaker.state}`, body);
    });
}
