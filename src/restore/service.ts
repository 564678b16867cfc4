import type { BanRecords, CommandRecords, DisruptionLedger, Grants, RestoreRecords } from '../store/index.ts';
import type { RunLeases, SessionDirectory } from '../live/index.ts';
import type { Logger } from 'pino';
import type { AuditLog } from '../audit/index.ts';
import { policyFor, type PolicySettings } from '../commands/index.ts';
import { LifelineError } from '../errors/index.ts';
import type { EventStream } from '../events/index.ts';
import type { OperatorService } from '../operators/index.ts';
import type { PlayerLimits, SessionService, SessionTokens } from '../sessions/index.ts';
import type { Disruption } from '../disruptions/records.ts';
import type { Operator } from '../operators/records.ts';
import type { Pacing, RestoreCounts, RestoreRecord, RestoreSource, Thresholds } from './records.ts';
import { uuid7 } from '../ids/index.ts';
import type { Tokens } from '../tokens/index.ts';
import { breach, type HealthProbe, type HealthReading, healthUrlAllowed } from './health.ts';
import { createPacer, knee, type Pacer } from './pacer.ts';

export interface RestoreSettings {
  /** @defaultValue 900 */
  ticketTtlSeconds: number;
  /** @defaultValue 10 */
  healthyHoldSeconds: number;
  /** @defaultValue 1000 */
  tickMs: number;
  /** @defaultValue 30 */
  waitingRetryAfterSeconds: number;
  /** Hosts a restore's `thresholds.healthUrl` may name. @defaultValue ['127.0.0.1', '::1', 'localhost'] */
  healthUrlHosts: readonly string[];
}

export interface RestorePlan {
  source: RestoreSource;
  total: number;
  byRegion: Record<string, number>;
  byShard: Record<string, number>;
  byOutcome: RestoreCounts;
  /** Pending records whose player already has a newer session: a restore refuses them. */
  alreadyBack: number;
  /**
   * Pending records whose player is banned now (since the disruption: a ban ends the player's
   * sessions and bars logins, so none is disrupted while banned): a restore refuses them `banned`.
   */
  bannedSince: number;
  /** Pending records another unfinished restore owns: starting this one would be refused. */
  overlapping: number;
  /** What a restore would release now. */
  restorable: number;
}

export interface RestoreStatus {
  restore: RestoreRecord;
  counts: RestoreCounts;
  /** Records not yet in a final outcome: pending plus ticketed. */
  open: number;
  ratePerSecond: number;
  etaSeconds: number | null;
}

export type RejoinAnswer =
  | { kind: 'restored'; tokens: SessionTokens }
  | {
      kind: 'waiting';
      position: number | null;
      etaSeconds: number | null;
      retryAfterSeconds: number;
      restoreId: string | null;
    };

export interface RestoreServiceDeps {
  store: RestoreRecords &
    DisruptionLedger &
    Pick<Grants, 'revokeGrants'> &
    Pick<CommandRecords, 'getCommand'> &
    Pick<BanRecords, 'currentBan' | 'listBans'>;
  live: RunLeases & SessionDirectory;
  sessions: SessionService;
  /** The per-session rejoin bucket. */
  limits: PlayerLimits;
  tokens: Tokens;
  audit: AuditLog;
  events: EventStream;
  operators: OperatorService;
  health: HealthProbe;
  logger: Logger;
  clock: () => number;
  settings: RestoreSettings;
  policy: PolicySettings;
  /** This node: a restore's runner, so no other node runs it while this one lives. */
  nodeId: string;
}

const PLAN_LIMIT = 5_000_000;
/** Players asked about per ban lookup. */
const BAN_CHUNK = 1000;
const unfinished = ['running', 'paused'] as const;

/**
 * Brings disrupted players back. A restore owns a set of disruption records and releases them
 * in paced batches as rejoin tickets; a kicked client redeems its ticket with its resume token
 * and gets a new session in the same place. Every record ends restored, expired or refused, and
 * the tickets themselves are the checkpoint: a restart resumes where the last batch left off.
 */
export class RestoreService {
  readonly #d: RestoreServiceDeps;
  readonly #runs = new Map<string, { stop: () => void; pacer: Pacer; done: Promise<void> }>();
  #stopped = false;

  constructor(deps: RestoreServiceDeps) {
    this.#d = deps;
  }

