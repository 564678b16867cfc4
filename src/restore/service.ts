import { policyFor } from '../commands/index.ts';
import { LifelineError } from '../errors/index.ts';
import { may } from '../operators/index.ts';
import type { Operator } from '../operators/records.ts';
import {
  checkPacing,
  type Pacing,
  type RestoreQuery,
  type RestoreRecord,
  type RestoreSource,
  type Thresholds,
} from './records.ts';
import { uuid7 } from '../ids/index.ts';
import { healthUrlAllowed } from './health.ts';
import { createPacer, type Pacer } from './pacer.ts';
import { planRestore, unfinished } from './plan.ts';
import { Rejoins } from './rejoin.ts';
import { RestoreRun } from './run.ts';
import { restoreView, type Transition, transition } from './transition.ts';
import type {
  RejoinAnswer,
  RestorePlan,
  RestorePreview,
  RestoreServiceDeps,
  RestoreStatus,
  RestoreView,
} from './types.ts';

export type {
  RejoinAnswer,
  RestorePlan,
  RestorePreview,
  RestoreServiceDeps,
  RestoreSettings,
  RestoreStatus,
} from './types.ts';

export interface RestoreRequest {
  source: RestoreSource;
  pacing: Pacing;
  thresholds?: Thresholds;
  totp?: string;
}

/**
 * Brings disrupted players back. A restore owns a set of disruption records and releases them
 * in paced batches as rejoin tickets (`RestoreRun`); a kicked client redeems its ticket with its
 * resume token (`Rejoins`) and gets a new session in the same place. Every record ends restored,
 * expired or refused, and the tickets themselves are the checkpoint: a restart resumes where the
 * last batch left off.
 */
export class RestoreService {
  readonly #d: RestoreServiceDeps;
  readonly #runs = new Map<string, RestoreRun>();
  readonly #rejoins: Rejoins;
  #stopped = false;

  constructor(deps: RestoreServiceDeps) {
    this.#d = deps;
    this.#rejoins = new Rejoins(deps, (r) => this.#pacerOf(r));
  }

  plan(source: RestoreSource): Promise<RestorePlan> {
    return planRestore(this.#d.store, source, this.#d.clock());
  }

  /**
   * A start tried as a dry run: the plan, and the guard the real start would meet (which role and
   * permission, whether TOTP, whether this operator holds them), and the refusal it would get
   * from the records' state, if any. Changes nothing and is not audited, like a plan.
   */
  async preview(source: RestoreSource, operator: Operator, thresholds?: Thresholds): Promise<RestorePreview> {
    this.#checkHealthUrl(thresholds?.healthUrl);
    const plan = await this.plan(source);
    const policy = policyFor(plan.restorable, false, this.#d.policy);
    const permission = policy.role === 'admin' ? 'restores.start.bulk' : 'restores.start';
    const refusal = plan.overlapping > 0 ? 'RESTORE_OVERLAP' : plan.restorable === 0 ? 'RESTORE_EMPTY' : null;
    return {
      plan,
      guard: {
        restorable: plan.restorable,
        tier: policy.tier,
        role: policy.role,
        permission,
        totpRequired: policy.totp,
        secondApprover: false,
        caller: {
          name: operator.name,
          role: operator.role,
          allowed: may(operator.role, permission),
          totpEnrolled: operator.totpSecret !== null,
        },
        refusal,
      },
    };
  }

  /** Starts a restore: guarded by size like a kick (role, TOTP), audited before it takes effect. */
  async start(req: RestoreRequest, operator: Operator): Promise<RestoreStatus> {
    const d = this.#d;
    this.#checkHealthUrl(req.thresholds?.healthUrl);
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
    const restore = this.#newRestore(req, operator);
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
    d.events.emit('restore.changed', {
      restoreId: restore.id,
      from: null,
      state: 'running',
      by: operator.name,
      reason: null,
      released: 0,
      total: created.total,
    });
    this.#background(restore.id);
    return this.status(restore.id);
  }

  #checkHealthUrl(healthUrl: string | undefined): void {
    const hosts = this.#d.settings.healthUrlHosts;
    if (healthUrl === undefined || healthUrlAllowed(healthUrl, hosts)) return;
    throw new LifelineError(
      'RESTORE_HEALTH_URL_FORBIDDEN',
      `thresholds.healthUrl must be http(s) on a host in restore.healthUrlHosts (${hosts.join(', ')})`,
      { details: { field: 'thresholds.healthUrl', allowed: [...hosts] } },
    );
  }

  #newRestore(req: RestoreRequest, operator: Operator): RestoreRecord {
    const now = this.#d.clock();
    return {
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
      pauseCode: null,
      pauseNote: null,
    };
  }

