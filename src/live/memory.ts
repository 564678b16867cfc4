import { randomBytes } from 'node:crypto';
import { matchesFilter as matches } from '../sessions/filter.ts';
import { type AimdBounds, initialLimit, nextLimit, type PermitOutcome } from '../admission/aimd.ts';
import type { Broadcast, Bus, Directive, LiveState } from './index.ts';
import { type SessionKey, SessionPage } from './page.ts';
import type {
  LiveSession,
  OpenedSession,
  SessionCap,
  SessionCounts,
  SessionFilter,
} from '../sessions/records.ts';

const bump = (m: Record<string, number>, k: string, by: number): void => {
  const n = (m[k] ?? 0) + by;
  if (n === 0) delete m[k];
  else m[k] = n;
};

/** Live state held in this process: the embedded default, and the CLI's and tests' stand-in. */
export class MemoryLiveState implements LiveState {
  readonly kind = 'memory';
  readonly #sessions = new Map<string, LiveSession>();
  // Nearly every player has one session: keep its id as a plain string and only make a Set for
  // the few with more (a Set per player costs ~200 bytes, which the socket bench counts).
  readonly #byPlayer = new Map<string, string | Set<string>>();
  // Counts kept as sessions come and go, so /metrics never walks every session.
  readonly #byRegion: Record<string, number> = {};
  readonly #byShard: Record<string, number> = {};
  readonly #kicks: { at: number; count: number }[] = [];
  readonly #buckets = new Map<string, { tokens: number; at: number; fullAt: number }>();
  #sweepAt = 1024;
  // Sessions held per node (a count, not a set: only a lost node's sessions are ever listed).
  readonly #byNode = new Map<string, number>();
  readonly #alive = new Map<string, number>();
  readonly #permits = new Map<string, number>();
  readonly #runners = new Map<string, string>();
  #limit: number | undefined;

  async ping(): Promise<void> {}
  async close(): Promise<void> {}

