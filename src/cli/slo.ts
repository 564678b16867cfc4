/**
 * `lifeline slo`: the SLOs of the `slo` config as Prometheus rules and a Grafana dashboard.
 * Offline commands: they read only the config, so CI can generate and check the rules
 * (`promtool check rules`) without a server or a store.
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { sloDashboard, sloRules, sloRulesYaml } from '../slo/index.ts';
import type { CliContext } from './context.ts';

export type SloCliContext = Pick<CliContext, 'config' | 'print'>;

/** Writes `text` to `out`, or prints it (JSON mode prints `json` instead). */
async function emit(ctx: SloCliContext, out: string | undefined, text: string, json: unknown): Promise<void> {
  if (out === undefined) {
    ctx.print(text.trimEnd(), json);
    return;
  }
  await writeFile(out, text);
  ctx.print(`wrote ${out}`, { wrote: out });
}

export function sloCommands(program: Command, ctx: SloCliContext): void {
  const slo = program
    .command('slo')
    .description('[offline] SLOs as code: Prometheus rules and a Grafana dashboard');
  slo
    .command('rules')
    .description(
      'Prometheus recording rules and multi-window multi-burn-rate alerts (page 14.4x/6x, ticket 3x/1x)',
    )
    .option('--out <file>', 'write the rules file here instead of printing it')
    .action(async (opts: { out?: string }) => {
      const s = ctx.config().slo;
      await emit(ctx, opts.out, sloRulesYaml(s), sloRules(s));
    });
  slo
    .command('dashboard')
    .description('a Grafana dashboard (JSON) over the recorded SLO series')
    .option('--out <file>', 'write the dashboard here instead of printing it')
    .action(async (opts: { out?: string }) => {
      const s = ctx.config().slo;
      const board = sloDashboard(s, s.periodDays);
      await emit(ctx, opts.out, `${JSON.stringify(board, null, 2)}\n`, board);
    });
}
