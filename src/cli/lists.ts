/**
 * `lifeline commands`, `restores`, `disruptions`, `audit list` and `bans`: the admin API's lists,
 * paged by its cursor (see list.ts), as tables on a terminal and tab-separated lines when piped.
 */
import type { Command } from 'commander';
import type { AuditEntry } from '../audit/records.ts';
import type { Ban } from '../bans/records.ts';
import type { CommandRecord } from '../commands/records.ts';
import type { Disruption } from '../disruptions/records.ts';
import type { RestoreRecord } from '../restore/records.ts';
import type { CliContext } from './context.ts';
import { type ListOptions, pagingOptions, runList } from './list.ts';
import { type Column, renderTable, when } from './table.ts';

const commandColumns: Column<CommandRecord>[] = [
  { header: 'ID', value: (c) => c.id },
  { header: 'ACTION', value: (c) => c.action },
  { header: 'STATE', value: (c) => c.state },
  { header: 'REQUESTED', value: (c) => when(c.requestedAt) },
  { header: 'BY', value: (c) => c.requestedBy },
  { header: 'SESSIONS', value: (c) => String(c.plan.count) },
  { header: 'ENDED', value: (c) => String(c.progress.ended) },
  { header: 'APPROVALS', value: (c) => `${c.approvals.length}/${c.policy.approvals}`, wide: true },
  { header: 'EXPIRES', value: (c) => when(c.expiresAt), wide: true },
  { header: 'REASON', value: (c) => c.reason },
];

const restoreColumns: Column<RestoreRecord & { pauseReason?: string | null }>[] = [
  { header: 'ID', value: (r) => r.id },
  { header: 'STATE', value: (r) => r.state },
  { header: 'CREATED', value: (r) => when(r.createdAt) },
  { header: 'BY', value: (r) => r.requestedBy },
  { header: 'RELEASED', value: (r) => `${r.released}/${r.total}` },
  { header: 'PACING', value: (r) => r.pacing.mode, wide: true },
  { header: 'SOURCE', value: (r) => JSON.stringify(r.source), wide: true },
  { header: 'PAUSED', value: (r) => r.pauseReason ?? r.pauseNote ?? '-' },
];

const disruptionColumns: Column<Disruption>[] = [
  { header: 'ID', value: (x) => x.id },
  { header: 'AT', value: (x) => when(x.at) },
  { header: 'PLAYER', value: (x) => x.playerId },
  { header: 'CAUSE', value: (x) => x.cause },
  { header: 'REGION', value: (x) => x.snapshot.region },
  { header: 'SHARD', value: (x) => x.snapshot.shard },
  { header: 'OUTCOME', value: (x) => x.outcome },
  { header: 'COMMAND', value: (x) => x.commandId ?? '-' },
  { header: 'RESTORE', value: (x) => x.restoreId ?? '-', wide: true },
  { header: 'SESSION', value: (x) => x.sessionId, wide: true },
];

const auditColumns: Column<AuditEntry>[] = [
  { header: 'SEQ', value: (e) => String(e.seq) },
  { header: 'AT', value: (e) => when(e.at) },
  { header: 'ACTOR', value: (e) => e.actor },
  { header: 'ACTION', value: (e) => e.action },
  { header: 'TARGET', value: (e) => e.target },
  { header: 'RESULT', value: (e) => e.result },
  { header: 'DETAILS', value: (e) => JSON.stringify(e.details), wide: true },
];

export const banColumns: Column<Ban>[] = [
  { header: 'PLAYER', value: (b) => b.playerId },
  { header: 'BANNED', value: (b) => new Date(b.at).toISOString() },
  { header: 'BY', value: (b) => b.bannedBy },
  { header: 'EXPIRES', value: (b) => (b.expiresAt == null ? 'never' : new Date(b.expiresAt).toISOString()) },
  { header: 'REASON', value: (b) => b.reason },
];

export function listCommands(program: Command, cli: CliContext): void {
  commandsList(program, cli);
  pagingOptions(program.command('restores').description('[api] list restores, newest first'))
    .option('--state <states>', 'only these states, comma-separated: running,paused,cancelled,done')
    .action((o: ListOptions & { state?: string }) =>
      runList(
        cli,
        { path: '/admin/v1/restores', key: 'restores', columns: restoreColumns, empty: '(no restores)' },
        { state: o.state },
        o,
      ),
    );
  disruptionsList(program, cli);
  admissionCommand(program, cli);
}