  async putSession(s: LiveSession): Promise<void> {
    const old = this.#sessions.get(s.id);
    if (old) this.#remove(old);
    this.#sessions.set(s.id, s);
    const ids = this.#byPlayer.get(s.playerId);
    if (ids === undefined) this.#byPlayer.set(s.playerId, s.id);
    else if (typeof ids === 'string') {
      if (ids !== s.id) this.#byPlayer.set(s.playerId, new Set([ids, s.id]));
    } else ids.add(s.id);
    bump(this.#byRegion, s.region, 1);
    bump(this.#byShard, s.shard, 1);
    this.#byNode.set(s.node, (this.#byNode.get(s.node) ?? 0) + 1);
  }

  #remove(s: LiveSession): void {
    this.#sessions.delete(s.id);
    const ids = this.#byPlayer.get(s.playerId);
    if (ids === s.id) this.#byPlayer.delete(s.playerId);
    else if (typeof ids === 'object') {
      ids.delete(s.id);
      if (ids.size === 1) this.#byPlayer.set(s.playerId, ids.values().next().value as string);
    }
    bump(this.#byRegion, s.region, -1);
    bump(this.#byShard, s.shard, -1);
    const held = (this.#byNode.get(s.node) ?? 1) - 1;
    if (held === 0) this.#byNode.delete(s.node);
    else this.#byNode.set(s.node, held);
  }

  async openSession(s: LiveSession, cap: SessionCap): Promise<OpenedSession> {
    const others = this.#playerSessions(s.playerId).filter((o) => o.id !== s.id);
    const replaced: LiveSession[] = [];
    if (others.length >= cap.max) {
      if (cap.whenFull === 'refuse') return { opened: false, held: others.length };
      others.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
      for (const o of others.slice(0, others.length - cap.max + 1)) {
        this.#remove(o);
        replaced.push(o);
      }
    }
    await this.putSession(s);
    return { opened: true, replaced };
  }

  #playerSessions(playerId: string): LiveSession[] {
    const ids = this.#byPlayer.get(playerId);
    const list = ids === undefined ? [] : typeof ids === 'string' ? [ids] : [...ids];
    return list.flatMap((id) => this.#sessions.get(id) ?? []);
  }

  async getSession(id: string): Promise<LiveSession | null> {
    return this.#sessions.get(id) ?? null;
  }

  async moveSession(id: string, node: string): Promise<boolean> {
    const s = this.#sessions.get(id);
    if (!s) return false;
    if (s.node !== node) await this.putSession({ ...s, node });
    return true;
  }

  async touchSession(id: string, at: number): Promise<boolean> {
    const s = this.#sessions.get(id);
    if (s) s.lastSeenAt = at;
    return s !== undefined;
  }

  async endSessions(ids: readonly string[]): Promise<LiveSession[]> {
    const ended: LiveSession[] = [];
    for (const id of ids) {
      const s = this.#sessions.get(id);
      if (!s) continue;
      this.#remove(s);
      ended.push(s);
    }
    return ended;
  }

  #candidates(f: SessionFilter): Iterable<LiveSession> {
    if (f.sessionId !== undefined) {
      const s = this.#sessions.get(f.sessionId);
      return s ? [s] : [];
    }
    if (f.playerId !== undefined || f.playerIds !== undefined) {
      const players = f.playerId !== undefined ? [f.playerId] : (f.playerIds ?? []);
      return players.flatMap((p) => this.#playerSessions(p));
    }
    return this.#sessions.values();
  }

  async findSessions(f: SessionFilter, limit: number): Promise<LiveSession[]> {
    const out: LiveSession[] = [];
    for (const s of this.#candidates(f)) {
      if (out.length >= limit) break;
      if (matches(s, f)) out.push({ ...s });
    }
    return out;
  }

  async pageSessions(f: SessionFilter, limit: number, after?: SessionKey): Promise<LiveSession[]> {
    const page = new SessionPage(limit, after);
    for (const s of this.#candidates(f)) if (matches(s, f)) page.offer({ ...s });
    return page.rows();
  }

  async countSessions(f: SessionFilter): Promise<SessionCounts> {
    if (Object.values(f).every((v) => v === undefined)) {
      return { total: this.#sessions.size, byRegion: { ...this.#byRegion }, byShard: { ...this.#byShard } };
    }
    const counts: SessionCounts = { total: 0, byRegion: {}, byShard: {} };
    for (const s of this.#candidates(f)) {
      if (!matches(s, f)) continue;
      counts.total++;
      bump(counts.byRegion, s.region, 1);
      bump(counts.byShard, s.shard, 1);
    }
    return counts;
  }

  async idleSessions(before: number, limit: number): Promise<LiveSession[]> {
    const out: LiveSession[] = [];
    for (const s of this.#sessions.values()) {
      if (s.lastSeenAt < before) out.push({ ...s });
    }
    return out.sort((a, b) => a.lastSeenAt - b.lastSeenAt).slice(0, limit);
  }

  async claimKickBudget(count: number, cap: number, windowMs: number, now: number) {
    while (this.#kicks.length > 0 && (this.#kicks[0] as { at: number }).at <= now - windowMs)
      this.#kicks.shift();
    const used = this.#kicks.reduce((sum, k) => sum + k.count, 0);
    if (used + count > cap) return { granted: false, used };
    this.#kicks.push({ at: now, count });
    return { granted: true, used };
  }

  async clearKickBudget(): Promise<void> {
    this.#kicks.length = 0;
  }

  async takeRateToken(key: string, perSecond: number, burst: number, now: number) {
    let b = this.#buckets.get(key);
    if (b === undefined) {
      b = { tokens: burst, at: now, fullAt: now };
      this.#buckets.set(key, b);
      if (this.#buckets.size >= this.#sweepAt) this.#sweepBuckets(now);
    }
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * perSecond);
    b.at = now;
    let answer = { ok: false, retryAfterMs: Math.ceil(((1 - b.tokens) / perSecond) * 1000) };
    if (b.tokens >= 1) {
      b.tokens -= 1;
      answer = { ok: true, retryAfterMs: 0 };
    }
    b.fullAt = now + ((burst - b.tokens) / perSecond) * 1000;
    return answer;
  }

  /**
   * A bucket that has refilled is the same as no bucket: forget those, so that buckets keyed by
   * client address and player (every player who ever logged in) do not grow without bound. Done
   * when the map has doubled since the last sweep, so each take pays O(1) on average.
   */
  #sweepBuckets(now: number): void {
    for (const [key, b] of this.#buckets) if (b.fullAt <= now) this.#buckets.delete(key);
    this.#sweepAt = Math.max(1024, this.#buckets.size * 2);
  }

  async announceNode(node: string, ttlMs: number, now: number): Promise<boolean> {
    const current = (this.#alive.get(node) ?? 0) > now;
    this.#alive.set(node, now + ttlMs);
    return current;
  }

  async lostNodes(now: number): Promise<string[]> {
    return [...this.#byNode.keys()].filter((n) => (this.#alive.get(n) ?? 0) <= now);
  }

  async endNodeSessions(node: string, limit: number): Promise<LiveSession[]> {
    const ended: LiveSession[] = [];
    for (const s of this.#sessions.values()) {
      if (ended.length >= limit) break;
      if (s.node === node) ended.push(s);
    }
    for (const s of ended) this.#remove(s);
    return ended;
  }

  async adoptRun(id: string, node: string, now: number) {
    const previous = this.#runners.get(id) ?? null;
    const adopted = previous === null || previous === node || (this.#alive.get(previous) ?? 0) <= now;
    if (adopted) this.#runners.set(id, node);
    return { adopted, previous };
  }

  async releaseRun(id: string, node: string): Promise<void> {
    if (this.#runners.get(id) === node) this.#runners.delete(id);
  }

  async acquirePermits(want: number, leaseMs: number, aimd: AimdBounds, now: number) {
    for (const [id, until] of this.#permits) if (until <= now) this.#permits.delete(id);
    this.#limit ??= initialLimit(aimd);
    const limit = this.#limit;
    const permits: string[] = [];
    const room = Math.floor(limit) - this.#permits.size;
    for (let i = 0; i < Math.min(want, room); i++) {
      const id = randomBytes(8).toString('hex');
      this.#permits.set(id, now + leaseMs);
      permits.push(id);
    }
    return { permits, limit, inFlight: this.#permits.size };
  }

  async releasePermit(permit: string, outcome: PermitOutcome, aimd: AimdBounds) {
    this.#permits.delete(permit);
    this.#limit = nextLimit(this.#limit ?? initialLimit(aimd), outcome, aimd);
    return { limit: this.#limit };
  }
}

/** The in-process bus: one process is every node there is. */
export class MemoryBus implements Bus {
  readonly kind = 'memory';
  readonly #handlers = new Map<string, (d: Directive) => void>();
  readonly #listeners = new Set<(b: Broadcast) => void>();

  async broadcast(message: Broadcast): Promise<void> {
    for (const l of [...this.#listeners]) l(message);
  }

  onBroadcast(handler: (message: Broadcast) => void): () => void {
    // A wrapper per registration, so the same function registered twice is removed once each.
    const own = (b: Broadcast) => handler(b);
    this.#listeners.add(own);
    return () => {
      this.#listeners.delete(own);
    };
  }

  async deliver(node: string, directive: Directive): Promise<void> {
    this.#handlers.get(node)?.(directive);
  }

  onDirective(node: string, handler: (d: Directive) => void): () => void {
    this.#handlers.set(node, handler);
    return () => {
      if (this.#handlers.get(node) === handler) this.#handlers.delete(node);
    };
  }

  async close(): Promise<void> {
    this.#handlers.clear();
    this.#listeners.clear();
  }
}
