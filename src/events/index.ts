/**
 * The one internal stream of what happened. Metrics (and later detectors and incident
 * timelines) listen here instead of being called from every service.
 */
import { EventEmitter } from 'node:events';
import type { SignalChanged } from '../signals/records.ts';

export interface LifelineEvents {
  /**
   * One login's outcome, with where it came from and, when it failed, the error code: what the
   * detectors tally per cell (src/signals/detection.ts). Metrics count by outcome only.
   */
  login: [
    {
      outcome: 'ok' | 'rejected' | 'unavailable' | 'invalid' | 'closed' | 'banned';
      region?: string;
      shard?: string;
      clientVersion?: string;
      code?: string;
    },
  ];
  refresh: [{ outcome: 'ok' | 'grace' | 'reused' | 'invalid' }];
  'session.ended': [{ cause: string; count: number; source?: string }];
  'breaker.changed': [{ name: string; state: 'open' | 'closed' }];
  'command.changed': [{ id: string; state: string; ended: number }];
  /** A command asked for (kick or operator change), as stored: awaiting approval, or running. */
  'command.requested': [{ id: string; action: string; by: string; state: string; count: number }];
  /** One approval counted; `state` is `running` once enough approvals are in. */
  'command.approved': [{ id: string; by: string; approvals: number; needed: number; state: string }];
  /** One wave of a command written: sessions asked to end and ended. */
  'command.wave': [{ id: string; wave: number; asked: number; ended: number }];
  /** A restore started, paused, resumed, cancelled or finished (`by`: an operator, or `system`). */
  'restore.changed': [
    {
      restoreId: string;
      /** The state before, or null at its start. */
      from: string | null;
      state: string;
      by: string;
      reason: string | null;
      released: number;
      total: number;
    },
  ];
  /** A flag set by an operator (or switched back by an automatic rollback). */
  'flag.changed': [{ key: string; from: unknown; to: unknown; by: string; reason: string }];
  'restore.released': [{ restoreId: string; count: number; disruptionIds: readonly string[] }];
  'restore.paused': [{ restoreId: string; reason: string; by: 'threshold' | 'operator' }];
  'restore.rate': [{ restoreId: string; perSecond: number }];
  /** An operator changed a restore's pacing while it ran (or was paused). */
  'restore.paced': [{ restoreId: string; from: unknown; to: unknown; by: string; reason: string }];
  rejoin: [{ outcome: 'restored' | 'waiting' | 'refused' | 'invalid'; ms: number }];
  'entitlement.fallback': [{ outcome: 'last-known-good' | 'fail-open' | 'refused'; reason: string }];
  'entitlement.verified': [{ playerId: string; licence: string }];
  /** One tick of the paced re-verification: how many provisional players it calls upstream for. */
  'entitlement.reverifying': [{ count: number; breakerClosed: boolean }];
  'admission.queued': [{ queued: number }];
  'admission.limit': [{ limit: number; inFlight: number }];
  'node.lost': [{ node: string; sessions: number }];
  'socket.opened': [];
  'socket.closed': [{ code: number }];
  /** A node's hub sent a notice (a broadcast) to that many of its sockets. */
  'notice.sent': [{ noticeId: string; sockets: number }];
  /** Something a security review must see at once: a CLI break-glass write, a step-up lock. */
  'security.alert': [{ kind: string; actor: string; detail: string }];
  'player.limited': [{ route: string; by: 'ip' | 'player' }];
  'audit.regressed': [{ kind: 'regressed' | 'rewritten'; detail: string }];
  /** One DNS probe's result, each interval (src/probes/dns.ts): `probe` is `hostname:<name>` or `delegation:<zone>`. */
  'dependency.probed': [{ probe: string; ok: boolean; error: string | null }];
  /** An upstream hostname did not resolve when a call needed it (`dns.servers` set); `code` is the resolver's. */
  'dns.failed': [{ host: string; code: string }];

  /** One attempt to deliver an outbox message to a routing destination, and how it ended. */
  'notification.delivery': [
    { destination: string; outcome: 'delivered' | 'throttled' | 'transient' | 'refused' },
  ];
  /** A signal raised, updated (repeated while open) or resolved, as stored; routing listens here. */
  'signal.changed': [SignalChanged];
  /** A player report accepted by `POST /v1/reports` (counted by the player-reports detector). */
  'report.received': [{ category: string; region?: string; shard?: string }];
  /** An incident was declared (by hand or by a cause) or linked to a new cause. */
  /** A public update about an incident was stored and queued (src/comms). */
  'comms.told': [{ incidentId: string; updateId: string; kind: string }];
  /** Telling an incident's new state failed; the next change or a posted update tries again. */
  'comms.failed': [{ incidentId: string; err: unknown }];
  'incident.changed': [{ id: string; change: 'declared' | 'linked' | 'status'; status: string }];
}

export type EventName = keyof LifelineEvents;

/** A typed EventEmitter; listeners run synchronously, so they must be cheap. */
export class EventStream {
  readonly #emitter = new EventEmitter();

  emit<E extends EventName>(name: E, ...args: LifelineEvents[E]): void {
    this.#emitter.emit(name, ...args);
  }

  on<E extends EventName>(name: E, listener: (...args: LifelineEvents[E]) => void): () => void {
    this.#emitter.on(name, listener as (...a: unknown[]) => void);
    return () => this.#emitter.off(name, listener as (...a: unknown[]) => void);
  }
}
