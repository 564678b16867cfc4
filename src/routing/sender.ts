/**
 * The sender of one destination's outbox. Only the node holding the destination's run lease
 * (`outbox:<name>` in live state's RunLeases) sends, so with several nodes each destination has one
 * sender at a time and its limits hold globally; a lost node's lease passes to a survivor once
 * its presence lapses. Messages go oldest first, at most at the destination's published rate
 * (token bucket); a 429 pauses the whole destination for the time it asked; a transient failure
 * backs the message off (exponential, jittered) and pauses the destination as long, so one that
 * is down is not hammered and order holds; a refusal (4xx) marks the message dead. Every outcome is written to the
 * store before the next message goes, so a restart resumes where this left off (at least once).
 */
import type { Logger } from 'pino';
import type { DestinationConfig } from '../config/index.ts';
import type { EventStream } from '../events/index.ts';
import type { RunLeases } from '../live/index.ts';
import type { OutboxRecords } from '../store/index.ts';
import { deliver, type Outcome } from './deliver.ts';
import { backoffMs, publishedLimits, TokenBucket } from './pace.ts';
import type { OutboxMessage } from './records.ts';

export interface SenderDeps {
  destination: DestinationConfig;
  store: OutboxRecords;
  leases: RunLeases;
  nodeId: string;
  clock: () => number;
  logger: Logger;
  /** Where each attempt's outcome is told (metrics listen). */
  events?: EventStream;
  timeoutMs: number;
  maxBackoffMs: number;
  random: () => number;
}

/** What one round did, for tests and logs. */
export interface RoundResult {
  sent: number;
  failed: number;
  /** Why the round stopped early, if it did. */
  stopped?: 'not-runner' | 'paused' | 'rate' | 'throttled' | 'transient';
}

const BATCH = 20;

export class DestinationSender {
  readonly #d: SenderDeps;
  readonly #bucket: TokenBucket;
  #pausedUntil = 0;
  #leased = false;

  constructor(deps: SenderDeps) {
    this.#d = deps;
    const limit = publishedLimits[deps.destination.kind];
    this.#bucket = new TokenBucket(
      deps.destination.perMinute ?? limit.perMinute,
      deps.destination.burst ?? limit.burst,
      deps.clock(),
    );
  }

  get name(): string {
    return this.#d.destination.name;
  }

  /** Until when a 429 paused this destination (ms), or 0. */
  get pausedUntil(): number {
    return this.#pausedUntil;
  }

  async round(): Promise<RoundResult> {
    const d = this.#d;
    const now = d.clock();
    if (now < this.#pausedUntil) return { sent: 0, failed: 0, stopped: 'paused' };
    const lease = await d.leases.adoptRun(`outbox:${this.name}`, d.nodeId, now);
    this.#leased = lease.adopted;
    if (!lease.adopted) return { sent: 0, failed: 0, stopped: 'not-runner' };
    const result: RoundResult = { sent: 0, failed: 0 };
    for (const m of await d.store.dueOutbox(this.name, now, BATCH)) {
      if (this.#bucket.take(d.clock()) > 0) return { ...result, stopped: 'rate' };
      const outcome = await deliver(d.destination, m.payload, d.clock(), d.timeoutMs);
      d.events?.emit('notification.delivery', { destination: this.name, outcome: outcome.kind });
      const stop = await this.#settle(m, outcome);
      if (outcome.kind === 'delivered') result.sent += 1;
      else result.failed += 1;
      if (stop !== undefined) return { ...result, stopped: stop };
    }
    return result;
  }

  /** Records the outcome; says why the round must stop, if it must. */
  async #settle(m: OutboxMessage, o: Outcome): Promise<RoundResult['stopped']> {
    const d = this.#d;
    const now = d.clock();
    const log = { destination: this.name, message: m.id, attempts: m.attempts + 1 };
    switch (o.kind) {
      case 'delivered':
        await d.store.markOutboxSent(m.id, m.version, now);
        return undefined;
      case 'throttled': {
        // Without a stated wait, back off as for any failure (never retry at once).
        const wait = o.retryAfterMs ?? backoffMs(m.attempts + 1, d.maxBackoffMs, d.random);
        this.#pausedUntil = now + wait;
        await d.store.retryOutbox(m.id, m.version, now + wait, o.error);
        d.logger.warn({ ...log, retryAfterMs: wait }, 'a notification destination asked to slow down (429)');
        return 'throttled';
      }
      case 'transient': {
        const wait = backoffMs(m.attempts + 1, d.maxBackoffMs, d.random);
        // The destination waits with it: a receiver that is down is not hammered, and the
        // message keeps its place ahead of newer ones.
        this.#pausedUntil = now + wait;
        await d.store.retryOutbox(m.id, m.version, now + wait, o.error);
        d.logger.warn(
          { ...log, error: o.error, retryInMs: wait },
          'could not deliver a notification; will retry',
        );
        return 'transient';
      }
      case 'refused':
        await d.store.markOutboxDead(m.id, m.version, now, o.error);
        d.logger.error(
          { ...log, error: o.error },
          'a notification destination refused a message; it is dropped',
        );
        return undefined;
    }
  }

  /** Gives the lease up (at close), so another node takes the destination at once. */
  async release(): Promise<void> {
    if (this.#leased) await this.#d.leases.releaseRun(`outbox:${this.name}`, this.#d.nodeId);
    this.#leased = false;
  }
}
