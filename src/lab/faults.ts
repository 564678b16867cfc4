/**
 * The fault vocabulary, after Toxiproxy's toxics (down, latency, timeout, reset_peer) plus what
 * Lifeline's seeds need on top: a 5xx rate, 429 with Retry-After, and a capacity limit. A fault
 * is plain JSON, so a scenario file, the control API and code all speak the same words.
 */
import { LifelineError } from '../errors/index.ts';

export type Fault =
  /** Connection refused: `refuse` stops listening, `destroy` accepts and destroys at once. */
  | { kind: 'down'; mode?: 'refuse' | 'destroy' }
  /** A share (0..1) of requests answered with a 5xx. @defaultValue status 503 */
  | { kind: 'error'; rate: number; status?: number }
  /** Every request waits `ms`, ± up to `jitterMs` (uniform, seeded). */
  | { kind: 'latency'; ms: number; jitterMs?: number }
  /** Accept and never answer; with `ms`, destroy the socket after that long. */
  | { kind: 'timeout'; ms?: number }
  /** reset_peer: a share (0..1) of requests have their socket reset. @defaultValue rate 1 */
  | { kind: 'reset'; rate?: number }
  /** A share (0..1) of requests answered 429 with `Retry-After`. @defaultValue rate 1 */
  | { kind: 'rate-limited'; retryAfterSeconds: number; rate?: number }
  /**
   * At most `inFlight` requests served at once, the rest queued FIFO; with `serviceMs`, each
   * holds its slot that long (capacity inFlight × 1000 / serviceMs per second, latency rising
   * with the queue). `perSecond: R` is one slot of 1000 / R ms.
   */
  | { kind: 'capacity'; inFlight?: number; perSecond?: number; serviceMs?: number }
  /** Clears every fault: the upstream is healthy again. */
  | { kind: 'recover' };

export type FaultKind = Fault['kind'];
export type ActiveFault = Exclude<Fault, { kind: 'recover' }>;

const fields: Record<FaultKind, readonly string[]> = {
  down: ['mode'],
  error: ['rate', 'status'],
  latency: ['ms', 'jitterMs'],
  timeout: ['ms'],
  reset: ['rate'],
  'rate-limited': ['retryAfterSeconds', 'rate'],
  capacity: ['inFlight', 'perSecond', 'serviceMs'],
  recover: [],
};
export const faultKinds = Object.keys(fields) as FaultKind[];

const invalid = (path: string, message: string) =>
  new LifelineError('LAB_FAULT_INVALID', `${path}: ${message}`, { details: { path } });

type Check = { min: number; max: number; integer?: boolean; required?: boolean };
const checks: Record<string, Check> = {
  rate: { min: 0, max: 1 },
  status: { min: 500, max: 599, integer: true },
  ms: { min: 0, max: 3_600_000 },
  jitterMs: { min: 0, max: 3_600_000 },
  retryAfterSeconds: { min: 0, max: 86_400, integer: true },
  inFlight: { min: 1, max: 1_000_000, integer: true },
  perSecond: { min: 0.001, max: 1_000_000 },
  serviceMs: { min: 0, max: 3_600_000 },
};
const required: Partial<Record<FaultKind, string[]>> = {
  error: ['rate'],
  latency: ['ms'],
  'rate-limited': ['retryAfterSeconds'],
};

/** Checks one fault from untrusted JSON; throws LAB_FAULT_INVALID naming the bad field. */
export function parseFault(input: unknown, path = 'fault'): Fault {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw invalid(path, 'a fault is an object with a "kind"');
  const o = input as Record<string, unknown>;
  const kind = o.kind;
  if (typeof kind !== 'string' || !(kind in fields))
    throw invalid(`${path}.kind`, `expected one of ${faultKinds.join(', ')}`);
  const allowed = fields[kind as FaultKind];
  for (const key of Object.keys(o)) {
    if (key === 'kind') continue;
    if (!allowed.includes(key)) throw invalid(`${path}.${key}`, `not a field of "${kind}"`);
    if (key === 'mode') {
      if (o.mode !== 'refuse' && o.mode !== 'destroy') throw invalid(`${path}.mode`, 'refuse or destroy');
      continue;
    }
    checkNumber(o[key], `${path}.${key}`, checks[key] as Check);
  }
  for (const key of required[kind as FaultKind] ?? [])
    if (o[key] === undefined) throw invalid(`${path}.${key}`, 'required');
  if (kind === 'capacity' && o.inFlight === undefined && o.perSecond === undefined)
    throw invalid(path, 'capacity needs inFlight or perSecond');
  if (kind === 'capacity' && o.perSecond !== undefined && o.inFlight !== undefined)
    throw invalid(path, 'capacity takes inFlight or perSecond, not both');
  return { ...o } as Fault;
}

function checkNumber(value: unknown, path: string, c: Check): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(path, 'a number');
  if (c.integer === true && !Number.isInteger(value)) throw invalid(path, 'an integer');
  if (value < c.min || value > c.max) throw invalid(path, `between ${c.min} and ${c.max}`);
}

/** A whole set from untrusted JSON: a list, at most one fault of each kind. */
export function parseFaults(input: unknown, path = 'faults'): Fault[] {
  if (!Array.isArray(input)) throw invalid(path, 'a list of faults');
  const faults = input.map((f, i) => parseFault(f, `${path}[${i}]`));
  const kinds = faults.map((f) => f.kind);
  const twice = kinds.find((k, i) => kinds.indexOf(k) !== i);
  if (twice !== undefined) throw invalid(path, `"${twice}" appears twice`);
  return faults;
}

/**
 * The faults in force on one upstream, at most one of each kind. Every change awaits the
 * upstream's listeners (a `down` must have stopped listening before the caller carries on).
 */
export class FaultSet {
  #faults = new Map<FaultKind, ActiveFault>();
  readonly #listeners: (() => Promise<void>)[] = [];

  /** Adds a fault, replacing one of the same kind; `recover` clears them all. */
  set(fault: Fault): Promise<void> {
    if (fault.kind === 'recover') return this.clear();
    this.#faults.set(fault.kind, { ...fault });
    return this.#changed();
  }

  /** Replaces the whole set (what `PUT /_lab/faults` does). */
  replace(faults: readonly Fault[]): Promise<void> {
    this.#faults = new Map();
    for (const f of faults) if (f.kind !== 'recover') this.#faults.set(f.kind, { ...f });
    return this.#changed();
  }

  /** Clears one kind, or every fault. */
  clear(kind?: FaultKind): Promise<void> {
    if (kind === undefined) this.#faults.clear();
    else this.#faults.delete(kind);
    return this.#changed();
  }

  get<K extends ActiveFault['kind']>(kind: K): Extract<ActiveFault, { kind: K }> | undefined {
    return this.#faults.get(kind) as Extract<ActiveFault, { kind: K }> | undefined;
  }

  list(): ActiveFault[] {
    return [...this.#faults.values()].map((f) => ({ ...f }));
  }

  onChange(listener: () => Promise<void>): void {
    this.#listeners.push(listener);
  }

  async #changed(): Promise<void> {
    for (const l of this.#listeners) await l();
  }
}