  async plan(source: RestoreSource): Promise<RestorePlan> {
    await this.#checkSource(source);
    const records = await this.#d.store.listDisruptions({ ...querySource(source), limit: PLAN_LIMIT });
    const plan: RestorePlan = {
      source,
      total: records.length,
      byRegion: {},
      byShard: {},
      byOutcome: { pending: 0, ticketed: 0, restored: 0, expired: 0, refused: 0 },
      alreadyBack: 0,
      bannedSince: 0,
      overlapping: 0,
      restorable: 0,
    };
    const banned = await this.#bannedAmong(
      records.filter((d) => d.outcome === 'pending').map((d) => d.playerId),
    );
    const owners = new Map<string, boolean>();
    for (const d of records) {
      plan.byOutcome[d.outcome as keyof RestoreCounts]++;
      plan.byRegion[d.snapshot.region] = (plan.byRegion[d.snapshot.region] ?? 0) + 1;
      plan.byShard[d.snapshot.shard] = (plan.byShard[d.snapshot.shard] ?? 0) + 1;
      if (d.outcome !== 'pending') continue;
      if (d.restoreId) {
        if (!owners.has(d.restoreId)) {
          const owner = await this.#d.store.getRestore(d.restoreId);
          owners.set(d.restoreId, owner !== null && (unfinished as readonly string[]).includes(owner.state));
        }
        if (owners.get(d.restoreId)) {
          plan.overlapping++;
          continue;
        }
      }
      if (banned.has(d.playerId)) plan.bannedSince++;
      else if (await this.#d.store.hasNewerSession(d.playerId, d.at)) plan.alreadyBack++;
      plan.restorable++;
    }
    return plan;
  }

  /** Starts a restore: guarded by size like a kick (role, TOTP), audited before it takes effect. */
  async start(
    req: { source: RestoreSource; pacing: Pacing; thresholds?: Thresholds; totp?: string },
    operator: Operator,
  ): Promise<RestoreStatus> {
    const d = this.#d;
    const healthUrl = req.thresholds?.healthUrl;
    if (healthUrl !== undefined && !healthUrlAllowed(healthUrl, d.settings.healthUrlHosts)) {
      throw new LifelineError(
        'RESTORE_HEALTH_URL_FORBIDDEN',
        `thresholds.healthUrl must be http(s) on a host in restore.healthUrlHosts (${d.settings.healthUrlHosts.join(', ')})`,
        { details: { field: 'thresholds.healthUrl', allowed: [...d.settings.healthUrlHosts] } },
      );
    }
    const plan = await this.plan(req.source);
    // Same tiers as a kick, but no second approver: a restore undoes harm, and waiting for a
    // second person prolongs the outage; the pacing and thresholds protect downstream instead.
    const policy = policyFor(plan.restorable, false, d.policy);
    await d.operators.authorize(
      operator,
      policy.role === 'admin' ? 'restores.start.bulk' : 'restores.start',
      'restores',
    );
    // A code sent is checked before the state checks below (and whatever the plan's tier, which
    // depends on state too), so its answer does not depend on them.
    if (req.totp !== undefined) await d.operators.stepUp(operator, req.totp);
    if (plan.overlapping > 0) {
      throw new LifelineError('RESTORE_OVERLAP', undefined, { details: { overlapping: plan.overlapping } });
    }
    if (plan.restorable === 0) throw new LifelineError('RESTORE_EMPTY');
    if (policy.totp && req.totp === undefined) throw new LifelineError('TOTP_REQUIRED');
    const now = d.clock();
    const restore: RestoreRecord = {
      id: `rst-${uuid7(now)}`,
      source: req.source,
      pacing: req.pacing,
      thresholds: req.thresholds ?? {},
      state: 'running',
      requestedBy: operator.name,
      createdAt: now,
      updatedAt: now,
      total: 0,
      released: 0,
      batches: 0,
      pauseReason: null,
    };
    await d.audit.append({
      actor: operator.name,
      action: 'restore.start',
      target: `restore:${restore.id}`,
      details: {
        restoreId: restore.id,
        source: req.source,
        pacing: req.pacing,
        thresholds: restore.thresholds,
        restorable: plan.restorable,
      },
      result: 'running',
    });
    const created = await d.store.createRestore(restore);
    if (!created.created) {
      throw new LifelineError('RESTORE_OVERLAP', undefined, {
        details: { overlapping: created.overlapping },
      });
    }
    this.#background(restore.id);
    return this.status(restore.id);
  }

