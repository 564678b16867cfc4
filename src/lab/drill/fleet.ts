/**
 * The fleet of virtual players in a process of its own (src/lab/fleet/process.ts, its contract in
 * src/lab/fleet/types.ts), through its parent side (spawnFleet): the drill sends the plan,
 * collects a record per scenario second, and asks for the summary at the end.
 */
import { type FleetPlan, type FleetProcess, type FleetSecond, spawnFleet } from '../fleet/index.ts';
import type { Scenario } from '../scenario/index.ts';

export interface FleetHandle {
  fleet: FleetProcess;
  /** Wall ms at the fleet's scenario second 0 (as the fleet says). */
  t0: number;
  seconds: FleetSecond[];
  /** Errors the fleet reported. */
  errors: string[];
}

/** The fleet's plan from the scenario: the same players, curve and clock; naive clients when unprotected. */
export function fleetPlan(
  s: Scenario,
  nodes: string[],
  options: {
    seed: number;
    protected: boolean;
    oidcControlUrl?: string;
    gameJoinUrl?: string;
    warmUp?: boolean;
  },
): FleetPlan {
  return {
    seed: options.seed,
    players: s.players.count,
    nodes,
    regions: Object.entries(s.topology.regions).map(([region, r]) => ({
      region,
      shards: r.shards,
      weight: s.players.regionWeights?.[region] ?? 1,
    })),
    arrival: s.players.arrival,
    thinkSeconds: s.players.thinkSeconds,
    client: options.protected ? s.players.client : 'naive',
    ownerShare: s.players.ownerShare ?? 1,
    credential: options.oidcControlUrl
      ? { kind: 'oidc', issuerControlUrl: options.oidcControlUrl }
      : { kind: 'playerId' },
    timeScale: s.timeScale,
    durationSeconds: s.durationSeconds,
    ...(options.gameJoinUrl ? { gameJoinUrl: options.gameJoinUrl } : {}),
    ...(options.warmUp ? { warmUp: true } : {}),
  };
}

/**
 * Forks the fleet process with the plan; `t0` is when it was started, after its warm-up if it
 * has one (the drill's clock starts there).
 */
export async function launchFleet(plan: FleetPlan): Promise<FleetHandle> {
  const fleet = await spawnFleet(plan);
  const t0 = fleet.startedAtMs ?? Date.now();
  const handle: FleetHandle = { fleet, t0, seconds: [], errors: [] };
  fleet.on('second', (s) => handle.seconds.push(s));
  fleet.on('error', (err) => handle.errors.push(err.message));
  return handle;
}

/** Ends the fleet process if it is still there (by its PID, through its handle). */
export function killFleet(handle: FleetHandle | undefined): void {
  handle?.fleet.kill();
}
