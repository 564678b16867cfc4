/**
 * The fleet of virtual players in a process of its own (src/lab/fleet/process.ts, its contract in
 * src/lab/fleet/types.ts), driven over IPC: the drill sends the plan, collects a record per
 * scenario second, and asks for the summary at the end.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FleetPlan, FleetSecond, FleetSummary, FromFleet, ToFleet } from '../fleet/types.ts';
import type { Scenario } from '../scenario/index.ts';

export const fleetProcessFile = join(import.meta.dirname, '..', 'fleet', 'process.ts');

export interface FleetHandle {
  child: ChildProcess;
  seconds: FleetSecond[];
  /** Sends the plan; resolves with the wall time it was sent (the drill's t0). */
  start(plan: FleetPlan): number;
  /** Asks for the summary; resolves once it came (or rejects if the fleet died or erred). */
  stop(): Promise<FleetSummary>;
  /** Errors the fleet reported. */
  errors: string[];
}

/** The fleet's plan from the scenario: the same players, curve and clock; naive clients when unprotected. */
export function fleetPlan(
  s: Scenario,
  nodes: string[],
  options: { seed: number; protected: boolean; oidcControlUrl?: string },
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
  };
}

/** Forks the fleet process and waits for it to say it is ready. */
export async function startFleet(): Promise<FleetHandle> {
  if (!existsSync(fleetProcessFile))
    throw new Error(`the fleet is not built yet (${fleetProcessFile} is missing)`);
  const child = fork(fleetProcessFile, [], {
    execPath: process.execPath,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const seconds: FleetSecond[] = [];
  const errors: string[] = [];
  let summary: (value: FleetSummary) => void = () => {};
  let failed: (err: Error) => void = () => {};
  const summarised = new Promise<FleetSummary>((resolve, reject) => {
    summary = resolve;
    failed = reject;
  });
  summarised.catch(() => {});
  const ready = new Promise<void>((resolve, reject) => {
    child.on('message', (m: FromFleet) => {
      if (m.type === 'ready') resolve();
      else if (m.type === 'second') seconds.push(m.second);
      else if (m.type === 'summary') summary(m.summary);
      else if (m.type === 'error') errors.push(m.message);
    });
    child.once('exit', (code, signal) => {
      const err = new Error(`the fleet exited (${code ?? signal}): ${errors.join('; ')}`);
      reject(err);
      failed(err);
    });
  });
  await ready;
  const send = (m: ToFleet) => child.send(m);
  return {
    child,
    seconds,
    errors,
    start(plan) {
      send({ type: 'start', plan });
      return Date.now();
    },
    stop() {
      if (child.connected) send({ type: 'stop' });
      return summarised;
    },
  };
}

/** Ends the fleet process if it is still there (by its PID, through its handle). */
export function killFleet(fleet: FleetHandle | undefined): void {
  if (fleet && fleet.child.exitCode === null && fleet.child.signalCode === null) fleet.child.kill('SIGKILL');
}
