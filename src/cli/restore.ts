/** `lifeline restore`: bring disrupted players back in paced batches, through the admin API. */
import type { Command } from 'commander';
import type { CliContext } from './context.ts';
import {
  pacingFrom,
  restoreSource,
  type SourceOptions,
  type StartOptions,
  thresholdsFrom,
} from './restore-body.ts';
import { CliError } from './errors.ts';
import { parseDuration } from './parse.ts';
import { pacingText, type RestoreStatusView, restoreStatusCommand } from './restore-status.ts';

interface RestorePlanView {
  total: number;
  restorable: number;
  alreadyBack: number;
  bannedSince: number;
  overlapping: number;
  byOutcome: Record<string, number>;
  byShard: Record<string, number>;
}

const sourceOptions = (c: Command) =>
  c
    .option('--command <commandId>', 'the command whose disruptions to restore')
    .option('--from <time>', 'window start (ISO or epoch ms), with --to')
    .option('--to <time>', 'window end (ISO or epoch ms)')
    .option('--region <region>')
    .option('--shard <shard>')
    .option('--zone <zone>');

export function restoreCommands(program: Command, cli: CliContext): void {
  const restore = program
    .command('restore')
    .description('[api] bring disrupted players back in paced batches');
  planCommand(restore, cli);
  startCommand(restore, cli);
  for (const verb of ['pause', 'resume', 'cancel'] as const) {
    restore
      .command(`${verb} <restoreId>`)
      .description(`[api] ${verb} a restore`)
      .requiredOption('--reason <text>')
      .action(async (id: string, opts: { reason: string }) => {
        const body = (await cli.api('POST', `/admin/v1/restores/${encodeURIComponent(id)}/${verb}`, {
          reason: opts.reason,
        })) as RestoreStatusView;
        cli.print(`restore ${id}: ${body.restore.state}`, body);
      });
  }
  paceCommand(restore, cli);
  restoreStatusCommand(restore, cli);
}

interface PaceOptions {
  batchSize?: string;
  interval?: string;
  maxRate?: string;
  reason: string;
}

/**
 * `restore pace`: --max-rate makes it adaptive; --batch-size and/or --interval make it fixed,
 * the one not given kept from the restore's fixed pacing.
 */
function paceCommand(restore: Command, cli: CliContext): void {
  restore
    .command('pace <restoreId>')
    .description("[api] change a running or paused restore's pacing, from its next batch; no restart")
    .option('--batch-size <n>', 'fixed: sessions per batch')
    .option('--interval <duration>', 'fixed: time between batches (5s, 500ms, 1m)')
    .option('--max-rate <n>', 'adaptive: most sessions per second')
    .requiredOption('--reason <text>')
    .action(async (id: string, opts: PaceOptions) => {
      const path = `/admin/v1/restores/${encodeURIComponent(id)}`;
      const fixed = opts.batchSize !== undefined || opts.interval !== undefined;
      if (fixed === (opts.maxRate !== undefined))
        throw new CliError(
          'VALIDATION_FAILED',
          'restore pace takes --max-rate (adaptive), or --batch-size and/or --interval (fixed)',
        );
      let pacing: Record<string, unknown>;
      if (opts.maxRate !== undefined) pacing = { mode: 'adaptive', maxRate: Number(opts.maxRate) };
      else {
        const now = ((await cli.api('GET', path)) as RestoreStatusView).restore.pacing;
        const kept = now?.mode === 'fixed' ? now : undefined;
        if (kept === undefined && (opts.batchSize === undefined || opts.interval === undefined))
          throw new CliError(
            'VALIDATION_FAILED',
            'this restore is adaptive: a fixed pacing needs both --batch-size and --interval',
          );
        pacing = {
          mode: 'fixed',
          batchSize: opts.batchSize === undefined ? kept?.batchSize : Number(opts.batchSize),
          intervalMs:
            opts.interval === undefined ? kept?.intervalMs : parseDuration(opts.interval, '--interval'),
        };
      }
      const body = (await cli.api('POST', `${path}/pace`, {
        pacing,
        reason: opts.reason,
      })) as RestoreStatusView;
      cli.print(`restore ${id}: ${body.restore.state}; pacing ${pacingText(body)}`, body);
    });
}

