/**
 * DNS faults, in the scenario's words (src/lab/scenario/faults.ts, kind `dns`): a target's
 * hostname becomes `unresolvable` (its own servers answer NXDOMAIN or SERVFAIL), or the parent
 * zone loses its `delegation` (seed 001's deleted NS record). Either way resolvers keep what they
 * cached until it lapses; `cacheTtlSeconds` caps how long that can be, from the fault's onset.
 */
import { LifelineError } from '../../errors/index.ts';
import { dnsModes } from '../scenario/kinds.ts';

export type DnsMode = (typeof dnsModes)[number];

export type DnsFault =
  | {
      kind: 'dns';
      /** A hostname the lab serves, by its label (`identity` for `identity.lab.test`). */
      target: string;
      mode: DnsMode;
      /** What `unresolvable` answers. @defaultValue "NXDOMAIN" */
      rcode?: 'NXDOMAIN' | 'SERVFAIL';
      /** Share (0..1) of `unresolvable` queries that fail, drawn from the lab's seed. @defaultValue 1 */
      rate?: number;
      /** Cached answers for the target lapse at most this long after the onset. */
      cacheTtlSeconds?: number;
    }
  /** Clears the target's fault, or every fault without one. */
  | { kind: 'recover'; target?: string };

export type ActiveDnsFault = Extract<DnsFault, { kind: 'dns' }>;

const invalid = (path: string, message: string) =>
  new LifelineError('LAB_FAULT_INVALID', `${path}: ${message}`, { details: { path } });

const allowed = {
  dns: ['target', 'mode', 'rcode', 'rate', 'cacheTtlSeconds'],
  recover: ['target'],
};

/** Checks one DNS fault from untrusted JSON against the lab's targets; LAB_FAULT_INVALID names the field. */
export function parseDnsFault(input: unknown, targets: readonly string[], path = 'fault'): DnsFault {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw invalid(path, 'a fault is an object with a "kind"');
  const o = input as Record<string, unknown>;
  if (o.kind !== 'dns' && o.kind !== 'recover') throw invalid(`${path}.kind`, 'expected dns or recover');
  for (const key of Object.keys(o))
    if (key !== 'kind' && !allowed[o.kind].includes(key))
      throw invalid(`${path}.${key}`, `not a field of "${o.kind}"`);
  if (o.target !== undefined && (typeof o.target !== 'string' || !targets.includes(o.target)))
    throw invalid(`${path}.target`, `expected one of ${targets.join(', ')}`);
  if (o.kind === 'recover') return { ...o } as DnsFault;
  if (o.target === undefined) throw invalid(`${path}.target`, 'required');
  if (!dnsModes.includes(o.mode as DnsMode))
    throw invalid(`${path}.mode`, `expected one of ${dnsModes.join(', ')}`);
  if (o.rcode !== undefined && o.rcode !== 'NXDOMAIN' && o.rcode !== 'SERVFAIL')
    throw invalid(`${path}.rcode`, 'NXDOMAIN or SERVFAIL');
  if (o.rate !== undefined && !(typeof o.rate === 'number' && o.rate >= 0 && o.rate <= 1))
    throw invalid(`${path}.rate`, 'a number between 0 and 1');
  const ttl = o.cacheTtlSeconds;
  if (ttl !== undefined && !(typeof ttl === 'number' && Number.isFinite(ttl) && ttl >= 0 && ttl <= 86_400))
    throw invalid(`${path}.cacheTtlSeconds`, 'between 0 and 86400');
  if (o.mode !== 'unresolvable' && (o.rcode !== undefined || o.rate !== undefined))
    throw invalid(path, 'rcode and rate apply to unresolvable only');
  return { ...o } as DnsFault;
}

/** A whole set: a list, at most one fault per target. */
export function parseDnsFaults(input: unknown, targets: readonly string[], path = 'faults'): DnsFault[] {
  if (!Array.isArray(input)) throw invalid(path, 'a list of faults');
  const faults = input.map((f, i) => parseDnsFault(f, targets, `${path}[${i}]`));
  const named = faults.flatMap((f) => (f.kind === 'dns' ? [f.target] : []));
  const twice = named.find((t, i) => named.indexOf(t) !== i);
  if (twice !== undefined) throw invalid(path, `"${twice}" appears twice`);
  return faults;
}

/**
 * A scenario's `dns` fault (src/lab/scenario/faults.ts) as the lab applies it at its `at`; at its
 * `until` the runner applies `{kind: 'recover', target}`.
 */
export function fromScenario(f: { target: string; mode: DnsMode; cacheTtlSeconds?: number }): ActiveDnsFault {
  return {
    kind: 'dns',
    target: f.target,
    mode: f.mode,
    ...(f.cacheTtlSeconds === undefined ? {} : { cacheTtlSeconds: f.cacheTtlSeconds }),
  };
}
