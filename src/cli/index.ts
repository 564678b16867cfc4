/**
 * The `lifeline` command. Two kinds of subcommand, and `--help` says which each is:
 * - direct: opens the record store itself (operators, audit), so it works with no server
 *   running (SQLite serializes writers with the server when one is);
 * - api: talks to a running server's admin listener (sessions, kick), because live sessions
 *   exist only inside the server.
 */
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import { Command, Option } from 'commander';
import { createApp, openSealer, openStore } from '../app.ts';
import {
  type AuditAnchoring,
  AuditLog,
  exportAudit,
  openAnchoring,
  PUBLIC_KEY_FILE,
  readPublicKeyFile,
  verifyExport,
  verifyWithSettings,
} from '../audit/index.ts';
import { type Config, loadConfig } from '../config/index.ts';
import { isLifelineError } from '../errors/index.ts';
import { parseFlagValue } from '../flags/index.ts';
import { OperatorService } from '../operators/index.ts';
import { keysCommands } from './keys.ts';
import { roles } from '../operators/records.ts';

export interface CliIo {
  env: Record<string, string | undefined>;
  cwd: string;
  out: (text: string) => void;
  err: (text: string) => void;
}

interface GlobalOptions {
  json?: boolean;
  config?: string;
  token?: string;
  adminUrl?: string;
}

