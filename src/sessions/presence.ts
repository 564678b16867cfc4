import type { NodePresence } from '../live/index.ts';
import type { Logger } from 'pino';
import type { AuditLog } from '../audit/index.ts';
import type { EventStream } from '../events/index.ts';
import type { SessionService } from './service.ts';

export interface PresenceDeps {
  live: NodePresence;
  sessions: SessionService;
  audit: AuditLog;
  events: EventStream;
  logger: Logger;
  nodeId: string;
  clock: () => number;
  /** A node silent this long is lost. */
  ttlMs: number;
  /**
   * session.heartbeatTimeoutSeconds in ms: a lost node's session not seen for this long before
   * the node could have died had no player connected to it.
   */
  heartbeatTimeoutMs: number;
}

/** Sessions ended per store write while sweeping a lost node. */
const SWEEP_BATCH = 1000;

/**
 * Presence: this node says it is alive every third of the TTL, and looks for nodes that stopped.
 * A node that died took its sockets with it; the sessions it held would otherwise sit in live
 * state until the idle reaper dropped them without a trace. Instead the first survivor to notice
 * takes them out of live state and records the connected ones as `node-loss` disruptions (each
 * exactly once, whichever survivors race). Their grants stay: the players come back to the same
 * sessions through the nodes that remain, and each record settles as its session is revived.
 */
export class Presence {
  readonly #d: PresenceDeps;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();
  readonly #rounds: (() => Promise<unknown>)[] = [];
  readonly #lapses: (() => Promise<unknown>)[] = [];
  /** Since when this node's presence has been current without a break. */
  #presentSince = 0;

  constructor(deps: PresenceDeps) {
    this.#d = deps;
  }

  /** Announces this node; throws if live state cannot be reached (a node must not start blind). */
  async start(): Promise<void> {
    await this.#d.live.announceNode(this.#d.nodeId, this.#d.ttlMs, this.#d.clock());
    this.#presentSince = this.#d.clock();
    this.#timer = setInterval(
      () => {
        this.#running = this.#running.then(() => this.tick());
      },
      Math.max(500, Math.floor(this.#d.ttlMs / 3)),
    );
    this.#timer.unref();
  }

  /**
   * Work to do after each round: adopting the commands and restores a lost node was running
   * (the services find them; presence says when to look).
   */
  onRound(work: () => Promise<unknown>): void {
    this.#rounds.push(work);
  }

  /**
   * Work for when this node's own presence is found to have lapsed (a long pause, a partition):
   * meanwhile another node may have taken it for lost and ended its sessions, so the sockets it
   * still holds must be checked against live state.
   */
  onLapse(work: () => Promise<unknown>): void {
    this.#lapses.push(work);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  /**
   * One round: renew this node's presence; then, once present a whole TTL, end the sessions of
   * lost nodes and do the round's work (adopting their runs). Never throws.
   */
  async tick(): Promise<void> {
    const d = this.#d;
    try {
      if (!(await d.live.announceNode(d.nodeId, d.ttlMs, d.clock()))) {
        this.#presentSince = d.clock();
        d.logger.warn("this node's presence had lapsed; checking the sockets it holds");
        for (const work of this.#lapses) await work();
      }
      // After a lapse of its own (Redis away longer than the TTL, say) every node's presence may
      // have lapsed together: sweeping before the others had a round to renew theirs would end
      // the sessions of nodes that are alive. So a node sweeps only once it has been present for
      // a whole TTL itself.
      // The same holds for adopting the runs of nodes that look lost.
      if (d.clock() - this.#presentSince < d.ttlMs) return;
      for (const node of await d.live.lostNodes(d.clock())) {
        if (node !== d.nodeId) await this.#sweep(node);
      }
    } catch (err) {
      // Live state or the store is away: the next round tries again (an outage is not a loss).
      d.logger.warn({ err }, 'presence round failed; retrying next round');
      return;
    }
    for (const work of this.#rounds) {
      try {
        await work();
      } catch (err) {
        d.logger.warn({ err }, 'adopting the runs of lost nodes failed; retrying next round');
      }
    }
  }

  async #sweep(node: string): Promise<void> {
    const d = this.#d;
    // The node died at most two TTLs ago (its last renewal lapsed one TTL after it, and this
    // round may come up to a TTL late); a connected client is seen within a heartbeat timeout.
    const connectedSince = d.clock() - 2 * d.ttlMs - d.heartbeatTimeoutMs;
    let total = 0;
    for (;;) {
      const n = await d.sessions.disruptNode(node, SWEEP_BATCH, connectedSince);
      if (n === 0) break;
      total += n;
    }
    if (total === 0) return;
    d.logger.warn({ lostNode: node, sessions: total }, 'node lost: its sessions are node-loss disruptions');
    d.events.emit('node.lost', { node, sessions: total });
    await d.audit.append({
      actor: `node:${d.nodeId}`,
      action: 'node.lost',
      target: `node:${node}`,
      details: { node, sessions: total, foundBy: d.nodeId },
      result: 'done',
    });
  }
}
