/**
 * Time to detect, from the real Lifeline processes: the drill polls each running node's
 * `GET /admin/v1/signals?state=all` every couple of wall seconds (and once at the end) and keeps
 * every signal it has seen, by id. A killed node's signals are in the shared store, so another
 * node lists them too.
 */
import type { Scenario } from '../scenario/index.ts';
import type { DrillClock } from './clock.ts';
import { type DrillNode, isRunning } from './nodes.ts';
import type { DrillOperator } from './operators.ts';

export interface SeenSignal {
  id: string;
  source: string;
  detector: string;
  severity: string;
  title: string;
  /** Wall ms. */
  startedAt: number;
  onsetAt: number;
  /** Wall ms, as last listed (a signal resolved after the drill stopped polling reads open). */
  resolvedAt?: number | null;
  /** Where the node says the signal sits (dimension values or error codes), as listed. */
  localisation?: { dimension: string; values: string[]; share: number }[];
}

export class SignalWatch {
  readonly seen = new Map<string, SeenSignal>();
  /** Polls that found no node to ask or were refused. */
  failedPolls = 0;
  readonly #nodes: readonly DrillNode[];
  readonly #op: DrillOperator | undefined;
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> = Promise.resolve();

  constructor(nodes: readonly DrillNode[], op: DrillOperator | undefined) {
    this.#nodes = nodes;
    this.#op = op;
  }

  start(everyMs = 2000): void {
    this.#timer = setInterval(() => void this.poll(), everyMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.poll();
  }

  /** One round over the running nodes; rounds never overlap. */
  poll(): Promise<void> {
    this.#polling = this.#polling.then(() => this.#round());
    return this.#polling;
  }

  async #round(): Promise<void> {
    const op = this.#op;
    const node = this.#nodes.find(isRunning);
    if (!op || !node) {
      this.failedPolls++;
      return;
    }
    try {
      const res = await fetch(`${node.adminUrl}/admin/v1/signals?state=all&limit=1000`, {
        headers: { authorization: `Bearer ${op.token}` },
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await res.json()) as { signals?: SeenSignal[] };
      if (res.status !== 200 || !Array.isArray(body.signals)) throw new Error(`HTTP ${res.status}`);
      for (const s of body.signals) {
        const known = this.seen.get(s.id);
        // The first listing is kept (what the node said when it raised it); only the end moves.
        if (!known) this.seen.set(s.id, pick(s));
        else known.resolvedAt = s.resolvedAt ?? null;
      }
    } catch {
      this.failedPolls++;
    }
  }
}

function pick(s: SeenSignal): SeenSignal {
  const { id, source, detector, severity, title, startedAt, onsetAt, localisation } = s;
  return {
    id,
    source,
    detector,
    severity,
    title,
    startedAt,
    onsetAt,
    resolvedAt: s.resolvedAt ?? null,
    ...(localisation ? { localisation } : {}),
  };
}

/**
 * The onsets an operator must be told of: each fault onset at which no other fault was in force
 * (the start of an incident). A fault that begins while another is still in force belongs to the
 * incident already under way, whose signal is already out.
 */
export function incidentOnsets(s: Scenario): number[] {
  const out = new Set<number>();
  for (const f of s.faults) {
    const busy = s.faults.some((g) => g !== f && g.at < f.at && (g.until ?? s.durationSeconds) > f.at);
    if (!busy) out.add(f.at);
  }
  return [...out].sort((a, b) => a - b);
}

export interface Detection {
  /** Worst over the incidents, scenario seconds; null if one was never signalled. */
  seconds: number | null;
  detail: string;
}

/**
 * Signals raised while no fault was in force yet (before the first incident's onset): in a drill
 * whose world is healthy until then, each is a page nobody should have had.
 */
export function signalsBeforeFault(
  s: Scenario,
  signals: readonly SeenSignal[],
  clock: DrillClock,
): SeenSignal[] {
  const [first] = incidentOnsets(s);
  if (first === undefined) return [];
  return signals.filter((g) => g.startedAt < clock.wallAt(first)).sort((a, b) => a.startedAt - b.startedAt);
}

/** Signals raised before `onset` (wall ms) and not resolved by then. */
function openAt(signals: readonly SeenSignal[], onsetWall: number): SeenSignal[] {
  return signals.filter(
    (g) =>
      g.startedAt < onsetWall &&
      (g.resolvedAt === undefined || g.resolvedAt === null || g.resolvedAt >= onsetWall),
  );
}

/**
 * For each incident onset, the first signal started at or after it; the worst delay is the figure.
 * A signal already open at the onset does not count, whatever it says later: it was raised for
 * something before the fault, and a pooled detector with a signal open raises no second one, so
 * the fault went unannounced (docs/DRILLS.md, "Time to detect"). The detail names it.
 */
export function timeToDetect(s: Scenario, signals: readonly SeenSignal[], clock: DrillClock): Detection {
  const onsets = incidentOnsets(s);
  if (onsets.length === 0) return { seconds: null, detail: 'no fault onset to detect' };
  const sorted = [...signals].sort((a, b) => a.startedAt - b.startedAt);
  let worst = 0;
  const parts: string[] = [];
  for (const onset of onsets) {
    const first = sorted.find((g) => g.startedAt >= clock.wallAt(onset));
    if (!first) {
      const open = openAt(sorted, clock.wallAt(onset)).map(
        (g) =>
          `${g.detector} (${g.severity}) open since ${clock.at(g.startedAt).toFixed(1)} s, raised before the fault`,
      );
      parts.push(
        `onset at ${onset} s: no signal started after it by the end${open.length > 0 ? ` (already open: ${open.join(', ')})` : ''}`,
      );
      return { seconds: null, detail: `${parts.join('; ')} (${signals.length} signals seen in all)` };
    }
    const delay = clock.at(first.startedAt) - onset;
    worst = Math.max(worst, delay);
    const wall = (first.startedAt - clock.wallAt(onset)) / 1000;
    parts.push(
      `onset at ${onset} s: ${first.detector} (${first.source}, ${first.severity}) after ${delay.toFixed(1)} scenario s = ${wall.toFixed(1)} wall s`,
    );
  }
  return {
    seconds: worst,
    detail: `first signal from the nodes' GET /admin/v1/signals after each incident's onset: ${parts.join('; ')}`,
  };
}
