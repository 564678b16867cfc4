import type { Disruption } from '../disruptions/records.ts';
import type { Pacing, RestoreRecord, Thresholds } from './records.ts';
import { breach, type HealthReading, healthUrlAllowed } from './health.ts';
import { createPacer, knee, type Pacer } from './pacer.ts';
import { bannedAmong } from './plan.ts';
import { transition } from './transition.ts';
import type { RestoreServiceDeps } from './types.ts';

/**
 * One restore's loop on this node, a tick at a time: read health; while paused, wait (and lift a
 * threshold's pause once healthy for the hold); while running, brake or pause on a breach, then
 * release a paced batch of tickets, and finish once every record is settled. The tickets are the
 * checkpoint: a run started again (here after a restart, or on another node) resumes from them.
 */
export class RestoreRun {
  readonly #d: RestoreServiceDeps;
  readonly #id: string;
  pacer: Pacer;
  /** The pacing `pacer` follows: a stored one that differs (re-paced on another node) replaces it. */
  #pacing: Pacing;
  /** Settles once the loop has ended, however it ended (errors are the caller's to log). */
  done: Promise<void> = Promise.resolve();
  #stopped = false;
  #wake: (() => void) | undefined;
  #healthySince: number | null = null;
  #breachSince: number | null = null;
  #lastSweep = 0;
  #saidSettling = false;