function commandsList(program: Command, cli: CliContext): void {
  pagingOptions(
    program.command('commands').description('[api] list commands (kicks, operator changes), newest first'),
  )
    .option('--pending', 'only commands awaiting approval')
    .option(
      '--state <states>',
      'only these states, comma-separated: planned,awaiting-approval,running,halted,done,rejected',
    )
    .option('--actor <name>', 'only commands this operator requested')
    .option('--since <time>', 'requested at or after (epoch ms or ISO 8601)')
    .option('--until <time>', 'requested at or before (epoch ms or ISO 8601)')
    .action(
      (
        o: ListOptions & {
          pending?: boolean;
          state?: string;
          actor?: string;
          since?: string;
          until?: string;
        },
      ) =>
        runList(
          cli,
          { path: '/admin/v1/commands', key: 'commands', columns: commandColumns, empty: '(no commands)' },
          {
            pending: o.pending ? 'true' : undefined,
            state: o.state,
            actor: o.actor,
            since: o.since,
            until: o.until,
          },
          o,
        ),
    );
}

function disruptionsList(program: Command, cli: CliContext): void {
  type Filters = { command?: string; restore?: string; player?: string; region?: string; shard?: string };
  pagingOptions(
    program.command('disruptions').description('[api] list disruption records, oldest first'),
    '1000',
  )
    .option('--command <id>', 'only those this command caused')
    .option('--restore <id>', 'only those this restore owns')
    .option('--player <playerId>', 'only this player')
    .option('--region <name>')
    .option('--shard <name>')
    .option('--zone <name>')
    .option('--outcome <outcome>', 'pending, ticketed, restored, expired or refused')
    .option('--since <time>', 'disrupted at or after (epoch ms or ISO 8601)')
    .option('--until <time>', 'disrupted at or before (epoch ms or ISO 8601)')
    .action(
      (o: ListOptions & Filters & { zone?: string; outcome?: string; since?: string; until?: string }) =>
        runList(
          cli,
          {
            path: '/admin/v1/disruptions',
            key: 'disruptions',
            columns: disruptionColumns,
            empty: '(no disruptions)',
          },
          {
            commandId: o.command,
            restoreId: o.restore,
            playerId: o.player,
            region: o.region,
            shard: o.shard,
            zone: o.zone,
            outcome: o.outcome,
            from: o.since,
            to: o.until,
          },
          o,
        ),
    );
}

/** `lifeline audit list`, under the `audit` group (whose other commands open the store directly). */
export function auditListCommand(audit: Command, cli: CliContext): void {
  pagingOptions(audit.command('list').description('[api] list audit entries, oldest first'))
    .option('--actor <name>')
    .option('--action <action>', 'e.g. command.kick, restore.start, breaker.open')
    .option('--since <time>', 'at or after (epoch ms or ISO 8601)')
    .option('--until <time>', 'at or before (epoch ms or ISO 8601)')
    .action((o: ListOptions & { actor?: string; action?: string; since?: string; until?: string }) =>
      runList(
        cli,
        { path: '/admin/v1/audit', key: 'entries', columns: auditColumns, empty: '(no entries)' },
        { actor: o.actor, action: o.action, from: o.since, to: o.until },
        o,
      ),
    );
}

interface AdmissionView {
  enabled: boolean;
  reason?: string;
  limit?: number;
  inFlight?: number;
  peakInFlight?: number;
  upstream?: string;
  lanes?: { name: string; depth: number; maxDepth: number; oldestWaitSeconds: number }[];
}

/** `lifeline admission`: the login queue of the node the admin URL reaches. */
export function admissionCommand(program: Command, cli: CliContext): void {
  program
    .command('admission')
    .description('[api] the login admission queue: depth, limit, in flight, oldest wait, per lane')
    .action(async () => {
      const body = (await cli.api('GET', '/admin/v1/admission')) as AdmissionView;
      if (!body.enabled) {
        cli.print(body.reason ?? 'admission is off', body);
        return;
      }
      const table = renderTable(
        [
          { header: 'LANE', value: (l) => l.name },
          { header: 'DEPTH', value: (l) => String(l.depth) },
          { header: 'MAX', value: (l) => String(l.maxDepth) },
          { header: 'OLDEST WAIT', value: (l) => `${l.oldestWaitSeconds.toFixed(1)}s` },
        ] satisfies Column<NonNullable<AdmissionView['lanes']>[number]>[],
        body.lanes ?? [],
        { tty: cli.io.tty === true, wide: false },
      );
      cli.print(
        `${table}\nlimit ${body.limit}, in flight ${body.inFlight} (peak ${body.peakInFlight}), upstream ${body.upstream}`,
        body,
      );
    });
}