  /** A page of restores, newest first, without their counts (`status` has those). */
  async list(query: RestoreQuery): Promise<RestoreView[]> {
    return (await this.#d.store.pageRestores(query)).map(restoreView);
  }

  async status(id: string): Promise<RestoreStatus> {
    const restore = await this.#d.store.getRestore(id);
    if (!restore) throw new LifelineError('RESTORE_NOT_FOUND', `No restore ${id}`);
    const counts = await this.#d.store.restoreCounts(id);
    const rate = this.#pacerOf(restore).rate();
    return {
      restore: restoreView(restore),
      counts,
      open: counts.pending + counts.ticketed,
      ratePerSecond: rate,
      etaSeconds: restore.state === 'running' && rate > 0 ? Math.ceil(counts.pending / rate) : null,
    };
  }

  async pause(id: string, operator: Operator, reason: string): Promise<RestoreStatus> {
    await this.#change(id, operator, {
      from: ['running'],
      to: 'paused',
      pause: { code: 'operator', note: `operator ${operator.name}: ${reason}` },
      action: 'restore.pause',
      refusal: 'RESTORE_NOT_RUNNING',
    });
    return this.status(id);
  }

  async resume(id: string, operator: Operator, reason: string): Promise<RestoreStatus> {
    await this.#change(id, operator, {
      from: ['paused'],
      to: 'running',
      pause: null,
      action: 'restore.resume',
      refusal: 'RESTORE_NOT_PAUSED',
      reason,
    });
    this.#background(id);
    return this.status(id);
  }

  /**
   * Changes a running or paused restore's pacing without restarting it: audited before it takes
   * effect, stored (a restart resumes at the new pace), followed from the next batch on (at once
   * on this node; on the node running it, at its next tick).
   */
  async pace(id: string, pacing: Pacing, operator: Operator, reason: string): Promise<RestoreStatus> {
    const d = this.#d;
    checkPacing(pacing);
    const restore = await d.store.getRestore(id);
    if (!restore) throw new LifelineError('RESTORE_NOT_FOUND', `No restore ${id}`);
    if (restore.state === 'done' || restore.state === 'cancelled')
      throw new LifelineError('RESTORE_FINISHED');
    await d.audit.append({
      actor: operator.name,
      action: 'restore.pace',
      target: `restore:${id}`,
      details: { restoreId: id, from: restore.pacing, to: pacing, reason, released: restore.released },
      result: restore.state,
    });
    if (!(await d.store.repaceRestore(id, pacing, d.clock()))) throw new LifelineError('RESTORE_FINISHED');
    this.#runs.get(id)?.repace(pacing);
    d.events.emit('restore.paced', {
      restoreId: id,
      from: restore.pacing,
      to: pacing,
      by: operator.name,
      reason,
    });
    return this.status(id);
  }

  /** Stops releasing; tickets already out stay valid until their TTL. */
  async cancel(id: string, operator: Operator, reason: string): Promise<RestoreStatus> {
    await this.#change(id, operator, {
      from: ['running', 'paused'],
      to: 'cancelled',
      pause: { code: 'cancelled', note: reason },
      action: 'restore.cancel',
      refusal: 'RESTORE_FINISHED',
    });
    this.#runs.get(id)?.stop();
    return this.status(id);
  }

  #change(id: string, operator: Operator, t: Omit<Transition, 'actor'>): Promise<RestoreRecord> {
    return transition(this.#d, id, { ...t, actor: operator.name });
  }

  /**
   * Resumes restores left unfinished by a node that stopped: this one before a restart, or
   * another that died. Each run adopts its restore first, so a restore another live node runs
   * is left to it, and no restore is ever run by two nodes at once.
   */
  async recover(): Promise<number> {
    const active = await this.#d.store.listRestores([...unfinished]);
    const resumed = await Promise.all(active.map((r) => this.#run(r.id)));
    return resumed.filter(Boolean).length;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const run of this.#runs.values()) run.stop();
    await Promise.allSettled([...this.#runs.values()].map((r) => r.done));
  }

  /** See `Rejoins`: a kicked client redeems its resume token. */
  rejoin(resumeToken: string): Promise<RejoinAnswer> {
    return this.#rejoins.rejoin(resumeToken);
  }

  #pacerOf(restore: RestoreRecord): Pacer {
    return this.#runs.get(restore.id)?.pacer ?? createPacer(restore.pacing, this.#d.settings.tickMs);
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
    const run = new RestoreRun(d, id);
    this.#runs.set(id, run);
    run.start();
    run.done = run.done
      .catch((err: unknown) =>
        d.logger.error({ err, restoreId: id }, 'restore run failed; it resumes on a later presence round'),
      )
      .finally(() => {
        this.#runs.delete(id);
        void d.live.releaseRun(id, d.nodeId).catch(() => {});
      });
    return true;
  }
}
