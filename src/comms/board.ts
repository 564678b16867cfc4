/**
 * Gathers what the status page shows, at most once per `cacheMs` of the clock: a page that every
 * game client polls must not become a query per request.
 */
import type { Signal, SignalQuery } from '../signals/records.ts';
import type { IncidentHeader } from '../store/index.ts';
import type { IncidentQuery } from '../incidents/records.ts';
import type { PublicUpdate } from './records.ts';
import {
  componentStatesOf,
  type ComponentState,
  type StatusInputs,
  statusSummary,
  worstState,
} from './status.ts';

export interface StatusBoardDeps {
  pageName: string;
  pageUrl: string;
  regions: readonly string[];
  /** Incidents resolved longer ago than this leave the page. */
  historyMs: number;
  cacheMs: number;
  clock: () => number;
  readiness: () => Promise<{ ready: boolean; dependencies: Record<string, string> }>;
  signals: (q: SignalQuery) => Promise<Signal[]>;
  incidents: (q: IncidentQuery) => Promise<IncidentHeader[]>;
  updatesSince: (since: number, limit: number) => Promise<PublicUpdate[]>;
}

const MAX_UPDATES = 2000;

export class StatusBoard {
  readonly #d: StatusBoardDeps;
  #cached: { at: number; inputs: Promise<StatusInputs> } | undefined;

  constructor(deps: StatusBoardDeps) {
    this.#d = deps;
  }

  get cacheSeconds(): number {
    return Math.floor(this.#d.cacheMs / 1000);
  }

  async summary(): Promise<Record<string, unknown>> {
    return statusSummary(await this.#inputs());
  }

  async worst(): Promise<ComponentState> {
    return worstState(componentStatesOf(await this.#inputs()).values());
  }

  #inputs(): Promise<StatusInputs> {
    const now = this.#d.clock();
    if (this.#cached && now - this.#cached.at < this.#d.cacheMs) return this.#cached.inputs;
    const inputs = this.#gather(now);
    this.#cached = { at: now, inputs };
    // A failed gathering is not kept: the next request tries again.
    inputs.catch(() => {
      if (this.#cached?.inputs === inputs) this.#cached = undefined;
    });
    return inputs;
  }

  async #gather(now: number): Promise<StatusInputs> {
    const d = this.#d;
    const [readiness, openSignals, updates] = await Promise.all([
      d.readiness(),
      d.signals({ state: 'open', limit: 500 }),
      d.updatesSince(now - d.historyMs, MAX_UPDATES),
    ]);
    const told = new Set(updates.map((u) => u.incidentId));
    const incidents =
      told.size === 0 ? [] : (await d.incidents({ limit: 500 })).filter((i) => told.has(i.id));
    return {
      pageName: d.pageName,
      pageUrl: d.pageUrl,
      now,
      ready: readiness.ready,
      dependencies: readiness.dependencies,
      regions: d.regions,
      openSignals,
      incidents,
      updates,
    };
  }
}