  constructor(d: RestoreServiceDeps, id: string) {
    this.#d = d;
    this.#id = id;
    this.#pacing = { mode: 'fixed', batchSize: 1, intervalMs: 1000 };
    this.pacer = createPacer(this.#pacing, d.settings.tickMs);
  }

  /**
   * Follows a new pacing from the next batch on, waking the loop from its sleep so a long fixed
   * interval does not delay it.
   */
  repace(pacing: Pacing): void {
    if (samePacing(pacing, this.#pacing)) return;
    this.pacer = createPacer(pacing, this.#d.settings.tickMs, this.pacer.rate());
    this.#pacing = pacing;
    this.#wake?.();
  }

  /** Starts the loop; `done` settles when it ends. */
  start(): void {
    this.done = this.#loop();
  }

  /** Ends the loop at its next step, waking it from a sleep. */
  stop(): void {
    this.#stopped = true;
    this.#wake?.();
  }

  async #loop(): Promise<void> {
    const d = this.#d;
    const initial = await d.store.getRestore(this.#id);
    if (!initial) return;
    this.#pacing = initial.pacing;
    this.pacer = createPacer(initial.pacing, d.settings.tickMs);
    while (!this.#stopped) {
      const restore = await d.store.getRestore(this.#id);
      if (!restore || restore.state === 'done' || restore.state === 'cancelled') return;
      this.repace(restore.pacing);
      const reading = await this.#read(restore);
      if (this.#settling()) {
        await this.#sleep(d.settings.tickMs);
        continue;
      }
      const broken = breach(reading, restore.thresholds);
      if (restore.state === 'paused') {
        await this.#whilePaused(restore, broken);
        await this.#sleep(d.settings.tickMs);
        continue;
      }
      if (await this.#pauseOnBreach(restore, broken)) continue;
      if (broken === null) this.pacer.observe(load(reading, restore.thresholds));
      d.events.emit('restore.rate', { restoreId: this.#id, perSecond: this.pacer.rate() });
      if (await this.#release(restore)) return;
      await this.#sleep(this.pacer.intervalMs());
    }
  }

  /**
   * True while the node is inside its start-up grace: the reading is taken (so the first one
   * judged covers one tick after the grace, not the start-up) but not judged, and nothing is
   * released. Waiting is safe both ways: a spike of the node's own start-up pauses nothing, and a
   * real overload is not fed while it cannot be told apart.
   */
  #settling(): boolean {
    const d = this.#d;
    const settling = d.clock() - d.startedAt < d.settings.startupGraceSeconds * 1000;
    if (settling && !this.#saidSettling) {
      this.#saidSettling = true;
      d.logger.info(
        { restoreId: this.#id, startupGraceSeconds: d.settings.startupGraceSeconds },
        'restore waits out the node start-up before it judges health',
      );
    }
    return settling;
  }

  /**
   * This tick's health. A URL off the allow-list (a restore from before the list, or the list
   * narrowed since) is never fetched, and counts as unhealthy: the restore pauses rather than
   * runs unguarded.
   */
  async #read(restore: RestoreRecord): Promise<HealthReading> {
    const d = this.#d;
    const healthUrl = restore.thresholds.healthUrl;
    const fetchable = healthUrl !== undefined && healthUrlAllowed(healthUrl, d.settings.healthUrlHosts);
    const reading = await d.health.read(fetchable ? healthUrl : undefined);
    if (healthUrl !== undefined && !fetchable) reading.downstreamHealthy = false;
    return reading;
  }

  /** Only a threshold's pause lifts itself, once healthy for the hold; an operator's waits for an operator. */
  async #whilePaused(restore: RestoreRecord, broken: string | null): Promise<void> {
    const d = this.#d;
    if (restore.pauseCode !== 'threshold' || broken !== null) {
      this.#healthySince = null;
      return;
    }
    this.#healthySince ??= d.clock();
    if (d.clock() - this.#healthySince < d.settings.healthyHoldSeconds * 1000) return;
    await transition(d, this.#id, {
      from: ['paused'],
      to: 'running',
      pause: null,
      actor: 'system',
      action: 'restore.resume',
      refusal: 'RESTORE_NOT_PAUSED',
      reason: 'healthy again',
    });
    this.#healthySince = null;
  }

  /**
   * Answers a breach; true when it paused the restore. Fixed pacing has no other defence, so it
   * pauses at the first breach. An adaptive run answers a breach by braking, and pauses if
   * readings still break a threshold a second later (the next reading, at the default tick): the
   * first reading over is usually its own overshoot, already being corrected, and a one-second
   * health window stays over for up to a second after the overload is gone.
   */
  async #pauseOnBreach(restore: RestoreRecord, broken: string | null): Promise<boolean> {
    const d = this.#d;
    const firstBreach = broken !== null && this.#breachSince === null;
    if (broken === null) this.#breachSince = null;
    else this.#breachSince ??= d.clock();
    const adaptive = restore.pacing.mode === 'adaptive';
    if (broken !== null && (!adaptive || d.clock() - (this.#breachSince as number) >= knee.pauseAfterMs)) {
      this.pacer.brake();
      await transition(d, this.#id, {
        from: ['running'],
        to: 'paused',
        pause: { code: 'threshold', note: `threshold: ${broken}` },
        actor: 'system',
        action: 'restore.pause',
        refusal: 'RESTORE_NOT_RUNNING',
      });
      this.#breachSince = null;
      return true;
    }
    if (firstBreach) this.pacer.brake();
    return false;
  }

  /** Releases this tick's batch; true once the restore is done (nothing pending or ticketed). */
  async #release(restore: RestoreRecord): Promise<boolean> {
    const d = this.#d;
    const now = d.clock();
    // Lapsed tickets are swept about once a second, not every tick: a sweep walks the index.
    if (now - this.#lastSweep >= 1000) {
      await d.store.expireTickets(now);
      this.#lastSweep = now;
    }
    const asked = this.pacer.batch();
    const released = await d.store.releaseBatch(
      this.#id,
      asked,
      now,
      now + d.settings.ticketTtlSeconds * 1000,
    );
    if (released.length > 0) {
      d.events.emit('restore.released', {
        restoreId: this.#id,
        count: released.length,
        disruptionIds: released.map((r) => r.id),
      });
      await this.#refuseBanned(released, now);
    }
    // Only once the pending ones run out can the restore be finishing; until then, skip the count.
    if (released.length === asked && asked > 0) return false;
    return this.#finishIfSettled(restore);
  }

  /** Marks the restore done, then audits it, once every record it owns is settled. */
  async #finishIfSettled(restore: RestoreRecord): Promise<boolean> {
    const d = this.#d;
    const counts = await d.store.restoreCounts(this.#id);
    if (counts.pending > 0 || counts.ticketed > 0) return false;
    const done = await d.store.updateRestore({ ...restore, state: 'done', updatedAt: d.clock() }, [
      'running',
    ]);
    // Lost to a pause or a cancel: the next tick sees the new state.
    if (!done) return false;
    await d.audit.append({
      actor: 'system',
      action: 'restore.done',
      target: `restore:${this.#id}`,
      details: { restoreId: this.#id, ...counts },
      result: 'done',
    });
    d.events.emit('restore.changed', {
      restoreId: this.#id,
      from: 'running',
      state: 'done',
      by: 'system',
      reason: null,
      released: restore.released,
      total: restore.total,
    });
    return true;
  }

  /**
   * Settles the just-ticketed records of banned players as `refused` (`banned`) at once, so they
   * need no rejoin to reach a final outcome and never hold a ticket that could let them in. A
   * ban placed after this point is caught when the record is redeemed.
   */
  async #refuseBanned(released: readonly Disruption[], now: number): Promise<void> {
    const banned = await bannedAmong(
      this.#d.store,
      released.map((r) => r.playerId),
      now,
    );
    for (const r of released) {
      if (!banned.has(r.playerId)) continue;
      await this.#d.store.settleDisruption(r.id, ['ticketed'], {
        outcome: 'refused',
        reason: 'banned',
        at: now,
      });
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
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

const samePacing = (a: Pacing, b: Pacing): boolean =>
  a.mode === 'fixed'
    ? b.mode === 'fixed' && a.batchSize === b.batchSize && a.intervalMs === b.intervalMs
    : b.mode === 'adaptive' && a.maxRate === b.maxRate;
