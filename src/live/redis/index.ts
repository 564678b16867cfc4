/**
 * Live state and bus on Redis (or Redis Cluster), so several gateway nodes share sessions, the
 * kick window and rate buckets, and can ask one another to act on a socket.
 *
 * Keys. Every key is `${prefix}{lifeline}:...`. The single hash tag `{lifeline}` puts every key
 * of a deployment in one cluster slot: the Lua scripts below touch several keys atomically, and
 * some of those keys are only known inside the script (the old player's set on a re-put, the
 * player set of each ended session), which Redis Cluster allows only within the script's slot.
 * The cost is that one deployment's live state lives on one shard; a prefix must not itself
 * contain `{`, or its braces would become the hash tag.
 *
 *   session:<id>     string  the session as JSON (immutable after put, except via a re-put)
 *   sessions         set     every live session id
 *   player:<player>  set     that player's live session ids (openSession caps its size)
 *   seen             zset    session id -> lastSeenAt (authoritative; touch only writes here)
 *   count:region     hash    region -> live sessions (no field at 0)
 *   count:shard      hash    shard -> live sessions (no field at 0)
 *   kicks            zset    the kick window: score = time, member = `<unique>:<count>`
 *   rate:<key>       hash    a token bucket: tokens, at
 *   holder:<node>    set     the session ids that node holds
 *   nodes            set     nodes that have held sessions (left once a lost node's are all ended)
 *   alive:<node>     string  that node's presence, expiring (PX) unless renewed
 *   run:<id>         string  the node running that command or restore
 *   permits          zset    admission permits in flight: member = permit id, score = lease end
 *   limit            string  the shared admission limit (AIMD, a float)
 *   node:<node>      channel directives for that node (pub/sub)
 *
 * findSessions and countSessions with a filter (other than by session or player) scan the
 * session set (SSCAN + MGET) and filter with matchesFilter: linear in live sessions, fine for
 * now; secondary indexes per region/shard would bound it if kicks by region get hot.
 */

