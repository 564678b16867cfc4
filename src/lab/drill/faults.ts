/**
 * Scenario faults onto the lab's upstreams. An upstream holds at most one fault of each kind, so
 * the set sent is its standing faults (normal capacity, latency) overlaid by the scenario faults
 * in force, the latest onset of a kind winning; a fault that ends puts the standing one back.
 */
import type { Fault, FaultTarget } from '../scenario/index.ts';
import { type DnsFaults, unavailableDns } from './dns.ts';
import { type DrillUpstream, putFaults } from './upstreams.ts';

/** The lab's words for a scenario fault (the scenario's `dns` kind is not an HTTP fault). */
export function labFault(f: Exclude<Fault, { kind: 'dns' }>): Record<string, unknown> {
  switch (f.kind) {
    case 'down':
      return { kind: 'down' };
    case 'error':
      return { kind: 'error', rate: f.rate, ...(f.status === undefined ? {} : { status: f.status }) };
    case 'latency':
      return { kind: 'latency', ms: f.ms, ...(f.jitterMs === undefined ? {} : { jitterMs: f.jitterMs }) };
    case 'timeout':
      return { kind: 'timeout' };
    case 'reset':
      return { kind: 'reset', rate: 1 };
    case 'rate-limited':
      return { kind: 'rate-limited', retryAfterSeconds: f.retryAfterSeconds };
    case 'capacity':
      return f.perSecond === undefined
        ? { kind: 'capacity', inFlight: f.inFlight }
        : { kind: 'capacity', perSecond: f.perSecond };
  }
}

/** Switches scenario faults on and off, keeping what is in force per upstream. */
export class FaultSwitch {
  readonly #ups: ReadonlyMap<FaultTarget, DrillUpstream>;
  readonly #dns: DnsFaults;
  readonly #active = new Map<FaultTarget, Fault[]>();
  /** Faults that were in force, with the scenario seconds they were: for findings. */
  readonly applied: { fault: Fault; from: number; to: number | null }[] = [];
  /** Onsets the drill could not put in force (dns faults while no DNS adapter is wired). */
  notApplied = 0;

  constructor(ups: ReadonlyMap<FaultTarget, DrillUpstream>, dns: DnsFaults = unavailableDns) {
    this.#ups = ups;
    this.#dns = dns;
  }

  async set(fault: Fault, on: boolean, now: number): Promise<string | undefined> {
    if (fault.kind === 'dns') {
      const note = on ? await this.#dns.apply(fault) : await this.#dns.recover(fault);
      if (note.applied) this.#record(fault, on, now);
      else if (on) this.notApplied++;
      return note.note;
    }
    const up = this.#ups.get(fault.target);
    if (up === undefined) return `no ${fault.target} upstream in this drill`;
    const list = (this.#active.get(fault.target) ?? []).filter((f) => f !== fault);
    if (on) list.push(fault);
    this.#active.set(fault.target, list);
    const byKind = new Map<unknown, Record<string, unknown>>();
    for (const s of up.standing) byKind.set(s.kind, s);
    for (const f of list) if (f.kind !== 'dns') byKind.set(f.kind, labFault(f));
    await putFaults(up, [...byKind.values()]);
    this.#record(fault, on, now);
    return undefined;
  }

  #record(fault: Fault, on: boolean, now: number): void {
    if (on) this.applied.push({ fault, from: now, to: null });
    else {
      const open = this.applied.find((a) => a.fault === fault && a.to === null);
      if (open) open.to = now;
    }
  }
}