function planCommand(restore: Command, cli: CliContext): void {
  sourceOptions(restore.command('plan'))
    .description('[api] counts, breakdown, players already back or owned by another restore; changes nothing')
    .action(async (opts: SourceOptions) => {
      const body = (await cli.api('POST', '/admin/v1/restores', {
        ...restoreSource(opts),
        dryRun: true,
      })) as {
        plan: RestorePlanView;
      };
      const p = body.plan;
      cli.print(
        [
          `${p.total} disruption record(s); ${p.restorable} restorable now`,
          `  outcomes: ${Object.entries(p.byOutcome)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}`,
          `  already back (newer session): ${p.alreadyBack}; banned since: ${p.bannedSince}; owned by another restore: ${p.overlapping}`,
          ...Object.entries(p.byShard).map(([s, n]) => `  ${s}\t${n}`),
        ].join('\n'),
        body,
      );
    });
}

function startCommand(restore: Command, cli: CliContext): void {
  sourceOptions(restore.command('start'))
    .description('[api] start a restore: fixed (--batch-size, --interval) or --pacing adaptive --max-rate')
    .option('--pacing <mode>', 'fixed or adaptive', 'fixed')
    .option('--batch-size <n>', 'fixed: sessions per batch', '200')
    .option('--interval <duration>', 'fixed: time between batches (5s, 500ms, 1m)', '5s')
    .option('--max-rate <n>', 'adaptive: most sessions per second')
    .option('--max-cpu <percent>', 'auto-pause above this CPU %')
    .option('--max-connections <n>', 'auto-pause above this many open sockets')
    .option('--max-error-rate <ratio>', 'auto-pause above this rejoin failure ratio (0-1)')
    .option('--max-p99 <ms>', 'auto-pause above this p99 rejoin latency (measured here)')
    .option('--max-downstream-p99 <ms>', 'auto-pause above the p99 the --health-url reports as {"p99Ms"}')
    .option('--max-loop-delay <ms>', 'auto-pause above this event-loop delay (p99)')
    .option('--health-url <url>', 'auto-pause while this URL does not answer 2xx')
    .option('--totp <code>', 'your TOTP code (restores above one session)')
    .option(
      '--dry-run',
      'change nothing: the count it would restore, and the role and TOTP a real start needs',
    )
    .action(async (opts: SourceOptions & StartOptions & { dryRun?: boolean }) => {
      if (opts.dryRun) {
        await dryRunStart(cli, opts);
        return;
      }
      const body = (await cli.api('POST', '/admin/v1/restores', {
        ...restoreSource(opts),
        pacing: pacingFrom(opts),
        thresholds: thresholdsFrom(opts),
        totp: opts.totp,
      })) as RestoreStatusView;
      cli.print(
        `restore ${body.restore.id} running: ${body.restore.total} record(s); lifeline restore status ${body.restore.id} --watch`,
        body,
      );
    });
}

interface RestorePreviewView {
  plan: RestorePlanView;
  guard: {
    restorable: number;
    tier: string;
    role: string;
    permission: string;
    totpRequired: boolean;
    caller: { name: string; role: string; allowed: boolean; totpEnrolled: boolean };
    refusal: string | null;
  };
}

/** `restore start --dry-run`: what the same start would do and need, without starting it. */
async function dryRunStart(cli: CliContext, opts: SourceOptions & StartOptions): Promise<void> {
  const body = (await cli.api('POST', '/admin/v1/restores', {
    ...restoreSource(opts),
    pacing: pacingFrom(opts),
    thresholds: thresholdsFrom(opts),
    dryRun: true,
  })) as RestorePreviewView;
  const g = body.guard;
  const you = g.caller;
  const lines = [
    `dry run: would restore ${g.restorable} record(s) (${body.plan.total} in the source); nothing started`,
    `  needs: role ${g.role} (${g.permission}), TOTP ${g.totpRequired ? 'yes' : 'no'}, no second approver`,
    `  you (${you.name}, ${you.role}): ${you.allowed ? 'may start it' : `may not start it (ask a${g.role === 'admin' ? 'n admin' : 'n operator'})`}` +
      (g.totpRequired && !you.totpEnrolled ? '; you have no TOTP enrolled' : ''),
  ];
  if (g.refusal !== null) lines.push(`  a start now would be refused: ${g.refusal}`);
  cli.print(lines.join('\n'), body);
}