import { createHash, randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import { isLifelineError, LifelineError } from '../../errors/index.ts';
import { matchesFilter } from '../../sessions/filter.ts';
import type { AimdBounds, PermitOutcome } from '../../admission/aimd.ts';
import type { Bus, Directive, LiveState } from '../index.ts';
import type {
  LiveSession,
  OpenedSession,
  SessionCap,
  SessionCounts,
  SessionFilter,
} from '../../sessions/records.ts';

type Client = ReturnType<typeof createClient>;

/** Lua: takes one from a counter hash's field, dropping the field at zero. */
const DEC = `
local function dec(h, f)
  if redis.call('HINCRBY', h, f, -1) <= 0 then redis.call('HDEL', h, f) end
end
`;

/**
 * Lua shared by the scripts that write a session (needs DEC): stores it, or replaces it and moves
 * it out of the old one's player, holder and counters, then indexes and counts it.
 */
const WRITE_SESSION = `
local function write_session(key, id, json, player_prefix, player, holder_prefix, node,
    sessions, by_region, by_shard, seen, nodes, region, shard, at)
  local old = redis.call('GET', key)
  if old then
    local o = cjson.decode(old)
    redis.call('SREM', player_prefix .. o.playerId, id)
    redis.call('SREM', holder_prefix .. o.node, id)
    dec(by_region, o.region)
    dec(by_shard, o.shard)
  end
  redis.call('SET', key, json)
  redis.call('SADD', sessions, id)
  redis.call('SADD', player_prefix .. player, id)
  redis.call('SADD', holder_prefix .. node, id)
  redis.call('SADD', nodes, node)
  redis.call('HINCRBY', by_region, region, 1)
  redis.call('HINCRBY', by_shard, shard, 1)
  redis.call('ZADD', seen, at, id)
end
`;

/**
 * Stores (or replaces) a session and keeps the indexes and counters right.
 * KEYS[1] session:<id>  KEYS[2] sessions  KEYS[3] count:region  KEYS[4] count:shard  KEYS[5] seen
 * KEYS[6] nodes
 * ARGV[1] id  ARGV[2] session JSON  ARGV[3] player key prefix (`<p>{lifeline}:player:`)
 * ARGV[4] playerId  ARGV[5] region  ARGV[6] shard  ARGV[7] lastSeenAt
 * ARGV[8] holder key prefix (`<p>{lifeline}:holder:`)  ARGV[9] node
 */
const PUT_SESSION = `${DEC}${WRITE_SESSION}
write_session(KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[8], ARGV[9],
  KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], ARGV[5], ARGV[6], ARGV[7])
return 1
`;

/**
 * Moves a live session to another holder node; nothing if it is no longer live.
 * KEYS[1] session:<id>  KEYS[2] nodes
 * ARGV[1] id  ARGV[2] node  ARGV[3] holder key prefix
 * Returns 1 if the session is live (and now held by the node), else 0.
 */
const MOVE_SESSION = `
local json = redis.call('GET', KEYS[1])
if not json then return 0 end
local s = cjson.decode(json)
if s.node ~= ARGV[2] then
  redis.call('SREM', ARGV[3] .. s.node, ARGV[1])
  s.node = ARGV[2]
  redis.call('SET', KEYS[1], cjson.encode(s))
  redis.call('SADD', ARGV[3] .. ARGV[2], ARGV[1])
  redis.call('SADD', KEYS[2], ARGV[2])
end
return 1
`;

/**
 * Marks a session seen, only if it is still live (a touch racing an end never resurrects it).
 * KEYS[1] session:<id>  KEYS[2] seen
 * ARGV[1] id  ARGV[2] at
 */
const TOUCH_SESSION = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('ZADD', KEYS[2], 'XX', ARGV[2], ARGV[1])
end
return 1
`;

/**
 * Lua shared by the scripts that end sessions (needs DEC): ends one session if it is live (reads and
 * deletes it in one step, updates the indexes and counters) and appends it to `out`.
 * Uses KEYS[1] sessions  KEYS[2] count:region  KEYS[3] count:shard  KEYS[4] seen
 * ARGV[1] session key prefix  ARGV[2] player key prefix  ARGV[3] holder key prefix
 */
const END_ONE = `
local function end_one(id, out)
  local key = ARGV[1] .. id
  local json = redis.call('GET', key)
  if not json then return end
  local s = cjson.decode(json)
  local seen = redis.call('ZSCORE', KEYS[4], id)
  redis.call('DEL', key)
  redis.call('SREM', KEYS[1], id)
  redis.call('SREM', ARGV[2] .. s.playerId, id)
  redis.call('SREM', ARGV[3] .. s.node, id)
  redis.call('ZREM', KEYS[4], id)
  dec(KEYS[2], s.region)
  dec(KEYS[3], s.shard)
  out[#out + 1] = json
  out[#out + 1] = seen or ''
end
`;

/**
 * Ends sessions by id, each returned to exactly one caller.
 * KEYS and ARGV[1..3] as END_ONE; ARGV[4..] session ids.
 * Returns a flat list: JSON, lastSeenAt, JSON, lastSeenAt, ... for the sessions that were live.
 */
const END_SESSIONS = `${DEC}${END_ONE}
local out = {}
for i = 4, #ARGV do end_one(ARGV[i], out) end
return out
`;

/**
 * Puts a session while keeping its player to a cap, ending the player's oldest other sessions
 * (replace-oldest) or writing nothing (refuse) when the others already fill it.
 * KEYS[1..4] as END_ONE  KEYS[5] nodes  KEYS[6] session:<id>
 * ARGV[1..3] as END_ONE  ARGV[4] id  ARGV[5] session JSON  ARGV[6] playerId  ARGV[7] region
 * ARGV[8] shard  ARGV[9] lastSeenAt  ARGV[10] node  ARGV[11] max  ARGV[12] 1 to refuse, 0 to replace
 * Returns { 0, held } when refused; else { 1, JSON, lastSeenAt, ... } for each session ended.
 */
const OPEN_SESSION = `${DEC}${END_ONE}${WRITE_SESSION}
local max = tonumber(ARGV[11])
local others = {}
for _, id in ipairs(redis.call('SMEMBERS', ARGV[2] .. ARGV[6])) do
  if id ~= ARGV[4] then
    local json = redis.call('GET', ARGV[1] .. id)
    if json then others[#others + 1] = { id, cjson.decode(json).createdAt } end
  end
end
local out = { 1 }
if #others >= max then
  if ARGV[12] == '1' then return { 0, #others } end
  table.sort(others, function(a, b)
    if a[2] == b[2] then return a[1] < b[1] end
    return a[2] < b[2]
  end)
  for i = 1, #others - max + 1 do end_one(others[i][1], out) end
end
write_session(KEYS[6], ARGV[4], ARGV[5], ARGV[2], ARGV[6], ARGV[3], ARGV[10],
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], ARGV[7], ARGV[8], ARGV[9])
return out
`;

/**
 * Ends up to a limit of the sessions a node holds (a lost node's, found by a survivor).
 * KEYS and ARGV[1..3] as END_ONE; ARGV[4] node  ARGV[5] limit.
 * Returns the same flat list as END_SESSIONS.
 */
const END_NODE_SESSIONS = `${DEC}${END_ONE}
local out = {}
local ids = redis.call('SPOP', ARGV[3] .. ARGV[4], tonumber(ARGV[5]))
for _, id in ipairs(ids) do end_one(id, out) end
return out
`;

/**
 * Nodes whose presence ran out while they still hold sessions. A node that holds none is
 * forgotten here, so the set stays as small as the cluster.
 * KEYS[1] nodes
 * ARGV[1] alive key prefix  ARGV[2] holder key prefix
 */
const LOST_NODES = `
local lost = {}
for _, n in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. n) == 0 then
    if redis.call('SCARD', ARGV[2] .. n) == 0 then
      redis.call('SREM', KEYS[1], n)
    else
      lost[#lost + 1] = n
    end
  end
end
return lost
`;

/**
 * Adopts a run unless another node that is still present runs it.
 * KEYS[1] run:<id>
 * ARGV[1] node  ARGV[2] alive key prefix
 * Returns { adopted (1/0), previous runner ('' for none) }.
 */
const ADOPT_RUN = `
local previous = redis.call('GET', KEYS[1])
if not previous or previous == ARGV[1] or redis.call('EXISTS', ARGV[2] .. previous) == 0 then
  redis.call('SET', KEYS[1], ARGV[1])
  return { 1, previous or '' }
end
return { 0, previous }
`;

/**
 * Gives a run up, only if this node is its runner (a node that adopted it since keeps it).
 * KEYS[1] run:<id>
 * ARGV[1] node
 */
const RELEASE_RUN = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`;

/**
 * Takes admission permits under the shared limit, after letting lapsed leases go.
 * KEYS[1] permits  KEYS[2] limit
 * ARGV[1] want  ARGV[2] leaseMs  ARGV[3] now  ARGV[4] unique permit prefix
 * ARGV[5] initialLimit  ARGV[6] minLimit  ARGV[7] maxLimit
 * Returns { limit (string), inFlight, permit ids... }.
 */
const ACQUIRE_PERMITS = `
local now = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local limit = tonumber(redis.call('GET', KEYS[2]) or '') or math.min(tonumber(ARGV[7]), math.max(tonumber(ARGV[6]), tonumber(ARGV[5])))
local inflight = redis.call('ZCARD', KEYS[1])
local n = math.min(tonumber(ARGV[1]), math.floor(limit) - inflight)
local out = { string.format('%.17g', limit), 0 }
for i = 1, n do
  local id = ARGV[4] .. ':' .. i
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), id)
  out[#out + 1] = id
end
out[2] = inflight + math.max(n, 0)
return out
`;

/**
 * Returns a permit and moves the shared limit (the same steps as nextLimit in ../port.ts).
 * KEYS[1] permits  KEYS[2] limit
 * ARGV[1] permit id  ARGV[2] outcome (fast | slow | failed | unused)
 * ARGV[3] initialLimit  ARGV[4] minLimit  ARGV[5] maxLimit
 * Returns the limit as a string.
 */
const RELEASE_PERMIT = `
redis.call('ZREM', KEYS[1], ARGV[1])
local lo = tonumber(ARGV[4])
local hi = tonumber(ARGV[5])
local limit = tonumber(redis.call('GET', KEYS[2]) or '') or math.min(hi, math.max(lo, tonumber(ARGV[3])))
if ARGV[2] == 'fast' then limit = math.min(hi, limit + 1 / limit)
elseif ARGV[2] == 'slow' then limit = math.max(lo, limit * 0.9)
elseif ARGV[2] == 'failed' then limit = math.max(lo, limit / 2) end
local text = string.format('%.17g', limit)
redis.call('SET', KEYS[2], text)
return text
`;

/**
 * The kick breaker's sliding window.
 * KEYS[1] kicks (zset: score = time, member = `<unique>:<count>`)
 * ARGV[1] count  ARGV[2] cap  ARGV[3] windowMs  ARGV[4] now  ARGV[5] unique member id
 * Forgets kicks at or before now - windowMs, sums the rest (used), and grants when
 * used + count <= cap, recording the claim (a claim of 0 records nothing).
 * Returns { granted (1/0), used }.
 */
const CLAIM_KICK_BUDGET = `
local count = tonumber(ARGV[1])
local cap = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local used = 0
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  used = used + tonumber(string.match(m, ':(%d+)$'))
end
if used + count > cap then return { 0, used } end
if count > 0 then
  redis.call('ZADD', KEYS[1], now, ARGV[5] .. ':' .. count)
  -- Garbage collection only: the window itself is enforced by the scores above.
  redis.call('PEXPIRE', KEYS[1], window + 60000)
end
return { 1, used }
`;

/**
 * A token bucket.
 * KEYS[1] rate:<key> (hash: tokens, at)
 * ARGV[1] perSecond  ARGV[2] burst  ARGV[3] now
 * Returns { ok (1/0), retryAfterMs }.
 */
const TAKE_RATE_TOKEN = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1]) or burst
local at = tonumber(b[2]) or now
tokens = math.min(burst, tokens + ((now - at) / 1000) * rate)
local ok = 0
local retry = 0
if tokens >= 1 then
  tokens = tokens - 1
  ok = 1
else
  retry = math.ceil(((1 - tokens) / rate) * 1000)
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'at', string.format('%.17g', now))
-- Garbage collection only: an absent bucket is a full one, which it would be by then anyway.
redis.call('PEXPIRE', KEYS[1], math.ceil((burst / rate) * 1000) + 60000)
return { ok, retry }
`;

/** END_ONE's flat list (JSON, lastSeenAt, JSON, lastSeenAt, ...) as sessions. */
function parseEnded(reply: readonly string[]): LiveSession[] {
  const out: LiveSession[] = [];
  for (let i = 0; i < reply.length; i += 2) {
    const s = JSON.parse(reply[i] as string) as LiveSession;
    const seen = reply[i + 1];
    if (seen !== undefined && seen !== '') s.lastSeenAt = Number(seen);
    out.push(s);
  }
  return out;
}

const TAKE_RATE_TOKEN_SHA = createHash('sha1').update(TAKE_RATE_TOKEN).digest('hex');

const isEmptyFilter = (f: SessionFilter): boolean => Object.values(f).every((v) => v === undefined);

const bump = (m: Record<string, number>, k: string, by: number): void => {
  m[k] = (m[k] ?? 0) + by;
};

/** Live state on Redis. Owns its command connection; close() quits it. */
export class RedisLiveState implements LiveState {
  readonly kind = 'redis';
  readonly #c: Client;
  readonly #k: string;

  constructor(client: Client, prefix: string) {
    this.#c = client;
    this.#k = `${prefix}{lifeline}:`;
  }

  get #sessions(): string {
    return `${this.#k}sessions`;
  }
  get #seen(): string {
    return `${this.#k}seen`;
  }
  #sessionKey(id: string): string {
    return `${this.#k}session:${id}`;
  }
  #playerKey(playerId: string): string {
    return `${this.#k}player:${playerId}`;
  }

  async ping(): Promise<void> {
    await this.#c.ping();
  }

  async close(): Promise<void> {
    if (this.#c.isOpen) await this.#c.close();
  }

  async putSession(s: LiveSession): Promise<void> {
    await this.#c.eval(PUT_SESSION, {
      keys: [
        this.#sessionKey(s.id),
        this.#sessions,
        `${this.#k}count:region`,
        `${this.#k}count:shard`,
        this.#seen,
        `${this.#k}nodes`,
      ],
      arguments: [
        s.id,
        JSON.stringify(s),
        `${this.#k}player:`,
        s.playerId,
        s.region,
        s.shard,
        String(s.lastSeenAt),
        `${this.#k}holder:`,
        s.node,
      ],
    });
  }

  async openSession(s: LiveSession, cap: SessionCap): Promise<OpenedSession> {
    const reply = (await this.#c.eval(OPEN_SESSION, {
      keys: [
        this.#sessions,
        `${this.#k}count:region`,
        `${this.#k}count:shard`,
        this.#seen,
        `${this.#k}nodes`,
        this.#sessionKey(s.id),
      ],
      arguments: [
        `${this.#k}session:`,
        `${this.#k}player:`,
        `${this.#k}holder:`,
        s.id,
        JSON.stringify(s),
        s.playerId,
        s.region,
        s.shard,
        String(s.lastSeenAt),
        s.node,
        String(cap.max),
        cap.whenFull === 'refuse' ? '1' : '0',
      ],
    })) as unknown as [number, ...string[]];
    if (reply[0] === 0) return { opened: false, held: Number(reply[1]) };
    return { opened: true, replaced: parseEnded(reply.slice(1) as string[]) };
  }

  /** Reads sessions by id, in order, skipping those no longer live; lastSeenAt comes from `seen`. */
  async #load(ids: readonly string[]): Promise<LiveSession[]> {
    if (ids.length === 0) return [];
    const [jsons, seen] = await Promise.all([
      this.#c.mGet(ids.map((id) => this.#sessionKey(id))),
      this.#c.zmScore(this.#seen, [...ids]),
    ]);
    const out: LiveSession[] = [];
    jsons.forEach((json, i) => {
      if (typeof json !== 'string') return;
      const s = JSON.parse(json) as LiveSession;
      const at = seen[i];
      if (typeof at === 'number') s.lastSeenAt = at;
      out.push(s);
    });
    return out;
  }

  async getSession(id: string): Promise<LiveSession | null> {
    return (await this.#load([id]))[0] ?? null;
  }

  async moveSession(id: string, node: string): Promise<boolean> {
    const moved = await this.#c.eval(MOVE_SESSION, {
      keys: [this.#sessionKey(id), `${this.#k}nodes`],
      arguments: [id, node, `${this.#k}holder:`],
    });
    return moved === 1;
  }

  async touchSession(id: string, at: number): Promise<void> {
    await this.#c.eval(TOUCH_SESSION, {
      keys: [this.#sessionKey(id), this.#seen],
      arguments: [id, String(at)],
    });
  }

  async endSessions(ids: readonly string[]): Promise<LiveSession[]> {
    if (ids.length === 0) return [];
    return this.#ended(END_SESSIONS, ids);
  }

  async endNodeSessions(node: string, limit: number): Promise<LiveSession[]> {
    if (limit <= 0) return [];
    return this.#ended(END_NODE_SESSIONS, [node, String(limit)]);
  }

  async #ended(script: string, args: readonly string[]): Promise<LiveSession[]> {
    const reply = (await this.#c.eval(script, {
      keys: [this.#sessions, `${this.#k}count:region`, `${this.#k}count:shard`, this.#seen],
      arguments: [`${this.#k}session:`, `${this.#k}player:`, `${this.#k}holder:`, ...args],
    })) as unknown as string[];
    return parseEnded(reply);
  }

  /** Candidate sessions for a filter, in batches: by id, by player, or a scan of every session. */
  async *#candidates(f: SessionFilter): AsyncGenerator<LiveSession[]> {
    if (f.sessionId !== undefined) {
      yield await this.#load([f.sessionId]);
      return;
    }
    if (f.playerId !== undefined || f.playerIds !== undefined) {
      const players = f.playerId !== undefined ? [f.playerId] : (f.playerIds ?? []);
      const BATCH = 500;
      for (let i = 0; i < players.length; i += BATCH) {
        const sets = await Promise.all(
          players.slice(i, i + BATCH).map((p) => this.#c.sMembers(this.#playerKey(p))),
        );
        yield await this.#load(sets.flat());
      }
      return;
    }
    for await (const ids of this.#c.sScanIterator(this.#sessions, { COUNT: 500 })) {
      yield await this.#load(ids);
    }
  }

  async findSessions(f: SessionFilter, limit: number): Promise<LiveSession[]> {
    const out: LiveSession[] = [];
    if (limit <= 0) return out;
    for await (const batch of this.#candidates(f)) {
      for (const s of batch) {
        if (matchesFilter(s, f)) out.push(s);
        if (out.length >= limit) return out;
      }
    }
    return out;
  }

  async countSessions(f: SessionFilter): Promise<SessionCounts> {
    if (isEmptyFilter(f)) {
      const [total, byRegion, byShard] = await Promise.all([
        this.#c.sCard(this.#sessions),
        this.#c.hGetAll(`${this.#k}count:region`),
        this.#c.hGetAll(`${this.#k}count:shard`),
      ]);
      const nums = (h: Record<string, string>): Record<string, number> =>
        Object.fromEntries(
          Object.entries(h)
            .map(([k, v]) => [k, Number(v)] as const)
            .filter(([, n]) => n > 0),
        );
      return { total, byRegion: nums(byRegion), byShard: nums(byShard) };
    }
    const counts: SessionCounts = { total: 0, byRegion: {}, byShard: {} };
    for await (const batch of this.#candidates(f)) {
      for (const s of batch) {
        if (!matchesFilter(s, f)) continue;
        counts.total++;
        bump(counts.byRegion, s.region, 1);
        bump(counts.byShard, s.shard, 1);
      }
    }
    return counts;
  }

  async idleSessions(before: number, limit: number): Promise<LiveSession[]> {
    if (limit <= 0) return [];
    const idle = await this.#c.zRangeWithScores(this.#seen, '-inf', `(${before}`, {
      BY: 'SCORE',
      LIMIT: { offset: 0, count: limit },
    });
    // A session touched between the two reads keeps its new lastSeenAt; drop it if no longer idle.
    const loaded = await this.#load(idle.map((e) => e.value));
    return loaded.filter((s) => s.lastSeenAt < before).sort((a, b) => a.lastSeenAt - b.lastSeenAt);
  }

  async claimKickBudget(
    count: number,
    cap: number,
    windowMs: number,
    now: number,
  ): Promise<{ granted: boolean; used: number }> {
    const [granted, used] = (await this.#c.eval(CLAIM_KICK_BUDGET, {
      keys: [`${this.#k}kicks`],
      arguments: [String(count), String(cap), String(windowMs), String(now), randomBytes(8).toString('hex')],
    })) as unknown as [number, number];
    return { granted: granted === 1, used };
  }

  async clearKickBudget(): Promise<void> {
    await this.#c.del(`${this.#k}kicks`);
  }

  async takeRateToken(
    key: string,
    perSecond: number,
    burst: number,
    now: number,
  ): Promise<{ ok: boolean; retryAfterMs: number }> {
    // Every player login, refresh, rejoin and upgrade takes two of these: call the script by its
    // SHA (loaded once; again after a Redis restart or SCRIPT FLUSH) rather than sending its text.
    const options = {
      keys: [`${this.#k}rate:${key}`],
      arguments: [String(perSecond), String(burst), String(now)],
    };
    let reply: unknown;
    try {
      reply = await this.#c.evalSha(TAKE_RATE_TOKEN_SHA, options);
    } catch (err) {
      if (!String(err).includes('NOSCRIPT')) throw err;
      reply = await this.#c.eval(TAKE_RATE_TOKEN, options);
    }
    const [ok, retryAfterMs] = reply as [number, number];
    return { ok: ok === 1, retryAfterMs };
  }

  /** Presence uses Redis's own expiry, so the nodes' clocks need not agree; `now` is unused. */
  async announceNode(node: string, ttlMs: number, _now: number): Promise<boolean> {
    // SET … GET answers the value it replaced: none means the presence had lapsed (or never was).
    const previous = await this.#c.set(`${this.#k}alive:${node}`, '1', { PX: ttlMs, GET: true });
    return previous !== null;
  }

  async lostNodes(_now: number): Promise<string[]> {
    return (await this.#c.eval(LOST_NODES, {
      keys: [`${this.#k}nodes`],
      arguments: [`${this.#k}alive:`, `${this.#k}holder:`],
    })) as unknown as string[];
  }

  async adoptRun(
    id: string,
    node: string,
    _now: number,
  ): Promise<{ adopted: boolean; previous: string | null }> {
    const [adopted, previous] = (await this.#c.eval(ADOPT_RUN, {
      keys: [`${this.#k}run:${id}`],
      arguments: [node, `${this.#k}alive:`],
    })) as unknown as [number, string];
    return { adopted: adopted === 1, previous: previous === '' ? null : previous };
  }

  async releaseRun(id: string, node: string): Promise<void> {
    await this.#c.eval(RELEASE_RUN, { keys: [`${this.#k}run:${id}`], arguments: [node] });
  }

  async acquirePermits(
    want: number,
    leaseMs: number,
    aimd: AimdBounds,
    now: number,
  ): Promise<{ permits: string[]; limit: number; inFlight: number }> {
    const [limit, inFlight, ...permits] = (await this.#c.eval(ACQUIRE_PERMITS, {
      keys: [`${this.#k}permits`, `${this.#k}limit`],
      arguments: [
        String(want),
        String(leaseMs),
        String(now),
        randomBytes(8).toString('hex'),
        String(aimd.initialLimit),
        String(aimd.minLimit),
        String(aimd.maxLimit),
      ],
    })) as unknown as [string, number, ...string[]];
    return { permits, limit: Number(limit), inFlight };
  }

  async releasePermit(permit: string, outcome: PermitOutcome, aimd: AimdBounds): Promise<{ limit: number }> {
    const limit = (await this.#c.eval(RELEASE_PERMIT, {
      keys: [`${this.#k}permits`, `${this.#k}limit`],
      arguments: [permit, outcome, String(aimd.initialLimit), String(aimd.minLimit), String(aimd.maxLimit)],
    })) as unknown as string;
    return { limit: Number(limit) };
  }
}

