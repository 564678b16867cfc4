/**
 * Live state: what is true right now and may be lost with the process (sessions online,
 * counters), split by role so that each capability depends on what it uses. And the bus: how one
 * node asks another to act on a socket it holds. The in-memory and Redis adapters each implement
 * the whole `LiveState`; only the composition root (src/app.ts) sees one.
 *
 * Every `now` argument is the caller's clock, and both adapters use it (a drill's or a test's
 * virtual clock applies to Redis too).
 */
import type { AimdBounds, PermitOutcome } from '../admission/aimd.ts';
import type {
  LiveSession,
  OpenedSession,
  SessionCap,
  SessionCounts,
  SessionFilter,
} from '../sessions/records.ts';
import type { Broadcast, Directive } from '../sessions/directive.ts';
import type { SessionKey } from './page.ts';

/** Whether live state answers, and letting it go. */
export interface LiveHealth {
  readonly kind: string;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Which sessions are online, where, and on which node. */
export interface SessionDirectory {
  putSession(session: LiveSession): Promise<void>;
  getSession(id: string): Promise<LiveSession | null>;
  /**
   * Makes `node` the holder of a session, only if it is still live (a socket reconnected to
   * another node). Atomic against endSessions: a kick either sees the new holder or ended the
   * session first, in which case this returns false.
   */
  moveSession(id: string, node: string): Promise<boolean>;
  /**
   * Puts a new (or returning) session while keeping its player to at most `cap.max` live
   * sessions, atomically across every node sharing this live state. When the player's other
   * sessions already number `cap.max`: `replace-oldest` ends the oldest of them (by createdAt)
   * to make room and returns them, each to exactly one caller, for the caller to close; `refuse`
   * writes nothing and says how many the player holds. A re-put never counts against itself.
   */
  openSession(session: LiveSession, cap: SessionCap): Promise<OpenedSession>;
  /**
   * Marks the session as seen; a no-op for a session that is no longer live. Says whether it was
   * still live, so a socket whose session ended without its node being told is closed.
   */
  touchSession(id: string, at: number): Promise<boolean>;
  /**
   * Removes the given sessions and returns those that were still live. Each session is returned
   * to exactly one caller, so two concurrent enders never both count (or both kick) the same one.
   */
  endSessions(ids: readonly string[]): Promise<LiveSession[]>;
  findSessions(filter: SessionFilter, limit: number): Promise<LiveSession[]>;
  /**
   * The first `limit` sessions the filter matches in (createdAt, id) order, past `after` (the
   * last key of the previous page): what the admin list pages through.
   */
  pageSessions(filter: SessionFilter, limit: number, after?: SessionKey): Promise<LiveSession[]>;
  countSessions(filter: SessionFilter): Promise<SessionCounts>;
  /** Sessions whose lastSeenAt is older than `before`, oldest first, for the idle reaper. */
  idleSessions(before: number, limit: number): Promise<LiveSession[]>;
}

/** The kick breaker's sliding window, shared by every node. */
export interface KickWindow {
  /**
   * The kick breaker's sliding window: grants `count` more kicks if the kicks already granted in
   * the last `windowMs` plus `count` stay within `cap`, atomically, across every node sharing
   * this live state. Returns how many were in the window (before this claim) either way.
   */
  claimKickBudget(
    count: number,
    cap: number,
    windowMs: number,
    now: number,
  ): Promise<{ granted: boolean; used: number }>;

  /** Empties the kick window: a reset breaker starts counting afresh. */
  clearKickBudget(): Promise<void>;
}

/** Token buckets per key (an operator, a player, an address). */
export interface RateBuckets {
  /**
   * A token bucket per key (an operator): takes one token if there is one. When there is none,
   * says how long until there will be.
   */
  takeRateToken(
    key: string,
    perSecond: number,
    burst: number,
    now: number,
  ): Promise<{ ok: boolean; retryAfterMs: number }>;
}

/** Which nodes are alive, and the sessions a lost one held. */
export interface NodePresence {
  /**
   * Presence: says `node` is alive until `now + ttlMs`. A node that stops saying so (it died, or
   * lost its network) is lost once that passes, and the sessions it held are a survivor's to end.
   * Returns whether the node's presence was still current: false the first time, and after a
   * lapse (the node may have been taken for lost meanwhile).
   */
  announceNode(node: string, ttlMs: number, now: number): Promise<boolean>;
  /** Nodes that hold live sessions but whose presence has run out. */
  lostNodes(now: number): Promise<string[]>;
  /**
   * Ends up to `limit` of the sessions `node` holds and returns them, each to exactly one caller
   * (two survivors finding the same lost node never both record its sessions).
   */
  endNodeSessions(node: string, limit: number): Promise<LiveSession[]>;
}

/** Which node runs a command or a restore. */
export interface RunLeases {
  /**
   * Runs: which node runs a command or restore. Makes `node` the runner of `id` unless another
   * node runs it and is still present. Returns whether `node` is the runner now, and who was
   * before (null: nobody, or a record lost with the live state). Of two nodes adopting the same
   * orphan, exactly one wins.
   */
  adoptRun(id: string, node: string, now: number): Promise<{ adopted: boolean; previous: string | null }>;
  /** The run ended (or was given up): `node` stops being its runner, if it was. */
  releaseRun(id: string, node: string): Promise<void>;
}

/** Admission permits under one AIMD limit shared by every node. */
export interface Permits {
  /**
   * Admission permits: identity calls in flight, counted across every node under one shared
   * AIMD limit. Takes up to `want` permits while calls in flight stay under the limit; a permit
   * not released within `leaseMs` (its node died mid-call) lapses by itself.
   */
  acquirePermits(
    want: number,
    leaseMs: number,
    aimd: AimdBounds,
    now: number,
  ): Promise<{ permits: string[]; limit: number; inFlight: number }>;
  /**
   * Returns a permit and moves the shared limit by what its call showed: a fast success adds
   * 1/limit, a slow one takes 10% off, an upstream failure halves it; `unused` changes nothing.
   */
  releasePermit(permit: string, outcome: PermitOutcome, aimd: AimdBounds): Promise<{ limit: number }>;
}

/** Every role at once: what an adapter implements and what only the composition root holds. */
export interface LiveState
  extends LiveHealth,
    SessionDirectory,
    KickWindow,
    RateBuckets,
    NodePresence,
    RunLeases,
    Permits {}

/**
 * What a node is asked to do to a socket it holds: typed in the hub's own words (sessions/), which
 * alone turns it into a frame and a close code. Imported from the leaf file, not sessions/index.ts,
 * so that live/ does not depend on the hub that depends on it.
 */
export type { Broadcast, Directive } from '../sessions/directive.ts';

export interface Bus {
  readonly kind: string;
  /** Delivers to the node named; resolves once handed over (not once acted on). */
  deliver(node: string, directive: Directive): Promise<void>;
  /** Registers this node's handler; returns the function that unregisters it. */
  onDirective(node: string, handler: (directive: Directive) => void): () => void;
  /**
   * Delivers to every node listening, this one included; resolves once handed over. Like a
   * directive it is fire-and-forget: a node that is not listening at that moment never hears it.
   */
  broadcast(message: Broadcast): Promise<void>;
  /** Registers a handler for broadcasts (several may listen); returns the function that removes it. */
  onBroadcast(handler: (message: Broadcast) => void): () => void;
  close(): Promise<void>;
}
