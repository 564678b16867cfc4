import type { Command } from 'commander';
import { parseFlagValue } from '../flags/index.ts';
import type { CliContext } from './context.ts';

/** `lifeline flags`: feature flags and kill switches, through the admin API. */
export function flagCommands(program: Command, cli: CliContext): void {
  const flags = program.command('flags').description('[api] feature flags and kill switches');
  flags
    .command('list')
    .description('[api] every flag, its value and who set it last')
    .action(async () => {
      const body = (await cli.api('GET', '/admin/v1/flags')) as {
        flags: { key: string; value: unknown; updatedBy: string | null; reason: string | null }[];
      };
      cli.print(
        body.flags
          .map(
            (f) =>
              `${f.key}\t${JSON.stringify(f.value)}${f.updatedBy ? `\t(${f.updatedBy}: ${f.reason})` : ''}`,
          )
          .join('\n'),
        body,
      );
    });
  flags
    .command('set <key> <value>')
    .description('[api] set a flag (admin); audited with your reason')
    .requiredOption('--reason <text>')
    .option(
      '--auto-revert',
      'switch it back by itself if a P0/P1 signal starts soon after (detection.rollback)',
    )
    .action(async (key: string, value: string, opts: { reason: string; autoRevert?: boolean }) => {
      const body = (await cli.api('PUT', `/admin/v1/flags/${encodeURIComponent(key)}`, {
        value: parseFlagValue(key, value),
        reason: opts.reason,
        ...(opts.autoRevert ? { autoRevert: true } : {}),
      })) as { flag: { key: string; value: unknown } };
      cli.print(`${body.flag.key} = ${JSON.stringify(body.flag.value)}`, body);
    });
}