/** A Redis failure in Lifeline's words: the caller gets a coded 503, not a driver error. */
function unavailable(err: unknown): unknown {
  if (isLifelineError(err)) return err;
  return new LifelineError('LIVE_UNAVAILABLE', undefined, { cause: err });
}

/**
 * Every public method of the live state maps a Redis failure to LIVE_UNAVAILABLE. Done once here
 * for all of them, rather than by a try in each of a dozen methods. While Redis is away the
 * client does not queue commands (disableOfflineQueue), so callers hear at once.
 */
for (const name of Object.getOwnPropertyNames(RedisLiveState.prototype)) {
  const method = Reflect.get(RedisLiveState.prototype, name) as unknown;
  if (name === 'constructor' || typeof method !== 'function') continue;
  Reflect.set(RedisLiveState.prototype, name, async function (this: RedisLiveState, ...args: unknown[]) {
    try {
      return await (method as (...a: unknown[]) => Promise<unknown>).apply(this, args);
    } catch (err) {
      throw unavailable(err);
    }
  });
}

/**
 * The bus on Redis pub/sub: a directive for a node is published on `${prefix}{lifeline}:node:<node>`.
 * Owns two connections (publish, subscribe); close() quits both. Pub/sub is fire-and-forget: a
 * node that is not subscribed at the moment of delivery never hears the directive.
 */
