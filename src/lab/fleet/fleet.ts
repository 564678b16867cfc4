/**
 * The fleet in this process: one tick (a wall timer at most every 250 ms, and at least once a
 * scenario second) moves players in and out as the curve wants and hands out the seconds that
 * ended; one heartbeat timer (every wall second) pings a slice of the online players, so each
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
import type { FleetPlan, FleetSecond, FleetSummary } from './types.ts';
import type { World } from './wire.ts';

export interface RunningFleet {
  /** Wall clock (ms since the epoch) at scenario second 0. */
  readonly startedAtMs: number;
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

/** Starts a fleet in this process; `onSecond` gets each scenario second as it ends. */
export function startFleet(
  input: FleetPlan,
  onSecond: (second: FleetSecond) => void,
  options: FleetOptions = {},
): RunningFleet {
  const plan = parseFleetPlan(input);
  const startedAtMs = Date.now();
  const now = () => ((Date.now() - startedAtMs) / 1000) * plan.timeScale;
  const pool = new HttpPool(options.maxSockets ?? plan.players);
  const timers = new Timers();
  const stopped = new AbortController();
  const w: World = {
    plan,
    meter: new Meter(now),
    pool,
    timers,
    nodes: new NodeHealth(plan.nodes, pool, timers, stopped.signal),
    sockets: new Set(),
    online: new Set(),
    heartbeatSeconds: 15,
    stopped: false,
  };
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
  const ticker = setInterval(tick, Math.max(20, Math.min(250, 1000 / plan.timeScale)));
  let beat = 0;
  const heartbeat = setInterval(() => {
    const every = Math.max(1, Math.round(w.heartbeatSeconds));
    beat++;
    for (const p of w.online) if (p.rank % every === beat % every) p.ping();
  }, 1000);
  tick();
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
    startedAtMs,
    now,
    gauges,
    stop: () => {
      stopping ??= stop();
      return stopping;
    },
  };
}
