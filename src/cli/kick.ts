/** `lifeline kick`: flags to the API's command body; the server does all checking, so errors keep their codes. */
import type { Command } from 'commander';
import type { CliContext } from './context.ts';
import { CliError } from './errors.ts';
import { compact } from './parse.ts';

interface KickOptions {
  player?: string;
  session?: string;
  players?: string;
  region?: string;
  shard?: string;
  zone?: string;
  licence?: string;
  clientMin?: string;
  clientMax?: string;
  all?: boolean;
  maxSessions?: string;
  totp?: string;
  dryRun?: boolean;
  reason: string;
}

interface KickAnswer {
  dryRun?: boolean;
  plan: {
    count: number;
    online: number;
    shareOfOnline: number;
    byTier: { paying: number; free: number };
    byShard: Record<string, number>;
  };
  policy: { tier: string; role: string; totp: boolean; approvals: number; cap: number; canary: number };
  command: { id: string; state: string; progress: { ended: number } };
}

export function kickCommand(program: Command, cli: CliContext): void {
  program
    .command('kick')
    .description('[api] kick the sessions a selector names; --dry-run shows the plan and changes nothing')
    .option('--player <playerId>', 'one player (all their sessions)')
    .option('--session <sessionId>', 'one session')
    .option('--players <ids>', 'a comma-separated list of player ids')
    .option('--region <region>')
    .option('--shard <shard>')
    .option('--zone <zone>')
    .option('--licence <licences>', 'comma-separated licences')
    .option('--client-min <version>', 'client version at least')
    .option('--client-max <version>', 'client version at most')
    .option('--all', 'every session online (needs the highest approval tier)')
    .option('--max-sessions <n>', 'refuse if more sessions match than this')
    .option('--totp <code>', 'your TOTP code, for kicks above one session')
    .option('--dry-run', 'plan only: count, sample, breakdown, policy')
    .requiredOption('--reason <text>', 'why; lands in the audit log and is shown to the player')
    .action(async (opts: KickOptions) => {
      const body = (await cli.api('POST', '/admin/v1/commands', kickBody(opts))) as KickAnswer;
      if (body.dryRun) {
        cli.print(describePlan(body), body);
        return;
      }
      const c = body.command;
      cli.print(
        c.state === 'awaiting-approval'
          ? `command ${c.id} awaits approval: lifeline approve ${c.id} --totp <code> (by another operator)`
          : `command ${c.id}: ${c.state}, ${c.progress.ended} session(s) ended`,
        body,
      );
    });
}

function describePlan(body: KickAnswer): string {
  const p = body.plan;
  return [
    `dry run: ${p.count} session(s) of ${p.online} online (${(p.shareOfOnline * 100).toFixed(2)}%)`,
    `  paying ${p.byTier.paying}, free ${p.byTier.free}`,
    ...Object.entries(p.byShard).map(([shard, n]) => `  ${shard}\t${n}`),
    `policy: ${body.policy.tier}: role ${body.policy.role}${body.policy.totp ? ' + TOTP' : ''}${
      body.policy.approvals > 0 ? ` + ${body.policy.approvals} approver(s)` : ''
    }; at most ${body.policy.cap} session(s)${body.policy.canary > 0 ? `; canary ${body.policy.canary}` : ''}`,
  ].join('\n');
}

const list = (v: string | undefined) =>
  v === undefined
    ? undefined
    : v
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);

function kickBody(o: KickOptions): Record<string, unknown> {
  const selector: Record<string, unknown> = {
    all: o.all,
    playerId: o.player,
    sessionId: o.session,
    playerIds: list(o.players),
    region: o.region,
    shard: o.shard,
    zone: o.zone,
    licence: list(o.licence),
    clientVersion:
      o.clientMin === undefined && o.clientMax === undefined
        ? undefined
        : { min: o.clientMin, max: o.clientMax },
  };
  const maxSessions = o.maxSessions === undefined ? undefined : Number(o.maxSessions);
  if (maxSessions !== undefined && !Number.isInteger(maxSessions)) {
    throw new CliError('VALIDATION_FAILED', '--max-sessions takes a whole number');
  }
  return compact({ action: 'kick', selector, reason: o.reason, totp: o.totp, dryRun: o.dryRun, maxSessions });
}