  async status(id: string): Promise<RestoreStatus> {
    const restore = await this.#d.store.getRestore(id);
    if (!restore) throw new LifelineError('RESTORE_NOT_FOUND', `No restore ${id}`);
    const counts = await this.#d.store.restoreCounts(id);
    const rate =
      this.#runs.get(id)?.pacer.rate() ?? createPacer(restore.pacing, this.#d.settings.tickMs).rate();
    return {
      restore,
      counts,
      open: counts.pending + counts.ticketed,
      ratePerSecond: rate,
      etaSeconds: restore.state === 'running' && rate > 0 ? Math.ceil(counts.pending / rate) : null,
    };
  }

  async pause(id: string, operator: Operator, reason: string): Promise<RestoreStatus> {
    await this.#transition(
      id,
      ['running'],
      'paused',
      `operator ${operator.name}: ${reason}`,
      operator.name,
      'restore.pause',
      'RESTORE_NOT_RUNNING',
    );
    return this.status(id);
  }

  async resume(id: string, operator: Operator, reason: string): Promise<RestoreStatus> {
    await this.#transition(
      id,
      ['paused'],
      'running',
      null,
      operator.name,
      'restore.resume',
      'RESTORE_NOT_PAUSED',
      reason,
    );
    this.#background(id);
    return this.status(id);
  }

  /** Stops releasing; tickets already out stay valid until their TTL. */
  async cancel(id: string, operator: Operator, reason: string): Promise<RestoreStatus> {
    await this.#transition(
      id,
      ['running', 'paused'],
      'cancelled',
      reason,
      operator.name,
      'restore.cancel',
      'RESTORE_FINISHED',
    );
    this.#runs.get(id)?.stop();
    return this.status(id);
  }

  /**
   * Resumes restores left unfinished by a node that stopped: this one before a restart, or
   * another that died. Each run adopts its restore first, so a restore another live node runs
   * is left to it, and no restore is ever run by two nodes at once.
   */
  async recover(): Promise<number> {
    const active = await this.#d.store.listRestores(['running', 'paused']);
    const resumed = await Promise.all(active.map((r) => this.#run(r.id)));
    return resumed.filter(Boolean).length;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const run of this.#runs.values()) run.stop();
    await Promise.allSettled([...this.#runs.values()].map((r) => r.done));
  }

  /**
   * A kicked client asks to come back. Before its batch is released it waits (with a Retry-After
   * that spreads the restore's clients over its pacing); after, it gets a new session in the same
   * place. A record is redeemed once.
   */
  async rejoin(resumeToken: string): Promise<RejoinAnswer> {
    const started = performance.now();
    try {
      return await this.#rejoin(resumeToken);
    } catch (err) {
      // What fails here for Lifeline's own reasons (a store error, a bug) is what the error-rate
      // threshold watches; a coded 4xx is an answer.
      if (!(err instanceof LifelineError) || err.status >= 500)
        this.#d.health.recordRejoin(performance.now() - started, false);
      throw err;
    }
  }

  async #rejoin(resumeToken: string): Promise<RejoinAnswer> {
    const d = this.#d;
    const started = performance.now();
    const ok = (answer: RejoinAnswer, outcome: 'restored' | 'waiting'): RejoinAnswer => {
      const ms = performance.now() - started;
      if (outcome === 'restored') d.health.recordRejoin(ms, true);
      d.events.emit('rejoin', { outcome, ms });
      return answer;
    };
    const refuse = (reason: string): never => {
      const ms = performance.now() - started;
      // A refusal is an answer (the record was expired, already restored, …), not a failure of
      // the path: only errors count toward the error-rate threshold.
      d.health.recordRejoin(ms, true);
      d.events.emit('rejoin', { outcome: 'refused', ms });
      throw new LifelineError('REJOIN_REFUSED', `This session cannot be restored: ${reason}`, {
        details: { reason },
      });
    };
    let disruptionId: string;
    try {
      ({ disruptionId } = await d.tokens.parseResume(resumeToken, d.clock()));
    } catch (err) {
      d.events.emit('rejoin', { outcome: 'invalid', ms: performance.now() - started });
      throw err;
    }
    // Per session (the disruption its token names), once the token is proven genuine.
    await d.limits.forPlayer('rejoin', disruptionId);
    const record = await d.store.getDisruption(disruptionId);
    if (!record) throw new LifelineError('TOKEN_INVALID');
    switch (record.outcome) {
      case 'restored':
        return refuse('already-restored');
      case 'expired':
        return refuse('expired');
      case 'refused':
        return refuse(record.outcomeReason ?? 'refused');
      case 'pending':
        return ok(await this.#waiting(record), 'waiting');
      case 'ticketed': {
        const now = d.clock();
        if (record.ticketExpiresAt != null && record.ticketExpiresAt <= now) {
          await d.store.settleDisruption(record.id, ['ticketed'], {
            outcome: 'expired',
            reason: 'ticket-ttl',
            at: now,
          });
          return refuse('expired');
        }
        if (await d.store.currentBan(record.playerId)) {
          await d.store.settleDisruption(record.id, ['ticketed'], {
            outcome: 'refused',
            reason: 'banned',
            at: now,
          });
          return refuse('banned');
        }
        if (await d.store.hasNewerSession(record.playerId, record.at)) {
          await d.store.settleDisruption(record.id, ['ticketed'], {
            outcome: 'refused',
            reason: 'newer-session',
            at: now,
          });
          return refuse('newer-session');
        }
        const tokens = await d.sessions.reopen(record.playerId, record.snapshot);
        // Settling after the session exists: if two rejoins race, the loser's new session is
        // ended at once, so the record is still restored exactly once.
        if (
          !(await d.store.settleDisruption(record.id, ['ticketed'], {
            outcome: 'restored',
            reason: null,
            at: now,
            sessionId: tokens.sessionId,
          }))
        ) {
          await d.live.endSessions([tokens.sessionId]);
          await d.store.revokeGrants([tokens.sessionId], now, 'rejoin-race');
          return refuse('already-restored');
        }
        return ok({ kind: 'restored', tokens }, 'restored');
      }
    }
  }

  async #waiting(record: Disruption): Promise<RejoinAnswer> {
    const d = this.#d;
    const fallback = d.settings.waitingRetryAfterSeconds;
    const restore = record.restoreId ? await d.store.getRestore(record.restoreId) : null;
    if (restore?.state !== 'running') {
      return {
        kind: 'waiting',
        position: null,
        etaSeconds: null,
        retryAfterSeconds: fallback,
        restoreId: restore?.id ?? null,
      };
    }
    const position = await d.store.queuePosition(restore.id, record);
    const pacer = this.#runs.get(restore.id)?.pacer ?? createPacer(restore.pacing, d.settings.tickMs);
    const intervalS = pacer.intervalMs() / 1000;
    const perBatch = Math.max(1, pacer.rate() * intervalS);
    // The batch this record falls in, and when it should go out; then a random point inside that
    // batch's interval, so the clients of one batch do not all come back in the same second.
    const etaSeconds = Math.floor(position / perBatch) * intervalS;
    // At most an hour, like every Retry-After: a far place in a slow restore asks again later.
    const retryAfterSeconds = Math.min(3600, Math.max(1, Math.ceil(etaSeconds + Math.random() * intervalS)));
    return {
      kind: 'waiting',
      position,
      etaSeconds: Math.ceil(etaSeconds),
      retryAfterSeconds,
      restoreId: restore.id,
    };
  }

  async #transition(
    id: string,
    from: readonly RestoreRecord['state'][],
    to: RestoreRecord['state'],
    pauseReason: string | null,
    actor: string,
    action: string,
    code: 'RESTORE_NOT_RUNNING' | 'RESTORE_NOT_PAUSED' | 'RESTORE_FINISHED',
    reason?: string,
  ): Promise<RestoreRecord> {
    const d = this.#d;
    const restore = await d.store.getRestore(id);
    if (!restore) throw new LifelineError('RESTORE_NOT_FOUND', `No restore ${id}`);
    if (!from.includes(restore.state)) {
      throw new LifelineError(
        restore.state === 'done' || restore.state === 'cancelled' ? 'RESTORE_FINISHED' : code,
      );
    }
    await d.audit.append({
      actor,
      action,
      target: `restore:${id}`,
      details: { restoreId: id, reason: reason ?? pauseReason, released: restore.released },
      result: to,
    });
    const next = { ...restore, state: to, pauseReason, updatedAt: d.clock() };
    if (!(await d.store.updateRestore(next, from))) throw new LifelineError(code);
    if (to === 'paused') d.events.emit('restore.paused', { restoreId: id, reason: pauseReason ?? '' });
    return next;
  }

  /** One loop per restore on this node: pace, check health, release, finish. */
  #background(id: string): void {
    void this.#run(id).catch((err: unknown) =>
      this.#d.logger.error(
        { err, restoreId: id },
        'restore run did not start; a later presence round retries',
      ),
    );
  }

  /** Runs a restore's loop here, unless it already runs here or another live node runs it. */
  async #run(id: string): Promise<boolean> {
    if (this.#runs.has(id) || this.#stopped) return false;
    const d = this.#d;
    if (!(await d.live.adoptRun(id, d.nodeId, d.clock())).adopted) return false;
    if (this.#runs.has(id) || this.#stopped) return false;
    let stopped = false;
    let wake: (() => void) | undefined;
    const stop = () => {
      stopped = true;
      wake?.();
    };
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    const entry = {
      stop,
      pacer: createPacer({ mode: 'fixed', batchSize: 1, intervalMs: 1000 }, d.settings.tickMs),
      done: Promise.resolve(),
    };
    this.#runs.set(id, entry);
    entry.done = (async () => {
      let healthySince: number | null = null;
      let lastSweep = 0;
      let breachSince: number | null = null;
      const initial = await d.store.getRestore(id);
      if (!initial) return;
      entry.pacer = createPacer(initial.pacing, d.settings.tickMs);
      while (!stopped) {
        const restore = await d.store.getRestore(id);
        if (!restore || restore.state === 'done' || restore.state === 'cancelled') break;
        // A URL off the allow-list (a restore from before the list, or the list narrowed since)
        // is never fetched, and counts as unhealthy: the restore pauses rather than runs unguarded.
        const healthUrl = restore.thresholds.healthUrl;
        const fetchable = healthUrl !== undefined && healthUrlAllowed(healthUrl, d.settings.healthUrlHosts);
        const reading = await d.health.read(fetchable ? healthUrl : undefined);
        if (healthUrl !== undefined && !fetchable) reading.downstreamHealthy = false;
        const broken = breach(reading, restore.thresholds);
        if (restore.state === 'paused') {
          // Only a threshold's pause lifts itself; an operator's waits for an operator.
          if (restore.pauseReason?.startsWith('threshold') && broken === null) {
            healthySince ??= d.clock();
            if (d.clock() - healthySince >= d.settings.healthyHoldSeconds * 1000) {
              await this.#transition(
                id,
                ['paused'],
                'running',
                null,
                'system',
                'restore.resume',
                'RESTORE_NOT_PAUSED',
                'healthy again',
              );
              healthySince = null;
            }
          } else healthySince = null;
          await sleep(d.settings.tickMs);
          continue;
        }
        // Fixed pacing has no other defence, so it pauses at the first breach. An adaptive run
        // answers a breach by braking, and pauses if readings still break a threshold a second
        // later (the next reading, at the default tick): the first reading over is usually its
        // own overshoot, already being corrected, and a one-second health window stays over for
        // up to a second after the overload is gone.
        const firstBreach = broken !== null && breachSince === null;
        if (broken === null) breachSince = null;
        else breachSince ??= d.clock();
        const adaptive = restore.pacing.mode === 'adaptive';
        if (broken !== null && (!adaptive || d.clock() - (breachSince as number) >= knee.pauseAfterMs)) {
          entry.pacer.brake();
          await this.#transition(
            id,
            ['running'],
            'paused',
            `threshold: ${broken}`,
            'system',
            'restore.pause',
            'RESTORE_NOT_RUNNING',
          );
          breachSince = null;
          continue;
        }
        if (firstBreach) entry.pacer.brake();
        else if (broken === null) entry.pacer.observe(load(reading, restore.thresholds));
        d.events.emit('restore.rate', { restoreId: id, perSecond: entry.pacer.rate() });
        const now = d.clock();
        // Lapsed tickets are swept about once a second, not every tick: a sweep walks the index.
        if (now - lastSweep >= 1000) {
          await d.store.expireTickets(now);
          lastSweep = now;
        }
        const asked = entry.pacer.batch();
        const released = await d.store.releaseBatch(id, asked, now, now + d.settings.ticketTtlSeconds * 1000);
        if (released.length > 0) {
          d.events.emit('restore.released', {
            restoreId: id,
            count: released.length,
            disruptionIds: released.map((r) => r.id),
          });
          await this.#refuseBanned(released, now);
        }
        // Only once the pending ones run out can the restore be finishing; until then, skip the count.
        const counts = released.length < asked || asked === 0 ? await d.store.restoreCounts(id) : null;
        if (counts && counts.pending === 0 && counts.ticketed === 0) {
          await d.audit.append({
            actor: 'system',
            action: 'restore.done',
            target: `restore:${id}`,
            details: { restoreId: id, ...counts },
            result: 'done',
          });
          await d.store.updateRestore({ ...restore, state: 'done', updatedAt: d.clock() }, ['running']);
          break;
        }
        await sleep(entry.pacer.intervalMs());
      }
    })()
      .catch((err: unknown) =>
        d.logger.error({ err, restoreId: id }, 'restore run failed; it resumes on a later presence round'),
      )
      .finally(() => {
        this.#runs.delete(id);
        void d.live.releaseRun(id, d.nodeId).catch(() => {});
      });
    return true;
  }

  /** The players among `playerIds` who are banned now, asked in chunks of BAN_CHUNK. */
  async #bannedAmong(playerIds: readonly string[]): Promise<Set<string>> {
    const unique = [...new Set(playerIds)];
    const banned = new Set<string>();
    for (let i = 0; i < unique.length; i += BAN_CHUNK) {
      const chunk = unique.slice(i, i + BAN_CHUNK);
      for (const b of await this.#d.store.listBans({ playerIds: chunk, limit: chunk.length }))
        banned.add(b.playerId);
    }
    return banned;
  }

  /**
   * Settles the just-ticketed records of banned players as `refused` (`banned`) at once, so they
   * need no rejoin to reach a final outcome and never hold a ticket that could let them in. A
   * ban placed after this point is caught when the record is redeemed.
   */
  async #refuseBanned(released: readonly Disruption[], now: number): Promise<void> {
    const banned = await this.#bannedAmong(released.map((r) => r.playerId));
    if (banned.size === 0) return;
    for (const r of released) {
      if (!banned.has(r.playerId)) continue;
      await this.#d.store.settleDisruption(r.id, ['ticketed'], {
        outcome: 'refused',
        reason: 'banned',
        at: now,
      });
    }
  }

  async #checkSource(source: RestoreSource): Promise<void> {
    const byCommand = source.commandId !== undefined;
    const byWindow = source.from !== undefined && source.to !== undefined;
    if (byCommand === byWindow || (byCommand && source.selector !== undefined))
      throw new LifelineError('RESTORE_SOURCE_INVALID');
    if (byWindow && (source.from as number) > (source.to as number)) {
      throw new LifelineError('RESTORE_SOURCE_INVALID', '"from" is after "to"');
    }
    if (byCommand) {
      const command = await this.#d.store.getCommand(source.commandId as string);
      if (!command) throw new LifelineError('COMMAND_NOT_FOUND', `No command ${source.commandId}`);
      if (
        command.state === 'awaiting-approval' ||
        command.state === 'running' ||
        command.state === 'planned'
      ) {
        throw new LifelineError('COMMAND_STILL_RUNNING');
      }
    }
  }
}

/**
 * The load the adaptive pacer steers by: the highest configured signal as a share of its
 * threshold (0.5 is half the limit), and 1, at the limit, when the health URL says unhealthy.
 */
function load(r: HealthReading, t: Thresholds): number {
  const share = (value: number, limit: number | undefined) =>
    limit === undefined || limit <= 0 ? 0 : value / limit;
  return Math.max(
    share(r.cpuPercent, t.cpuPercent),
    share(r.connections, t.connections),
    share(r.errorRate, t.errorRate),
    share(r.p99LatencyMs, t.p99LatencyMs),
    share(r.eventLoopDelayMs, t.eventLoopDelayMs),
    share(r.downstreamP99Ms, t.downstreamP99Ms),
    r.downstreamHealthy === false ? 1 : 0,
  );
}

function querySource(s: RestoreSource) {
  return {
    commandId: s.commandId,
    from: s.from,
    to: s.to,
    region: s.selector?.region,
    shard: s.selector?.shard,
    zone: s.selector?.zone,
  };
}
