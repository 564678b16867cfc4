/**
 * The fleet of virtual players (issue 14, item 2): the contract between the fleet, which runs in
 * a process of its own (`src/lab/fleet/process.ts`), and whoever drives it (the drill runner,
 * benches, tests). Everything a report shows about players comes from these records, measured by
 * the fleet, never copied from the plan.
 *
 * Time: every `t` is scenario seconds since the fleet started (`startedAtMs`, wall clock), i.e.
 * wall seconds × `timeScale`.
 */
import type { ClientMode } from '../scenario/kinds.ts';

/** Where players come from and how they behave (built from a scenario's `players` and `topology`). */
export interface FleetPlan {
  /** Seeds every draw (arrival times, think times, placement, ownership). */
  seed: number;
  players: number;
  /** Player-API base URLs of the Lifeline nodes; each player is pinned to one, round-robin. */
  nodes: string[];
  /** Regions with their shards and weight (players spread by weight, then evenly over shards). */
  regions: { region: string; shards: string[]; weight: number }[];
  arrival:
    | {
        curve: 'diurnal';
        troughShare: number;
        peakShare: number;
        periodSeconds: number;
        peakAtSeconds: number;
        /** The curve's players come online over this many seconds from 0 (a world started cold). */
        rampSeconds?: number;
      }
    | { curve: 'storm'; at: number; overSeconds: number };
  thinkSeconds: { min: number; max: number };
  /** `sdk`: LifelineClient; `naive`: immediate retries, no jitter, no Retry-After (the seed's clients). */
  client: ClientMode;
  /** Share of players who own the game: `owner-<n>` ids; the rest are `guest-<n>`. */
  ownerShare: number;
  /** How a player proves who it is: a bare playerId (identity `http`/`none`), or an ID token minted by the lab's OIDC issuer. */
  credential: { kind: 'playerId' } | { kind: 'oidc'; issuerControlUrl: string };
  timeScale: number;
  durationSeconds: number;
  /**
   * Added by the fleet: the licence that means "owns nothing" (the gateway's default licence). An
   * owner whose access token carries it counts as denied, as seed 001's players who got in looking
   * as if they did not own the game. Left out, only refusals count.
   */
  noLicence?: string;
  /** Added by the fleet: wall milliseconds a `naive` client waits before each retry. @defaultValue 100 */
  naiveRetryMs?: number;
  /**
   * Added by the fleet: the game backend's join URL (the lab's `gameBackend().joinUrl`). A player
   * that gets a session (a login or a rejoin) then joins the game there, once, as a client
   * connecting to its game server does: the load a restore paces against.
   */
  gameJoinUrl?: string;
  /**
   * Start warm: before scenario second 0, the players the curve wants at 0 log in at once (no
   * think time), and the clock starts once they are all online (or after `warmUpMaxSeconds`).
   * A scenario that starts with its world online then finds it online on a machine of any speed,
   * instead of a cold world logging in while the timeline already runs. @defaultValue false
   */
  warmUp?: boolean;
}

/** The longest a warm-up waits for its players before the clock starts anyway (wall seconds). */
export const warmUpMaxSeconds = 300;

/**
 * Added by the fleet, for whoever grants licences upstream: players are `owner-0` …
 * `owner-<K-1>` with K = Math.round(players × ownerShare), and `guest-0` … the rest (the fleet
 * exports `fleetOwners(plan)` and `fleetPlayerIds(plan)`). Which arrival rank, region and shard
 * each gets is a seeded draw.
 */
export type FleetPlayerId = `owner-${number}` | `guest-${number}`;

/** Main process → fleet process (over `process.send`). */
export type ToFleet = { type: 'start'; plan: FleetPlan } | { type: 'stop' };

/**
 * Fleet process → main process. `ready` once the process takes messages (before `start`);
 * `second` once a scenario second; `summary` once, after `stop` (or when the parent disconnects,
 * the process's time runs out); `error` when the plan is invalid or the fleet failed.
 */
export type FromFleet =
  | { type: 'ready' }
  /** Added by the fleet: sent once `start` is taken; `startedAtMs` is the wall clock at scenario second 0. */
  | { type: 'started'; startedAtMs: number }
  | { type: 'second'; second: FleetSecond }
  | { type: 'summary'; summary: FleetSummary }
  | { type: 'error'; message: string };

/** What the players saw during one scenario second. Counts are events in that second; gauges are at its end. */
export interface FleetSecond {
  t: number;
  /** Gauges: players the arrival curve wants online, and those holding a session with an open control socket. */
  wanted: number;
  online: number;
  /** Login attempts by outcome: `ok`, `queued` (202), and failures by error code (or `NETWORK`). */
  logins: Record<string, number>;
  refreshes: Record<string, number>;
  rejoins: Record<string, number>;
  /** Control sockets closed, by close code (4001 kicked, 4003 revoked, 1006 dropped, …). */
  closes: Record<string, number>;
  reconnects: number;
  /** Owners whose login was refused as not entitled, or whose token carried no licence. */
  ownersDenied: number;
  /** Added by the fleet: sessions lost this second (as `FleetSummary.sessionsLost`). */
  sessionsLost?: number;
  /** Added by the fleet: requests sent to Lifeline this second, by endpoint (as `FleetSummary.requests`). */
  requests?: Record<string, number>;
  /** Added by the fleet: game joins (plan.gameJoinUrl) answered this second, by outcome (`ok`, `HTTP_<status>`, `NETWORK`). */
  gameJoins?: Record<string, number>;
}

/** One player's time out: from losing (or failing to get) a session it wanted, to holding one again. */
export interface Outage {
  player: string;
  /** Scenario seconds. */
  outAt: number;
  /** Null when the player was still out at the end. */
  backAt: number | null;
  /**
   * Added by the fleet, with `backAt`: when the player sent the request that brought it back (scenario
   * seconds): the rejoin, login (or login poll) or refresh whose answer gave it the session it is back
   * on, else the socket upgrade that was welcomed (a dropped socket reconnecting to the same session).
   * Whatever Lifeline did to bring the player back, it did between this and `backAt`. When a request
   * before it got no answer (a timeout, a reset) since the last answer, it is that one's: Lifeline may
   * have done the work and lost only the answer.
   */
  backSentAt?: number;
  /** Why it went out: a close code (`close:4001`), or the failed call's error code (`login:UPSTREAM_UNAVAILABLE`). */
  cause: string;
  /**
   * Added by the fleet: set when the player left (the curve wanted fewer online) while still out;
   * `backAt` stays null. Such an outage ended by the player's choice, not by recovery.
   */
  leftAt?: number;
}

/**
 * A player's first login of the run, for a storm's figures: when it asked, the first ETA a queue
 * quoted it (`etaSeconds`, wall seconds, as Lifeline said it) and when, and when its login was
 * answered with tokens. Times in scenario seconds; null when it did not happen.
 */
export interface FirstLogin {
  startedAt: number;
  etaSeconds: number | null;
  quotedAt: number | null;
  inAt: number | null;
}

export interface FleetSummary {
  players: number;
  /** Sessions ended by something other than an operator's kick or ban and not resumable (refresh refused, 4003 without a ban, …). */
  sessionsLost: number;
  /** Distinct owners denied at least once. */
  ownersDenied: number;
  outages: Outage[];
  /** Requests the fleet sent to Lifeline, by endpoint (for the naive-vs-sdk comparison). */
  requests: Record<string, number>;
  /** Each player's first login, in no particular order (a storm's time until all are in, its ETAs). */
  firstLogins: FirstLogin[];
}
