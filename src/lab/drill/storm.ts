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

export function firstEtaError(logins: readonly FirstLogin[], timeScale: number): StormFigure {
  const errors = logins
    .filter((l) => l.etaSeconds !== null && l.quotedAt !== null && l.inAt !== null)
    .map((l) => {
      const wait = ((l.inAt as number) - (l.quotedAt as number)) / timeScale;
      return Math.abs((l.etaSeconds as number) - wait) / Math.max(1, wait);
    })
    .sort((a, b) => a - b);
  if (errors.length === 0) return { value: null, detail: 'no player in was quoted an ETA' };
  const at = (p: number) => errors[Math.floor((errors.length - 1) * p)] as number;
  return {
    value: at(0.9),
    detail: `over ${errors.length} queued players: median ${round(at(0.5) * 100, 1)}%, p90 ${round(at(0.9) * 100, 1)}%`,
  };
}
