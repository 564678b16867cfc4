/**
 * Routing: signals to people. It listens to `signal.changed`, lets the notification policy decide
 * what is worth telling and when (grouping, repeat, quiet period), renders each destination's
 * payload, and writes it to the outbox before anything is sent; the senders then deliver it. One
 * `pump` does a whole turn (policy, then every destination's sender) and runs one at a time; a
 * timer calls it every `routing.tickMs`, and tests call it on a virtual clock.
 */
import type { Logger } from 'pino';
import type { RoutingConfig } from '../config/index.ts';
import type { EventStream } from '../events/index.ts';
import { uuid7 } from '../ids/index.ts';
import type { RunLeases } from '../live/index.ts';
import type { OutboxRecords } from '../store/index.ts';
import { discordMessage, pagerDutyEvent, slackMessage, webhookDocument } from './payloads.ts';
import { atLeast, type Notification, NotificationPolicy } from './policy.ts';
import type { OutboxMessage } from './records.ts';
import { DestinationSender, type RoundResult } from './sender.ts';

export interface RoutingDeps {
  config: RoutingConfig;
  store: OutboxRecords;
  leases: RunLeases;
  events: EventStream;
  nodeId: string;
  clock: () => number;
  logger: Logger;
  /** @defaultValue Math.random */
  random?: () => number;
}

/** The most notifications kept in memory while the store refuses them. */
const MAX_UNSTORED = 1000;

/** How often sent and dead messages past their retention are purged. */
const PURGE_EVERY_MS = 60_000;

export class Routing {
  readonly #d: RoutingDeps;
  readonly #policy: NotificationPolicy;
  readonly #senders: DestinationSender[];
  #turn: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;
  #purgedAt = 0;
  /** Notifications the policy let out that the store has not taken yet. */
  readonly #unstored: Notification[] = [];

  constructor(deps: RoutingDeps) {
    this.#d = deps;
    const c = deps.config;
    this.#policy = new NotificationPolicy({
      groupWaitMs: c.groupWaitSeconds * 1000,
      groupIntervalMs: c.groupIntervalSeconds * 1000,
      repeatIntervalMs: c.repeatIntervalSeconds * 1000,
      quietMs: c.quietSeconds * 1000,
    });
    this.#senders = c.destinations.map(
      (destination) =>
        new DestinationSender({
          destination,
          store: deps.store,
          leases: deps.leases,
          nodeId: deps.nodeId,
          clock: deps.clock,
          logger: deps.logger,
          events: deps.events,
          timeoutMs: c.timeoutMs,
          maxBackoffMs: c.maxBackoffSeconds * 1000,
          random: deps.random ?? Math.random,
        }),
    );
  }

  /** Alerts held by the policy (firing, or resolved and quiet). */
  get held(): number {
    return this.#policy.size;
  }

  /** Listens to signals and starts the timer; nothing is sent before the first turn. */
  start(): void {
    // With nowhere to send, nothing is held either.
    if (this.#senders.length === 0) return;
    this.#unsubscribe = this.#d.events.on('signal.changed', ({ signal, change }) => {
      if (!this.#policy.observe(signal, change, this.#d.clock()))
        this.#d.logger.error(
          { detector: signal.detector, held: this.#policy.size },
          'routing holds as many alerts as it may; a new signal is not routed',
        );
    });
    this.#timer = setInterval(() => void this.pump().catch(() => {}), this.#d.config.tickMs);
    this.#timer.unref();
  }

  /** Stops listening and sending; what is in the outbox stays there for the next start. */
  async stop(): Promise<void> {
    this.#unsubscribe?.();
    clearInterval(this.#timer);
    await this.#turn.catch(() => {});
    await Promise.allSettled(this.#senders.map((s) => s.release()));
  }

  /**
   * One turn: the policy's due notifications into the outbox, then one round of each sender.
   * Turns never overlap; a call during one runs after it. Resolves to each destination's round.
   */
  pump(): Promise<Record<string, RoundResult>> {
    const next = this.#turn.then(
      () => this.#pumpOnce(),
      () => this.#pumpOnce(),
    );
    this.#turn = next.catch(() => {});
    return next;
  }

  async #pumpOnce(): Promise<Record<string, RoundResult>> {
    const now = this.#d.clock();
    await this.#store([...this.#unstored.splice(0), ...this.#policy.due(now)]);
    const rounds: Record<string, RoundResult> = {};
    for (const s of this.#senders) {
      rounds[s.name] = await s.round().catch((err: unknown) => {
        this.#d.logger.warn({ err, destination: s.name }, 'a notification round failed; will try again');
        return { sent: 0, failed: 0 };
      });
    }
    if (now - this.#purgedAt >= PURGE_EVERY_MS) {
      this.#purgedAt = now;
      await this.#d.store.purgeOutbox(now - this.#d.config.retentionSeconds * 1000, 1000).catch(() => 0);
    }
    return rounds;
  }

  /**
   * Stores the notifications; one the store refused waits for the next turn (storing again is
   * harmless: the same destination and dedup key replace a pending message).
   */
  async #store(notifications: Notification[]): Promise<void> {
    for (const n of notifications) {
      try {
        await this.#enqueue(n);
      } catch (err) {
        this.#unstored.push(n);
        this.#d.logger.warn({ err, group: n.group }, 'could not store a notification; will try again');
      }
    }
    const over = this.#unstored.length - MAX_UNSTORED;
    if (over > 0) {
      this.#unstored.splice(0, over);
      this.#d.logger.error(
        { dropped: over },
        'the store refused notifications for too long; the oldest are dropped',
      );
    }
  }

  /** Renders one notification for each destination that wants it and stores the messages. */
  async #enqueue(n: Notification): Promise<void> {
    for (const dest of this.#d.config.destinations) {
      const min = dest.minSeverity ?? 'P3';
      const notes = n.notes.filter((x) => atLeast(x.action === 'resolve' ? x.peak : x.signal.severity, min));
      if (notes.length === 0) continue;
      if (dest.kind === 'pagerduty') {
        for (const note of notes)
          await this.#message(
            dest.name,
            note.signal.fingerprint,
            pagerDutyEvent(note, `lifeline/${this.#d.nodeId}`),
          );
        continue;
      }
      const mine = { ...n, notes };
      const payload =
        dest.kind === 'discord'
          ? discordMessage(mine)
          : dest.kind === 'slack'
            ? slackMessage(mine)
            : webhookDocument(mine);
      // Chat and webhook messages each carry one turn of a group: they are never merged.
      await this.#message(dest.name, `${n.group}@${n.at}`, payload);
    }
  }

  async #message(destination: string, dedupKey: string, payload: unknown): Promise<void> {
    const now = this.#d.clock();
    const message: OutboxMessage = {
      id: uuid7(now),
      destination,
      dedupKey,
      payload,
      createdAt: now,
      version: 1,
      attempts: 0,
      nextAttemptAt: now,
      lastError: null,
      sentAt: null,
      deadAt: null,
    };
    await this.#d.store.enqueueOutbox(message);
  }
}