export class RedisBus implements Bus {
  readonly kind = 'redis';
  readonly #pub: Client;
  readonly #sub: Client;
  readonly #k: string;
  readonly #onError: (err: unknown) => void;
  readonly #handlers = new Map<string, (d: Directive) => void>();
  /** Subscribe/unsubscribe calls in flight, in order; deliver waits for them. */
  #pending: Promise<void> = Promise.resolve();

  constructor(pub: Client, sub: Client, prefix: string, onError: (err: unknown) => void) {
    this.#pub = pub;
    this.#sub = sub;
    this.#k = `${prefix}{lifeline}:`;
    this.#onError = onError;
  }

  #channel(node: string): string {
    return `${this.#k}node:${node}`;
  }

  #queue(op: () => Promise<unknown>): void {
    this.#pending = this.#pending.then(op).then(
      () => {},
      (err: unknown) => this.#onError(err),
    );
  }

  async deliver(node: string, directive: Directive): Promise<void> {
    // A subscription this process asked for just before is in place before we publish.
    await this.#pending;
    try {
      await this.#pub.publish(this.#channel(node), JSON.stringify(directive));
    } catch (err) {
      throw unavailable(err);
    }
  }

  onDirective(node: string, handler: (directive: Directive) => void): () => void {
    const first = !this.#handlers.has(node);
    this.#handlers.set(node, handler);
    if (first) {
      const channel = this.#channel(node);
      this.#queue(() =>
        this.#sub.subscribe(channel, (message) => {
          let d: Directive;
          try {
            d = JSON.parse(message) as Directive;
          } catch (err) {
            this.#onError(err);
            return;
          }
          this.#handlers.get(node)?.(d);
        }),
      );
    }
    return () => {
      if (this.#handlers.get(node) !== handler) return;
      this.#handlers.delete(node);
      const channel = this.#channel(node);
      this.#queue(() => (this.#sub.isOpen ? this.#sub.unsubscribe(channel) : Promise.resolve()));
    };
  }

  async close(): Promise<void> {
    this.#handlers.clear();
    await this.#pending;
    await Promise.all([this.#sub, this.#pub].map((c) => (c.isOpen ? c.close() : undefined)));
  }
}

/**
 * Connects the live state and the bus (three connections: commands, publish, subscribe).
 * `onError` hears connection errors and undeliverable messages; by default they become
 * process warnings (an unheard client 'error' event would crash the process).
 */
export async function openRedisLive(opts: {
  url: string;
  prefix: string;
  onError?: (err: unknown) => void;
}): Promise<{ live: RedisLiveState; bus: RedisBus }> {
  const onError =
    opts.onError ??
    ((err: unknown) => process.emitWarning(`redis live state: ${String(err)}`, 'LifelineRedis'));
  // After a drop the clients reconnect by themselves, backing off to one try every 2 s, and the
  // subscriber re-subscribes; meanwhile commands fail at once instead of queueing.
  const client: Client = createClient({
    url: opts.url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 5000,
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 6), 2000),
    },
  });
  const pub: Client = client.duplicate();
  const sub: Client = client.duplicate();
  const clients = [client, pub, sub];
  for (const c of clients) c.on('error', onError);
  // A node must not start without its live state: give up after a while instead of retrying forever.
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.all(clients.map((c) => c.connect())),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer from ${redactUrl(opts.url)} within 10 s`)),
          10_000,
        );
      }),
    ]);
  } catch (err) {
    for (const c of clients) if (c.isOpen) c.destroy();
    throw new LifelineError('LIVE_UNAVAILABLE', `Redis at ${redactUrl(opts.url)} cannot be reached`, {
      cause: err,
    });
  } finally {
    clearTimeout(timer);
  }
  return {
    live: new RedisLiveState(client, opts.prefix),
    bus: new RedisBus(pub, sub, opts.prefix, onError),
  };
}

/** A URL fit for a log line: without its password. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'the configured Redis URL';
  }
}
