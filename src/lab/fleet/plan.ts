/**
 * A fleet plan arrives over IPC, so it is checked like any input: a coded error
 * (VALIDATION_FAILED) naming the first bad field, never a crash half-way through a run.
 */
import { LifelineError } from '../../errors/index.ts';
import { clientModes } from '../scenario/kinds.ts';
import type { FleetPlan } from './types.ts';

/** More players than this in one process would not fit its open files (two per player). */
export const maxFleetPlayers = 9_000;

type Obj = Record<string, unknown>;

function bad(path: string, rule: string): never {
  throw new LifelineError('VALIDATION_FAILED', `fleet plan: ${path} ${rule}`, { details: { path } });
}

function obj(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(path, 'must be an object');
  return v as Obj;
}

function num(v: unknown, path: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max)
    bad(path, `must be a number from ${min} to ${max}`);
  return v;
}

function str(v: unknown, path: string, pattern?: RegExp): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > 2048 || (pattern && !pattern.test(v)))
    bad(path, pattern ? `must match ${pattern}` : 'must be a non-empty string');
  return v;
}

function list<T>(v: unknown, path: string, max: number, each: (x: unknown, p: string) => T): T[] {
  if (!Array.isArray(v) || v.length === 0 || v.length > max) bad(path, `must list 1-${max} items`);
  return v.map((x, i) => each(x, `${path}[${i}]`));
}

const httpUrl = /^https?:\/\/[^\s]+$/;

function arrival(v: unknown): FleetPlan['arrival'] {
  const a = obj(v, 'arrival');
  if (a.curve === 'storm')
    return {
      curve: 'storm',
      at: num(a.at, 'arrival.at', 0),
      overSeconds: num(a.overSeconds, 'arrival.overSeconds', 0),
    };
  if (a.curve !== 'diurnal') bad('arrival.curve', 'must be "diurnal" or "storm"');
  return {
    curve: 'diurnal',
    troughShare: num(a.troughShare, 'arrival.troughShare', 0, 1),
    peakShare: num(a.peakShare, 'arrival.peakShare', 0, 1),
    periodSeconds: num(a.periodSeconds, 'arrival.periodSeconds', 1e-3),
    peakAtSeconds: num(a.peakAtSeconds, 'arrival.peakAtSeconds', 0),
    ...(a.rampSeconds === undefined ? {} : { rampSeconds: num(a.rampSeconds, 'arrival.rampSeconds', 1e-3) }),
  };
}

function credential(v: unknown): FleetPlan['credential'] {
  const c = obj(v, 'credential');
  if (c.kind === 'playerId') return { kind: 'playerId' };
  if (c.kind !== 'oidc') bad('credential.kind', 'must be "playerId" or "oidc"');
  return { kind: 'oidc', issuerControlUrl: str(c.issuerControlUrl, 'credential.issuerControlUrl', httpUrl) };
}

function regions(v: unknown): FleetPlan['regions'] {
  return list(v, 'regions', 256, (r, p) => {
    const o = obj(r, p);
    return {
      region: str(o.region, `${p}.region`),
      shards: list(o.shards, `${p}.shards`, 256, (s, sp) => str(s, sp)),
      weight: num(o.weight, `${p}.weight`, 1e-9),
    };
  });
}

/** Checks a plan from anywhere (IPC, a test) and returns it typed; throws VALIDATION_FAILED. */
export function parseFleetPlan(input: unknown): FleetPlan {
  const p = obj(input, 'plan');
  const think = obj(p.thinkSeconds, 'thinkSeconds');
  const min = num(think.min, 'thinkSeconds.min', 0);
  const client = p.client;
  if (!clientModes.includes(client as never)) bad('client', `must be one of ${clientModes.join(', ')}`);
  const plan: FleetPlan = {
    seed: num(p.seed, 'seed', 0, 2 ** 32),
    players: Math.floor(num(p.players, 'players', 1, maxFleetPlayers)),
    nodes: list(p.nodes, 'nodes', 64, (n, np) => str(n, np, httpUrl)),
    regions: regions(p.regions),
    arrival: arrival(p.arrival),
    thinkSeconds: { min, max: num(think.max, 'thinkSeconds.max', min) },
    client: client as FleetPlan['client'],
    ownerShare: num(p.ownerShare, 'ownerShare', 0, 1),
    credential: credential(p.credential),
    timeScale: num(p.timeScale, 'timeScale', 1e-3, 1e4),
    durationSeconds: num(p.durationSeconds, 'durationSeconds', 1e-3),
  };
  if (p.noLicence !== undefined) plan.noLicence = str(p.noLicence, 'noLicence');
  if (p.gameJoinUrl !== undefined) plan.gameJoinUrl = str(p.gameJoinUrl, 'gameJoinUrl', httpUrl);
  if (p.warmUp !== undefined) {
    if (typeof p.warmUp !== 'boolean') bad('warmUp', 'must be true or false');
    plan.warmUp = p.warmUp as boolean;
  }
  if (p.naiveRetryMs !== undefined) plan.naiveRetryMs = num(p.naiveRetryMs, 'naiveRetryMs', 1, 60_000);
  return plan;
}
