/**
 * The fleet in this process: one tick (a wall timer every 20 ms, so a storm's arrivals follow
 * its curve rather than come in lumps) moves players in and out as the curve wants and hands out
 * the seconds that ended; one heartbeat timer (every wall second) pings a slice of the online players, so each
 * pings once per the nodes' heartbeat interval. No timer per player spins.
 */
import { HttpPool } from './http.ts';
import { curveOf } from './curve.ts';
import { Meter } from './meter.ts';
import { NodeHealth } from './nodes.ts';
import { parseFleetPlan } from './plan.ts';
import { Player } from './player.ts';
import { buildRoster } from './roster.ts';
import { Timers } from './timers.ts';
import { type FleetPlan, type FleetSecond, type FleetSummary, warmUpMaxSeconds } from './types.ts';
import type { World } from './wire.ts';

export interface RunningFleet {
  /** Wall clock (ms since the epoch) at scenario second 0 (with `plan.warmUp`, once `ready`). */
  readonly startedAtMs: number;
  /** Resolves when scenario second 0 begins: at once, or when the warm-up is over. */
  readonly ready: Promise<void>;
  /** Scenario seconds since the start. */
  now(): number;
  /** Players the curve wants online now, and those online (welcomed on their socket). */
  gauges(): { wanted: number; online: number };
  /** Cuts every socket, request and wait, hands out the last seconds, and sums up. */
  stop(): Promise<FleetSummary>;
}

export interface FleetOptions {
  /**
   * Sockets in the HTTP pool, per node (requests beyond wait their turn). A player has at most
   * one request in flight, so the default lets every player have its own connection, as devices
   * do: a smaller pool would cap a naive fleet's retry storm at the pool's size.
   * @defaultValue the plan's players
   */
  maxSockets?: number;
}

/** One timer pings a slice of the online players each wall second: each pings once per heartbeat. */
function startHeartbeat(w: World): ReturnType<typeof setInterval> {
  let beat = 0;
  return setInterval(() => {
    const every = Math.max(1, Math.round(w.heartbeatSeconds));
    beat++;
    for (const p of w.online) if (p.rank % every === beat % every) p.ping();
  }, 1000);
}

/** These players log in at once (no think time); resolves when all are online (or the wait is too long). */
async function warmUp(w: World, players: readonly Player[]): Promise<void> {
  for (const p of players) p.arrive(false);
  const until = Date.now() + warmUpMaxSeconds * 1000;
  while (!w.stopped && w.online.size < players.length && Date.now() < until) {
    await w.timers.sleep(50).catch(() => {});
  }
}

/** The fleet's shared state: its plan, meter, HTTP pool, timers and the nodes' health. */
function worldOf(plan: World['plan'], now: () => number, options: FleetOptions, stopped: AbortSignal): World {
  const pool = new HttpPool(options.maxSockets ?? plan.players);
  const timers = new Timers();
  return {
    plan,
    meter: new Meter(now),
    pool,
    timers,
    nodes: new NodeHealth(plan.nodes, pool, timers, stopped),
    sockets: new Set(),
    online: new Set(),
    heartbeatSeconds: 15,
    stopped: false,
  };
}

/** Starts a fleet in this process; `onSecond` gets each scenario second as it ends. */
export function startFleet(
  input: FleetPlan,
  onSecond: (second: FleetSecond) => void,
  options: FleetOptions = {},
): RunningFleet {
  const plan = parseFleetPlan(input);
  let startedAtMs = Date.now();
  // A warm-up happens before scenario second 0: what it measures lands in second 0.
  let warming = plan.warmUp === true;
  const now = () => (warming ? 0 : ((Date.now() - startedAtMs) / 1000) * plan.timeScale);
  const stopped = new AbortController();
  const w = worldOf(plan, now, options, stopped.signal);
  const players = buildRoster(plan).map((seat) => new Player(seat, w));
  const curve = curveOf(plan);
  let wanted = 0;
  const gauges = () => ({ wanted, online: w.online.size });
  const emit = (seconds: FleetSecond[]) => {
    for (const s of seconds) {
      try {
        onSecond(s);
      } catch {
        // The listener's failure is its own; the fleet carries on measuring.
      }
    }
  };
  const tick = () => {
    const target = curve.wanted(now());
    while (wanted < target) (players[wanted++] as Player).arrive(curve.thinkFirst);
    while (wanted > target) (players[--wanted] as Player).leave();
    emit(w.meter.flush(gauges()));
  };
  let ticker: ReturnType<typeof setInterval> | undefined;
  const heartbeat = startHeartbeat(w);
  const begin = () => {
    if (w.stopped) return;
    startedAtMs = Date.now();
    warming = false;
    ticker = setInterval(tick, 20);
    tick();
  };
  const warm = async () => {
    wanted = curve.wanted(0);
    await warmUp(w, players.slice(0, wanted));
  };
  const ready = plan.warmUp ? warm().then(begin) : Promise.resolve(begin());
  let stopping: Promise<FleetSummary> | undefined;
  const stop = async (): Promise<FleetSummary> => {
    clearInterval(ticker);
    clearInterval(heartbeat);
    emit(w.meter.flush(gauges(), true));
    w.stopped = true;
    stopped.abort();
    for (const p of players) p.stop();
    w.timers.clear();
    for (const s of w.sockets) s.terminate();
    w.pool.destroy();
    // Let the cut sockets and requests settle before the summary is read.
    await new Promise((r) => setImmediate(r));
    return w.meter.summary(players.length);
  };
  return {
    get startedAtMs() {
      return startedAtMs;
    },
    ready,
    now,
    gauges,
    stop: () => {
      stopping ??= stop();
      return stopping;
    },
  };
}
