/**
 * Live state on Redis: sessions, the kick window, rate buckets, presence, runs and admission
 * permits, shared by every node. Multi-key steps are Lua scripts (./scripts/*.lua); every `now`
 * is the caller's, as on the in-process adapter, so a virtual clock applies here too (and the
 * nodes' clocks must agree within a presence TTL, as they already must for the kick window).
 */
import { randomBytes } from 'node:crypto';
import type { AimdBounds, PermitOutcome } from '../../admission/aimd.ts';
import type {
  LiveSession,
  OpenedSession,
  SessionCap,
  SessionCounts,
  SessionFilter,
} from '../../sessions/records.ts';
import type { LiveState } from '../index.ts';
import type { Client } from './client.ts';
import { endNodeSessions, endSessions } from './ending.ts';
import { Keys } from './keys.ts';
import { countSessions, findSessions, idleSessions, load, pageSessions } from './reads.ts';
import type { SessionKey } from '../page.ts';
import { mapFailures } from './unavailable.ts';
import { Deadline } from './deadline.ts';

/**
 * A call fails once it has waited this long and Redis has not answered a PING for as long: about
 * five seconds for a Redis that hangs, as node-redis's own per-command timeout did.
 */
const COMMAND_DEADLINE_MS = 2500;
import { openSession, putSession } from './writes.ts';

/** Live state on Redis. Owns its command connection; close() quits it. */
export class RedisLiveState implements LiveState {
  readonly kind = 'redis';
  readonly #c: Client;
  readonly #k: Keys;
  /** Fails calls Redis leaves unanswered (the client has no per-command timeout: client.ts). */
  readonly deadline: Deadline;

  constructor(client: Client, prefix: string, answerWithinMs = COMMAND_DEADLINE_MS) {
    this.#c = client;
    this.#k = new Keys(prefix);
    this.deadline = new Deadline(answerWithinMs, () => client.ping());
  }

  async ping(): Promise<void> {
    await this.#c.ping();
  }

  async close(): Promise<void> {
    if (this.#c.isOpen) await this.#c.close();
    this.deadline.stop();
  }

  async putSession(s: LiveSession): Promise<void> {
    await putSession(this.#c, this.#k, s);
  }

  async openSession(s: LiveSession, cap: SessionCap): Promise<OpenedSession> {
    return openSession(this.#c, this.#k, s, cap);
  }

  async getSession(id: string): Promise<LiveSession | null> {
    return (await load(this.#c, this.#k, [id]))[0] ?? null;
  }

  async moveSession(id: string, node: string): Promise<boolean> {
    const k = this.#k;
    return (await this.#c.moveSession([k.session(id), k.nodes], [id, node, k.holderPrefix])) === 1;
  }

  async touchSession(id: string, at: number): Promise<boolean> {
    return (await this.#c.touchSession([this.#k.session(id), this.#k.seen], [id, String(at)])) === 1;
  }

  async endSessions(ids: readonly string[]): Promise<LiveSession[]> {
    return endSessions(this.#c, this.#k, ids);
  }

  async endNodeSessions(node: string, limit: number): Promise<LiveSession[]> {
    return endNodeSessions(this.#c, this.#k, node, limit);
  }

  async findSessions(f: SessionFilter, limit: number): Promise<LiveSession[]> {
    return findSessions(this.#c, this.#k, f, limit);
  }

  async pageSessions(f: SessionFilter, limit: number, after?: SessionKey): Promise<LiveSession[]> {
    return pageSessions(this.#c, this.#k, f, limit, after);
  }

  async countSessions(f: SessionFilter): Promise<SessionCounts> {
    return countSessions(this.#c, this.#k, f);
  }

  async idleSessions(before: number, limit: number): Promise<LiveSession[]> {
    return idleSessions(this.#c, this.#k, before, limit);
  }

  async claimKickBudget(
    count: number,
    cap: number,
    windowMs: number,
    now: number,
  ): Promise<{ granted: boolean; used: number }> {
    const unique = randomBytes(8).toString('hex');
    const reply = await this.#c.claimKickBudget(
      [this.#k.kicks],
      [String(count), String(cap), String(windowMs), String(now), unique],
    );
    const [granted, used] = reply as [number, number];
    return { granted: granted === 1, used };
  }

  async clearKickBudget(): Promise<void> {
    await this.#c.del(this.#k.kicks);
  }

  async takeRateToken(
    key: string,
    perSecond: number,
    burst: number,
    now: number,
  ): Promise<{ ok: boolean; retryAfterMs: number }> {
    const reply = await this.#c.takeRateToken(
      [this.#k.rate(key)],
      [String(perSecond), String(burst), String(now)],
    );
    const [ok, retryAfterMs] = reply as [number, number];
    return { ok: ok === 1, retryAfterMs };
  }

  async announceNode(node: string, ttlMs: number, now: number): Promise<boolean> {
    return (await this.#c.announceNode([this.#k.presence], [node, String(ttlMs), String(now)])) === 1;
  }

  async lostNodes(now: number): Promise<string[]> {
    const k = this.#k;
    return (await this.#c.lostNodes([k.nodes, k.presence], [k.holderPrefix, String(now)])) as string[];
  }

  async adoptRun(
    id: string,
    node: string,
    now: number,
  ): Promise<{ adopted: boolean; previous: string | null }> {
    const reply = await this.#c.adoptRun([this.#k.run(id), this.#k.presence], [node, String(now)]);
    const [adopted, previous] = reply as [number, string];
    return { adopted: adopted === 1, previous: previous === '' ? null : previous };
  }

  async releaseRun(id: string, node: string): Promise<void> {
    await this.#c.releaseRun([this.#k.run(id)], [node]);
  }

  async acquirePermits(
    want: number,
    leaseMs: number,
    aimd: AimdBounds,
    now: number,
  ): Promise<{ permits: string[]; limit: number; inFlight: number }> {
    const reply = await this.#c.acquirePermits(
      [this.#k.permits, this.#k.limit],
      [String(want), String(leaseMs), String(now), randomBytes(8).toString('hex'), ...bounds(aimd)],
    );
    const [limit, inFlight, ...permits] = reply as [string, number, ...string[]];
    return { permits, limit: Number(limit), inFlight };
  }

  async releasePermit(permit: string, outcome: PermitOutcome, aimd: AimdBounds): Promise<{ limit: number }> {
    const reply = await this.#c.releasePermit(
      [this.#k.permits, this.#k.limit],
      [permit, outcome, ...bounds(aimd)],
    );
    return { limit: Number(reply as string) };
  }
}

const bounds = (b: AimdBounds): string[] => [String(b.initialLimit), String(b.minLimit), String(b.maxLimit)];

mapFailures(RedisLiveState.prototype);
