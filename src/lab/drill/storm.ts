/**
 * A login storm's two figures, measured by the fleet as bench:storm measures them on its own
 * clients (docs/BENCHMARKS.md, "storms by size"):
 *
 * - **All in over N/C**: from the first player asking to log in until every player who asked
 *   had its tokens, over N/C (N the players who asked, C the identity upstream's capacity a
 *   second). 1 is the upstream busy from the first call to the last; admission's ideal.
 * - **First-ETA error**: each queued player's first quoted ETA against the wait that followed it,
 *   |ETA − wait| / max(1 s, wait), at the 90th percentile (the bench's definition).
 *
 * Fleet times are scenario seconds; Lifeline's ETAs and the upstream's capacity are wall-clock,
 * so the fleet's spans are divided by the time scale first.
 */
import type { FirstLogin } from '../fleet/types.ts';

export interface StormFigure {
  /** Null when it cannot be measured (a player never got in, no player was quoted). */
  value: number | null;
  detail: string;
}

const round = (n: number, places: number) => Math.round(n * 10 ** places) / 10 ** places;

export function allInRatio(
  logins: readonly FirstLogin[],
  capacityPerSecond: number,
  timeScale: number,
): StormFigure {
  if (logins.length === 0) return { value: null, detail: 'no player asked to log in' };
  const never = logins.filter((l) => l.inAt === null).length;
  if (never > 0) return { value: null, detail: `${never} of ${logins.length} players never got in` };
  const first = Math.min(...logins.map((l) => l.startedAt));
  const last = Math.max(...logins.map((l) => l.inAt as number));
  const wall = (last - first) / timeScale;
  const ideal = logins.length / capacityPerSecond;
  return {
    value: wall / ideal,
    detail: `all ${logins.length} in ${round(wall, 2)} wall s after the first asked; N/C = ${round(ideal, 2)} s at ${capacityPerSecond}/s`,
  };
}

/**
 * Each quoted player's first ETA against the wait that followed (wall seconds), signed: negative
 * when told too soon. `quotedAt` is the quote's time on the logins' own clock. bench:storm traces
 * these; the drill and the bench both judge their absolute values (firstEtaError).
 *
 * Worked in whole milliseconds (the clocks' resolution; ETAs come in tenths of a second), so one
 * division gives the error: in seconds, an ETA of 1.2 s against a wait of 1.5 s came out as
 * 0.20000000000000004, and a drill at exactly its 20% target failed on the last bit.
 */
export function signedEtaErrors(
  logins: readonly FirstLogin[],
  timeScale: number,
): { wait: number; error: number; quotedAt: number }[] {
  return logins
    .filter((l) => l.etaSeconds !== null && l.quotedAt !== null && l.inAt !== null)
    .map((l) => {
      const waitMs = Math.round((((l.inAt as number) - (l.quotedAt as number)) * 1000) / timeScale);
      const etaMs = Math.round((l.etaSeconds as number) * 1000);
      return {
        wait: waitMs / 1000,
        error: (etaMs - waitMs) / Math.max(1000, waitMs),
        quotedAt: l.quotedAt as number,
      };
    });
}

/** The first-ETA errors' absolute values, sorted, and their median and 90th percentile. */
export function etaErrorPercentiles(
  logins: readonly FirstLogin[],
  timeScale: number,
): { count: number; median: number; p90: number } | null {
  const errors = signedEtaErrors(logins, timeScale)
    .map((e) => Math.abs(e.error))
    .sort((a, b) => a - b);
  if (errors.length === 0) return null;
  const at = (p: number) => errors[Math.floor((errors.length - 1) * p)] as number;
  return { count: errors.length, median: at(0.5), p90: at(0.9) };
}

export function firstEtaError(logins: readonly FirstLogin[], timeScale: number): StormFigure {
  const e = etaErrorPercentiles(logins, timeScale);
  if (e === null) return { value: null, detail: 'no player in was quoted an ETA' };
  return {
    value: e.p90,
    detail: `over ${e.count} queued players: median ${round(e.median * 100, 1)}%, p90 ${round(e.p90 * 100, 1)}%`,
  };
}