/** Runs the CLI; resolves to the process exit code. `serve` resolves only on shutdown. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode = 0;
  const program = new Command('lifeline')
    .description('Lifeline: session resilience for online games')
    .option('--json', 'print machine-readable JSON')
    .option(
      '-c, --config <file>',
      'config file (default: ./lifeline.config.json if present; env LIFELINE_CONFIG)',
    )
    .option('--token <token>', 'operator bearer token for api commands (env LIFELINE_TOKEN)')
    .option(
      '--admin-url <url>',
      'admin listener for api commands (env LIFELINE_ADMIN_URL; default from config)',
    )
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });

  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  const config = (): Config =>
    loadConfig({ file: globals().config ?? io.env.LIFELINE_CONFIG, env: io.env, cwd: io.cwd });
  const print = (human: string, json: unknown): void =>
    io.out(globals().json ? JSON.stringify(json, null, 2) : human);
  const cliActor = (): string => `cli:${safeUser()}`;

  /**
   * Opens the store for a direct command. Unless `anchored` is false, the audit anchor and key
   * are opened too, and whatever the command appended is checkpointed before it returns: an
   * entry the CLI wrote is vouched for like one a node wrote.
   */
  const withStore = async <T>(
    work: (ctx: {
      store: Awaited<ReturnType<typeof openStore>>;
      audit: AuditLog;
      anchoring: AuditAnchoring | undefined;
    }) => Promise<T>,
    anchored = true,
  ): Promise<T> => {
    const cfg = config();
    const store = await openStore(cfg);
    try {
      const audit = new AuditLog({ store, clock: Date.now });
      const anchoring = anchored
        ? openAnchoring({
            settings: cfg.audit,
            log: audit,
            sealer: openSealer(cfg),
            node: cliActor(),
            clock: Date.now,
          })
        : undefined;
      try {
        // A direct write must not re-seed an anchor that lost its history (see guard).
        await anchoring?.guard();
        return await work({ store, audit, anchoring });
      } finally {
        await anchoring?.checkpointer.flush();
        anchoring?.anchor.close();
      }
    } finally {
      await store.close();
    }
  };
  /** The operator service on the store directly, with the sealer the server uses for TOTP secrets. */
  const withOperators = async <T>(work: (operators: OperatorService) => Promise<T>): Promise<T> => {
    const cfg = config();
    const sealer = openSealer(cfg);
    return withStore(({ store, audit }) =>
      work(new OperatorService({ store, audit, clock: Date.now, sealer, settings: cfg.operators })),
    );
  };
  // With --json the answer carries `breakGlass: true` instead, so stdout stays one JSON document.
  const breakGlassWarning = (what: string): void => {
    if (!globals().json)
      io.err(
        `SECURITY ALERT: break-glass ${what} by ${cliActor()} while admins exist; audited as operator.break-glass, and every running node raises an alert`,
      );
  };

  const api = async (method: string, path: string, body?: unknown, bearer = true): Promise<unknown> => {
    const cfg = config();
    const base =
      globals().adminUrl ??
      io.env.LIFELINE_ADMIN_URL ??
      `http://${hostFor(cfg.admin.host)}:${cfg.admin.port}`;
    const token = globals().token ?? io.env.LIFELINE_TOKEN;
    if (!token && bearer)
      throw new CliError('OPERATOR_UNAUTHENTICATED', 'Give an operator token with --token or LIFELINE_TOKEN');
    let res: Response;
    try {
      res = await fetch(new URL(path, base), {
        method,
        headers: {
          ...(bearer ? { authorization: `Bearer ${token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new CliError(
        'NOT_READY',
        `Cannot reach the admin API at ${base}: is \`lifeline serve\` running? (${(err as Error).message})`,
      );
    }
    const payload = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string } };
    if (!res.ok)
      throw new CliError(
        payload.error?.code ?? `HTTP_${res.status}`,
        payload.error?.message ?? res.statusText,
      );
    return payload;
  };
  /** An operator request (a guarded command) sent with the requester's TOTP; another admin approves. */
  const askApproval = async (
    method: 'POST' | 'PATCH',
    path: string,
    fields: Record<string, unknown>,
    opts: { totp: string; reason?: string },
  ): Promise<void> => {
    const reason = opts.reason === undefined ? {} : { reason: opts.reason };
    const body = (await api(method, path, { ...fields, totp: opts.totp, ...reason })) as {
      command: { id: string };
      enrolment?: { operator: string; requesterPart: string };
    };
    const id = body.command.id;
    const asked = `command ${id} awaits approval by another admin: lifeline approve ${id} --totp <code>`;
    const e = body.enrolment;
    print(
      e
        ? [
            asked,
            `your part of ${e.operator}'s enrolment (shown once; hand it to them yourself, by another channel than the approver's):`,
            e.requesterPart,
          ].join('\n')
        : asked,
      body,
    );
  };

  program
    .command('serve')
    .description('[server] run Lifeline: the player and admin listeners on the configured store')
    .action(async () => {
      const app = await createApp({ config: config() });
      let urls: { playerUrl: string; adminUrl: string };
      try {
        urls = await app.listen();
      } catch (err) {
        // Close what was opened so the process exits with the coded error instead of lingering.
        await app.close();
        throw err;
      }
      const { playerUrl, adminUrl } = urls;
      app.logger.info({ playerUrl, adminUrl, store: app.store.kind }, 'Lifeline is serving');
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          app.logger.info('draining');
          void app.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });

  const operators = program.command('operators').description('[direct] manage admin-plane operators');
  operators
    .command('add <name>')
    .description(
      '[direct] bootstrap the first admin (or any operator on a store with no admin) and print its token and TOTP URI (shown once); once an admin exists, refused unless --break-glass',
    )
    .addOption(new Option('--role <role>', 'role').choices([...roles]).makeOptionMandatory())
    .option('--break-glass', 'write although admins exist: audited, and raises a security alert')
    .action(async (name: string, opts: { role: string; breakGlass?: boolean }) => {
      const breakGlass = opts.breakGlass === true;
      const { created, admins } = await withOperators(async (ops) => {
        const admins = (await ops.list()).some((o) => o.role === 'admin' && o.revokedAt === null);
        return {
          created: await ops.addDirect({ name, role: opts.role }, cliActor(), { breakGlass }),
          admins,
        };
      });
      if (admins) breakGlassWarning(`operators add ${name}`);
      print(
        [
          `operator ${created.operator.name} (${created.operator.role}) created`,
          `token (shown once): ${created.token}`,
          `TOTP enrolment (shown once; add to an authenticator app): ${created.otpauthUri}`,
        ].join('\n'),
        {
          operator: { id: created.operator.id, name: name, role: created.operator.role },
          token: created.token,
          otpauthUri: created.otpauthUri,
          ...(admins ? { breakGlass: true } : {}),
        },
      );
    });
  operators
    .command('request <name>')
    .description(
      '[api] ask for a new operator (admin, with TOTP): prints your part of their enrolment to hand over; another admin approves with `lifeline approve` and receives the other part',
    )
    .addOption(new Option('--role <role>', 'role').choices([...roles]).makeOptionMandatory())
    .requiredOption('--totp <code>', 'your TOTP code')
    .option('--reason <text>', 'why; lands in the audit log')
    .action(async (name: string, opts: { role: string; totp: string; reason?: string }) => {
      await askApproval('POST', '/admin/v1/operators', { name, role: opts.role }, opts);
    });
  operators
    .command('set-role <name> <role>')
    .description("[api] ask to change an operator's role (admin, with TOTP); another admin approves")
    .requiredOption('--totp <code>', 'your TOTP code')
    .option('--reason <text>', 'why; lands in the audit log')
    .action(async (name: string, role: string, opts: { totp: string; reason?: string }) => {
      await askApproval('PATCH', `/admin/v1/operators/${encodeURIComponent(name)}`, { role }, opts);
    });
  operators
    .command('enrol <enrolmentToken>')
    .description(
      "[api] redeem your one-time enrolment (the approver's token and the requester's part): prints your operator token and TOTP URI (shown once); needs no --token",
    )
    .requiredOption('--requester-part <part>', 'the part the admin who asked for you handed you')
    .action(async (token: string, opts: { requesterPart: string }) => {
      const body = (await api(
        'POST',
        '/admin/v1/enrol',
        { token, requesterPart: opts.requesterPart },
        false,
      )) as {
        operator: { name: string; role: string };
        token: string;
        otpauthUri: string;
      };
      print(
        [
          `enrolled as ${body.operator.name} (${body.operator.role})`,
          `token (shown once): ${body.token}`,
          `TOTP enrolment (shown once; add to an authenticator app): ${body.otpauthUri}`,
        ].join('\n'),
        body,
      );
    });
  operators
    .command('list')
    .description('[direct] list operators')
    .action(async () => {
      const list = await withStore(({ store }) => store.listOperators(), false);
      const rows = list.map((o) => ({ id: o.id, name: o.name, role: o.role, revoked: o.revokedAt !== null }));
      print(
        rows.map((r) => `${r.name}\t${r.role}${r.revoked ? '\trevoked' : ''}`).join('\n') || '(no operators)',
        {
          operators: rows,
        },
      );
    });
  operators
    .command('revoke <name>')
    .description(
      '[direct] revoke an operator; their token stops working at once. Once an admin exists, needs --break-glass (the API revokes without it)',
    )
    .option('--break-glass', 'write although admins exist: audited, and raises a security alert')
    .action(async (name: string, opts: { breakGlass?: boolean }) => {
      const admins = await withOperators(async (ops) => {
        const admins = (await ops.list()).some((o) => o.role === 'admin' && o.revokedAt === null);
        await ops.revokeDirect(name, cliActor(), { breakGlass: opts.breakGlass === true });
        return admins;
      });
      if (admins) breakGlassWarning(`operators revoke ${name}`);
      print(`operator ${name} revoked`, { revoked: name, ...(admins ? { breakGlass: true } : {}) });
    });

  program
    .command('sessions')
    .description('[api] list live sessions and counts by region and shard')
    .option('--region <region>')
    .option('--shard <shard>')
    .option('--zone <zone>')
    .option('--player <playerId>')
    .option('--limit <n>', 'sessions to list', '20')
    .action(
      async (opts: { region?: string; shard?: string; zone?: string; player?: string; limit: string }) => {
        const q = new URLSearchParams();
        for (const [k, v] of Object.entries({
          region: opts.region,
          shard: opts.shard,
          zone: opts.zone,
          playerId: opts.player,
          limit: opts.limit,
        })) {
          if (v !== undefined) q.set(k, v);
        }
        const body = (await api('GET', `/admin/v1/sessions?${q}`)) as {
          counts: { total: number; byRegion: Record<string, number>; byShard: Record<string, number> };
          sessions: { id: string; playerId: string; region: string; shard: string }[];
        };
        const lines = [
          `${body.counts.total} live session(s)`,
          ...Object.entries(body.counts.byShard).map(([s, n]) => `  ${s}\t${n}`),
          ...body.sessions.map((s) => `${s.id}\t${s.playerId}\t${s.region}/${s.shard}`),
        ];
        print(lines.join('\n'), body);
      },
    );

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
      const body = (await api('POST', '/admin/v1/commands', kickBody(opts))) as KickAnswer;
      if (body.dryRun) {
        const p = body.plan;
        print(
          [
            `dry run: ${p.count} session(s) of ${p.online} online (${(p.shareOfOnline * 100).toFixed(2)}%)`,
            `  paying ${p.byTier.paying}, free ${p.byTier.free}`,
            ...Object.entries(p.byShard).map(([shard, n]) => `  ${shard}\t${n}`),
            `policy: ${body.policy.tier}: role ${body.policy.role}${body.policy.totp ? ' + TOTP' : ''}${
              body.policy.approvals > 0 ? ` + ${body.policy.approvals} approver(s)` : ''
            }; at most ${body.policy.cap} session(s)${body.policy.canary > 0 ? `; canary ${body.policy.canary}` : ''}`,
          ].join('\n'),
          body,
        );
        return;
      }
      const c = body.command;
      print(
        c.state === 'awaiting-approval'
          ? `command ${c.id} awaits approval: lifeline approve ${c.id} --totp <code> (by another operator)`
          : `command ${c.id}: ${c.state}, ${c.progress.ended} session(s) ended`,
        body,
      );
    });

  program
    .command('approve <commandId>')
    .description("[api] approve another operator's command with your own TOTP")
    .requiredOption('--totp <code>', 'your TOTP code')
    .action(async (id: string, opts: { totp: string }) => {
      const body = (await api('POST', `/admin/v1/commands/${encodeURIComponent(id)}/approve`, {
        totp: opts.totp,
      })) as {
        command: { id: string; state: string };
        enrolment?: { operator: string; token: string; expiresAt: string };
      };
      const e = body.enrolment;
      print(
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

  program
    .command('halt <commandId>')
    .description('[api] stop a command that waits or runs; sessions already ended stay ended')
    .requiredOption('--reason <text>')
    .action(async (id: string, opts: { reason: string }) => {
      const body = (await api('POST', `/admin/v1/commands/${encodeURIComponent(id)}/halt`, {
        reason: opts.reason,
      })) as {
        command: { id: string; state: string; progress: { ended: number } };
      };
      print(
        `command ${body.command.id}: ${body.command.state} after ${body.command.progress.ended} session(s)`,
        body,
      );
    });

  program
    .command('command <commandId>')
    .description('[api] show a command: plan, policy, approvals, progress')
    .action(async (id: string) => {
      const body = (await api('GET', `/admin/v1/commands/${encodeURIComponent(id)}`)) as {
        command: {
          id: string;
          state: string;
          progress: { ended: number; waves: number };
          haltReason: string | null;
        };
      };
      const c = body.command;
      print(
        `command ${c.id}: ${c.state}, ${c.progress.ended} ended in ${c.progress.waves} wave(s)${c.haltReason ? ` (${c.haltReason})` : ''}`,
        body,
      );
    });

  program
    .command('ban <playerId>')
    .description('[api] ban a player (admin): ends their sessions; no login, refresh or restore until lifted')
    .requiredOption('--reason <text>', 'why; lands in the audit log (not shown to the player)')
    .action(async (playerId: string, opts: { reason: string }) => {
      const body = (await api('POST', '/admin/v1/bans', { playerId, reason: opts.reason })) as {
        ban: BanView;
        sessionsEnded: number;
      };
      print(`player ${body.ban.playerId} banned; ${body.sessionsEnded} session(s) ended`, body);
    });

  program
    .command('unban <playerId>')
    .description("[api] lift a player's ban (admin); they may log in again")
    .requiredOption('--reason <text>', 'why; lands in the audit log')
    .action(async (playerId: string, opts: { reason: string }) => {
      const body = (await api('DELETE', `/admin/v1/bans/${encodeURIComponent(playerId)}`, {
        reason: opts.reason,
      })) as { ban: BanView };
      print(`player ${body.ban.playerId}: ban lifted`, body);
    });

  program
    .command('bans')
    .description('[api] list the bans in force, newest first')
    .option('--player <playerId>', 'only this player')
    .option('--limit <n>', 'bans to list', '100')
    .action(async (opts: { player?: string; limit: string }) => {
      const q = new URLSearchParams({ limit: opts.limit });
      if (opts.player !== undefined) q.set('playerId', opts.player);
      const body = (await api('GET', `/admin/v1/bans?${q}`)) as { bans: BanView[] };
      print(
        body.bans
          .map((b) => `${b.playerId}\t${new Date(b.at).toISOString()}\t${b.bannedBy}\t${b.reason}`)
          .join('\n') || '(no bans)',
        body,
      );
    });

  const breaker = program.command('breaker').description('[api] the kick breaker');
  breaker
    .command('status')
    .description('[api] open or closed, the cap and the kicks in the window')
    .action(async () => {
      const body = (await api('GET', '/admin/v1/breaker')) as {
        breaker: { state: string; cap: number; usedInWindow: number; reason: string };
      };
      const b = body.breaker;
      print(
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
      const body = (await api('POST', '/admin/v1/breaker/reset', {
        totp: opts.totp,
        reason: opts.reason,
      })) as {
        breaker: { state: string };
      };
      print(`kick breaker ${body.breaker.state}`, body);
    });

  const flags = program.command('flags').description('[api] feature flags and kill switches');
  flags
    .command('list')
    .description('[api] every flag, its value and who set it last')
    .action(async () => {
      const body = (await api('GET', '/admin/v1/flags')) as {
        flags: { key: string; value: unknown; updatedBy: string | null; reason: string | null }[];
      };
      print(
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
    .action(async (key: string, value: string, opts: { reason: string }) => {
      const body = (await api('PUT', `/admin/v1/flags/${encodeURIComponent(key)}`, {
        value: parseFlagValue(key, value),
        reason: opts.reason,
      })) as { flag: { key: string; value: unknown } };
      print(`${body.flag.key} = ${JSON.stringify(body.flag.value)}`, body);
    });

  const restore = program
    .command('restore')
    .description('[api] bring disrupted players back in paced batches');
  const sourceOptions = (c: Command) =>
    c
      .option('--command <commandId>', 'the command whose disruptions to restore')
      .option('--from <time>', 'window start (ISO or epoch ms), with --to')
      .option('--to <time>', 'window end (ISO or epoch ms)')
      .option('--region <region>')
      .option('--shard <shard>')
      .option('--zone <zone>');
  sourceOptions(restore.command('plan'))
    .description('[api] counts, breakdown, players already back or owned by another restore; changes nothing')
    .action(async (opts: SourceOptions) => {
      const body = (await api('POST', '/admin/v1/restores', { ...restoreSource(opts), dryRun: true })) as {
        plan: RestorePlanView;
      };
      const p = body.plan;
      print(
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
    .action(async (opts: SourceOptions & StartOptions) => {
      const body = (await api('POST', '/admin/v1/restores', {
        ...restoreSource(opts),
        pacing: pacingFrom(opts),
        thresholds: thresholdsFrom(opts),
        totp: opts.totp,
      })) as RestoreStatusView;
      print(
        `restore ${body.restore.id} running: ${body.restore.total} record(s); lifeline restore status ${body.restore.id} --watch`,
        body,
      );
    });
  for (const verb of ['pause', 'resume', 'cancel'] as const) {
    restore
      .command(`${verb} <restoreId>`)
      .description(`[api] ${verb} a restore`)
      .requiredOption('--reason <text>')
      .action(async (id: string, opts: { reason: string }) => {
        const body = (await api('POST', `/admin/v1/restores/${encodeURIComponent(id)}/${verb}`, {
          reason: opts.reason,
        })) as RestoreStatusView;
        print(`restore ${id}: ${body.restore.state}`, body);
      });
  }
  restore
    .command('status <restoreId>')
    .description('[api] progress, rate and ETA; --watch draws a progress bar until it ends')
    .option('--watch', 'keep polling until the restore is done or cancelled')
    .action(async (id: string, opts: { watch?: boolean }) => {
      const read = async () =>
        (await api('GET', `/admin/v1/restores/${encodeURIComponent(id)}`)) as RestoreStatusView;
      let body = await read();
      if (opts.watch && !globals().json) {
        const bar = new SingleBar(
          {
            format: 'restore |{bar}| {value}/{total} settled · {rate}/s · ETA {etaText} · {state}',
            hideCursor: true,
          },
          Presets.shades_classic,
        );
        const settled = (b: RestoreStatusView) => b.restore.total - b.open;
        const payload = (b: RestoreStatusView) => ({
          rate: b.ratePerSecond.toFixed(1),
          etaText: b.etaSeconds === null ? '—' : `${b.etaSeconds}s`,
          state: b.restore.state + (b.restore.pauseReason ? ` (${b.restore.pauseReason})` : ''),
        });
        bar.start(body.restore.total, settled(body), payload(body));
        while (body.restore.state === 'running' || body.restore.state === 'paused') {
          await new Promise((r) => setTimeout(r, 1000));
          body = await read();
          bar.update(settled(body), payload(body));
        }
        bar.stop();
      }
      const c = body.counts;
      print(
        `restore ${id}: ${body.restore.state}${body.restore.pauseReason ? ` (${body.restore.pauseReason})` : ''}; ` +
          `restored ${c.restored}, ticketed ${c.ticketed}, pending ${c.pending}, expired ${c.expired}, refused ${c.refused}`,
        body,
      );
    });

  keysCommands(program, { config, withStore, print, actor: cliActor });

  const audit = program.command('audit').description('[direct] the hash-chained audit log');
  audit
    .command('verify')
    .description('[direct] walk the whole chain; exit 1 naming the first bad seq')
    .description(
      '[direct] walk the whole chain against the anchored checkpoints; exit 1 naming the first bad or missing seq',
    )
    .option(
      '--checkpoint <seq:hash>',
      "a head kept earlier (an export's chainHead); checked like a checkpoint",
    )
    .option(
      '--public-key <file>',
      'the audit public key you pinned (PEM); default: audit-key.pub in the anchor directory',
    )
    .option(
      '--anchor <dir>',
      'another anchor directory to read checkpoints from (repeatable; its own audit-key.pub)',
      (dir: string, dirs: string[]) => [...dirs, dir],
      [] as string[],
    )
    .action(async (opts: { checkpoint?: string; publicKey?: string; anchor: string[] }) => {
      const checkpoint = opts.checkpoint ? parseCheckpoint(opts.checkpoint) : undefined;
      const cfg = config();
      const pinned = opts.publicKey === undefined ? undefined : readPublicKeyFile(opts.publicKey);
      const anchors = [
        { dir: cfg.audit.anchor.dir, ...(pinned ? { publicKey: pinned } : {}) },
        ...opts.anchor.map((dir) => ({ dir })),
      ];
      // Only public keys are needed: an auditor without the KEK can run this.
      const result = await withStore(
        ({ audit }) => verifyWithSettings(audit, cfg.audit, anchors, checkpoint),
        false,
      );
      print(result.message, result);
      if (!result.ok) exitCode = 1;
    });
  audit
    .command('export')
    .description('[direct] write entries as JSONL plus a manifest holding the chain head')
    .option('--from <time>', 'ISO time or epoch ms (default: the beginning)')
    .option('--to <time>', 'ISO time or epoch ms (default: now)')
    .option('--out <dir>', 'directory to write into', '.')
    .action(async (opts: { from?: string; to?: string; out: string }) => {
      const from = opts.from === undefined ? undefined : parseWhen(opts.from, '--from');
      const to = opts.to === undefined ? undefined : parseWhen(opts.to, '--to');
      const written = await withStore(({ audit, anchoring }) =>
        exportAudit(audit, { from, to, dir: opts.out, ...(anchoring ? { signer: anchoring.signer } : {}) }),
      );
      print(
        `wrote ${written.manifest.count} entries to ${written.file}\nmanifest ${written.manifestFile} (signed by audit key ${written.manifest.signature?.key})`,
        written,
      );
    });
  audit
    .command('verify-export')
    .description('[offline] check an export: its manifest signature, its digest and the chain inside it')
    .argument('<manifest>', 'the ….manifest.json file')
    .option(
      '--public-key <file>',
      'the audit public key you pinned (PEM); default: audit-key.pub in the configured anchor directory',
    )
    .action(async (manifestFile: string, opts: { publicKey?: string }) => {
      const keyFile = opts.publicKey ?? join(config().audit.anchor.dir, PUBLIC_KEY_FILE);
      const result = await verifyExport(manifestFile, readPublicKeyFile(keyFile));
      print(result.message, result);
      if (!result.ok) exitCode = 1;
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof Error && 'exitCode' in err && typeof err.exitCode === 'number') {
      // commander's own exits: --help, --version, a usage error (already printed).
      return err.exitCode;
    }
    const code = isLifelineError(err) || err instanceof CliError ? err.code : 'INTERNAL';
    const message = err instanceof Error ? err.message : String(err);
    if (globals().json) io.out(JSON.stringify({ error: { code, message } }));
    else io.err(`error ${code}: ${message}`);
    return 1;
  }
  return exitCode;
}

interface SourceOptions {
  command?: string;
  from?: string;
  to?: string;
  region?: string;
  shard?: string;
  zone?: string;
}

interface StartOptions {
  pacing: string;
  batchSize: string;
  interval: string;
  maxRate?: string;
  maxCpu?: string;
  maxConnections?: string;
  maxErrorRate?: string;
  maxP99?: string;
  maxDownstreamP99?: string;
  maxLoopDelay?: string;
  healthUrl?: string;
  totp?: string;
}

interface RestorePlanView {
  total: number;
  restorable: number;
  alreadyBack: number;
  bannedSince: number;
  overlapping: number;
  byOutcome: Record<string, number>;
  byShard: Record<string, number>;
}

interface BanView {
  playerId: string;
  reason: string;
  bannedBy: string;
  at: number;
}

interface RestoreStatusView {
  restore: { id: string; state: string; total: number; pauseReason: string | null };
  counts: { pending: number; ticketed: number; restored: number; expired: number; refused: number };
  open: number;
  ratePerSecond: number;
  etaSeconds: number | null;
}

function restoreSource(o: SourceOptions): Record<string, unknown> {
  const selector = { region: o.region, shard: o.shard, zone: o.zone };
  const hasSelector = Object.values(selector).some((v) => v !== undefined);
  return JSON.parse(
    JSON.stringify({
      commandId: o.command,
      from: o.from === undefined ? undefined : parseWhen(o.from, '--from'),
      to: o.to === undefined ? undefined : parseWhen(o.to, '--to'),
      selector: hasSelector ? selector : undefined,
    }),
  ) as Record<string, unknown>;
}

/** "5s", "500ms", "2m" or plain milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m)
    throw new CliError(
      'VALIDATION_FAILED',
      `--interval takes a duration like 5s, 500ms or 1m, not "${text}"`,
    );
  const n = Number(m[1]);
  return Math.round(m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n);
}

function pacingFrom(o: StartOptions): Record<string, unknown> {
  if (o.pacing === 'adaptive') {
    if (o.maxRate === undefined)
      throw new CliError('VALIDATION_FAILED', '--pacing adaptive needs --max-rate');
    return { mode: 'adaptive', maxRate: Number(o.maxRate) };
  }
  if (o.pacing !== 'fixed') throw new CliError('VALIDATION_FAILED', '--pacing is fixed or adaptive');
  return { mode: 'fixed', batchSize: Number(o.batchSize), intervalMs: parseDuration(o.interval) };
}

function thresholdsFrom(o: StartOptions): Record<string, unknown> {
  const n = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  return JSON.parse(
    JSON.stringify({
      cpuPercent: n(o.maxCpu),
      connections: n(o.maxConnections),
      errorRate: n(o.maxErrorRate),
      p99LatencyMs: n(o.maxP99),
      downstreamP99Ms: n(o.maxDownstreamP99),
      eventLoopDelayMs: n(o.maxLoopDelay),
      healthUrl: o.healthUrl,
    }),
  ) as Record<string, unknown>;
}

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

/** Flags to the API's command body; the server does all checking, so errors keep their codes. */
function kickBody(o: KickOptions): Record<string, unknown> {
  const list = (v: string | undefined) =>
    v === undefined
      ? undefined
      : v
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean);
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
  return JSON.parse(
    JSON.stringify({
      action: 'kick',
      selector,
      reason: o.reason,
      totp: o.totp,
      dryRun: o.dryRun,
      maxSessions,
    }),
  ) as Record<string, unknown>;
}

/** An error the CLI itself reports, in the same `code: message` shape as the API's. */
class CliError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

function parseWhen(value: string, flag: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(n))
    throw new CliError('VALIDATION_FAILED', `${flag} is neither an ISO time nor epoch ms`);
  return n;
}

function parseCheckpoint(value: string): { seq: number; hash: string } {
  const m = /^(\d+):([0-9a-f]{64})$/.exec(value);
  if (!m) throw new CliError('VALIDATION_FAILED', '--checkpoint is <seq>:<64 hex hash>');
  return { seq: Number(m[1]), hash: m[2] as string };
}

function hostFor(listenHost: string): string {
  if (listenHost === '0.0.0.0') return '127.0.0.1';
  if (listenHost === '::') return '[::1]';
  return listenHost.includes(':') ? `[${listenHost}]` : listenHost;
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
