/**
 * Measured facts worth a line that are not objectives. The one seed 001 asks for: how many
 * sessions a gateway that refreshed through identity (as the seed's did) would have lost, counted
 * from the refreshes that reached Lifeline while identity could not answer.
 */
import type { FleetSecond, FleetSummary } from '../fleet/types.ts';
import type { KickTally } from './actions.ts';
import type { FaultSwitch } from './faults.ts';
import type { DrillResult } from './result.ts';

type Finding = DrillResult['findings'][number];

/** Kinds of fault under which identity answers nobody. */
const unreachable = new Set(['down', 'timeout', 'reset', 'dns']);

function identityDown(faults: FaultSwitch, t: number): boolean {
  return faults.applied.some(
    (a) =>
      a.fault.target === 'identity' &&
      unreachable.has(a.fault.kind) &&
      t >= a.from &&
      (a.to === null || t < a.to),
  );
}

function sum(record: Record<string, number>): number {
  return Object.values(record).reduce((n, v) => n + v, 0);
}

export interface FindingsInput {
  fleetSeconds: readonly FleetSecond[];
  fleet: FleetSummary;
  faults: FaultSwitch;
  tally: KickTally;
  hasIdentity: boolean;
  dnsSkipped: number;
  fleetErrors: readonly string[];
  history: number | null;
}

function refreshesWhileIdentityDown(input: FindingsInput): Finding {
  const refreshes = input.fleetSeconds
    .filter((s) => identityDown(input.faults, s.t))
    .reduce((n, s) => n + sum(s.refreshes), 0);
  return {
    name: 'refreshesWhileIdentityDown',
    value: refreshes,
    detail:
      'token refreshes that reached Lifeline while identity was down, timing out, resetting or unresolvable: sessions a gateway refreshing through identity would have lost',
  };
}

function outages(fleet: FleetSummary): Finding {
  const causes: Record<string, number> = {};
  for (const o of fleet.outages) causes[o.cause] = (causes[o.cause] ?? 0) + 1;
  const notBack = fleet.outages.filter((o) => o.backAt === null);
  const left = notBack.filter((o) => o.leftAt !== undefined).length;
  return {
    name: 'outages',
    value: fleet.outages.length,
    detail: `players' times out, by cause: ${JSON.stringify(causes)}; ${notBack.length - left} still out at the end, ${left} left the game while out`,
  };
}

function kicks(tally: KickTally): Finding {
  const refused =
    Object.entries(tally.refused)
      .map(([c, n]) => `${c} ${n}`)
      .join(', ') || 'none';
  return { name: 'sessionsKicked', value: tally.kicked, detail: `kicks refused: ${refused}` };
}

export function findings(input: FindingsInput): Finding[] {
  const out: Finding[] = [];
  if (input.history !== null) {
    const detail = 'owners logged in once before the drill, so Lifeline holds their last known good licence';
    out.push({ name: 'ownersWithHistory', value: input.history, detail });
  }
  if (input.hasIdentity) out.push(refreshesWhileIdentityDown(input));
  if (input.tally.kicked > 0 || Object.keys(input.tally.refused).length > 0) out.push(kicks(input.tally));
  if (input.dnsSkipped > 0) {
    const detail = 'dns fault onsets not put in force (an adapter that could not apply them)';
    out.push({ name: 'dnsFaultsNotApplied', value: input.dnsSkipped, detail });
  }
  out.push(outages(input.fleet));
  const requests = JSON.stringify(input.fleet.requests);
  const detail = `requests the fleet sent to Lifeline: ${requests}`;
  out.push({ name: 'fleetRequests', value: sum(input.fleet.requests), detail });
  if (input.fleetErrors.length > 0) {
    const errors = input.fleetErrors.slice(0, 3).join('; ');
    out.push({ name: 'fleetErrors', value: input.fleetErrors.length, detail: errors });
  }
  return out;
}
