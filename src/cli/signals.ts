/** `lifeline signals`: what detectors, Alertmanager, Sentry and player reports raised (through the admin API). */
import type { Command } from 'commander';
import type { Signal } from '../signals/records.ts';
import type { CliContext } from './context.ts';

function line(s: Signal): string {
  const where = s.localisation.map((e) => `${e.dimension}=${e.values.join(',')}`).join(' ');
  const state = s.resolvedAt === null ? 'open' : `resolved ${new Date(s.resolvedAt).toISOString()}`;
  return [s.id, s.severity, s.detector, new Date(s.startedAt).toISOString(), state, s.title, where].join(
    '\t',
  );
}

export function signalsCommands(program: Command, cli: CliContext): void {
  program
    .command('signals')
    .description('[api] list signals, newest first: open ones, or with --all resolved ones too')
    .option('--all', 'resolved signals too')
    .option('--since <time>', 'only signals open at some time since (epoch ms or ISO 8601)')
    .option(
      '--detector <name>',
      'only this detector (login-failures, players-online, player-reports, an alertname)',
    )
    .option('--limit <n>', 'signals to list', '100')
    .action(async (opts: { all?: boolean; since?: string; detector?: string; limit: string }) => {
      const q = new URLSearchParams({ state: opts.all ? 'all' : 'open', limit: opts.limit });
      if (opts.since !== undefined) q.set('since', opts.since);
      if (opts.detector !== undefined) q.set('detector', opts.detector);
      const body = (await cli.api('GET', `/admin/v1/signals?${q}`)) as { signals: Signal[] };
      cli.print(body.signals.map(line).join('\n') || '(no signals)', body);
    });
}
