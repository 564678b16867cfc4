/**
 * The detectors, fed by the running node: every login this node serves is counted into the
 * current step's tally, per cell (region × shard × client version, cells added as new
 * combinations are seen) and per error code; player reports likewise. When the clock passes the
 * end of a step, the step is closed and read by `FailureDetector`, `DropDetector` (with the
 * players online from live state) and `ReportDetector`, and what they say is raised or resolved
 * as a signal. The clock is injected: a test moves a `TestClock` and calls `poll()`.
 *
 * Per node: each node tallies its own logins and reports (with several nodes, each detects on
 * its own traffic; a fault on every node raises one signal, deduplicated by fingerprint in the
 * store). Players online are read from live state, which is shared on Redis.
 */
import {
  type CellDims,
  DropDetector,
  type DropOptions,
  type DetectorSignal,
  FailureDetector,
  type FailureOptions,
  type LoginTally,
  ReportDetector,
  type ReportOptions,
} from '../detection/index.ts';
import { catalog } from '../errors/index.ts';
import type { EventStream, LifelineEvents } from '../events/index.ts';
import type { SignalService } from './service.ts';

export interface DetectionOptions {
  stepMs: number;
  failures: Omit<FailureOptions, 'refineMs'>;
  drop: Omit<DropOptions, 'stepMs'>;
  reports: Omit<ReportOptions, 'stepMs'>;
}

export interface DetectionDeps {
  events: EventStream;
  signals: Pick<SignalService, 'raise' | 'resolve'>;
  /** Players online now, all nodes together. */
  online: () => Promise<number>;
  clock: () => number;
  logger: { warn: (obj: object, msg: string) => void };
  options: DetectionOptions;
}

/** Beyond this many cells, new client versions are counted as `other`: a client cannot grow memory. */
const MAX_CELLS = 4096;
/** A clock that jumps (a suspended VM, a test) catches up at most this many empty steps. */
const MAX_CATCH_UP = 360;

type Login = LifelineEvents['login'][0];

/** Whether a login's failure is the service's to answer for (a 5xx code), not the player's. */
function serviceFailure(e: Login): string | undefined {
  if (e.outcome === 'unavailable') return e.code ?? 'IDENTITY_UNAVAILABLE';
  if (e.outcome !== 'rejected' || e.code === undefined) return undefined;
  const entry = (catalog as Record<string, { status: number }>)[e.code];
  return entry !== undefined && entry.status >= 500 ? e.code : undefined;
}

export class DetectionService {
  readonly #d: DetectionDeps;
  readonly #cells: CellDims[] = [];
  readonly #cellIndex = new Map<string, number>();
  readonly #failure: FailureDetector;
  readonly #drop: DropDetector;
  readonly #reports: ReportDetector;
  #attempts: number[] = [];
  #failures = new Map<string, number[]>();
  #reported = new Map<string, number>();
  #stepEnd: number;
  #polling: Promise<number> = Promise.resolve(0);
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void)[] = [];

  constructor(deps: DetectionDeps) {
    this.#d = deps;
    const { stepMs } = deps.options;
    this.#failure = new FailureDetector(this.#cells, { ...deps.options.failures, refineMs: 6 * stepMs });
    this.#drop = new DropDetector({ ...deps.options.drop, stepMs });
    this.#reports = new ReportDetector({ ...deps.options.reports, stepMs });
    this.#stepEnd = (Math.floor(deps.clock() / stepMs) + 1) * stepMs;
  }

  /** Listens to the node's events and closes steps as the clock passes them (checked every second). */
  start(): void {
    this.#unsubscribe = [
      this.#d.events.on('login', (e) => this.#countLogin(e)),
      this.#d.events.on('report.received', (e) => {
        this.#reported.set(e.category, (this.#reported.get(e.category) ?? 0) + 1);
      }),
    ];
    this.#timer = setInterval(() => void this.poll(), 1000);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    for (const off of this.#unsubscribe) off();
    await this.#polling;
  }

  /** Announces a change window (a deploy): players dropping inside it page nobody. */
  announce(window: { from: number; to: number; what: string }): void {
    this.#drop.announce(window);
  }

  /** Closes every step the clock has passed; resolves to how many. Polls never overlap. */
  poll(): Promise<number> {
    this.#polling = this.#polling.then(
      () => this.#closeSteps(),
      () => this.#closeSteps(),
    );
    return this.#polling;
  }

  #cell(e: Login): number {
    const dims = {
      region: e.region ?? 'unknown',
      shard: e.shard ?? 'unknown',
      clientVersion: e.clientVersion ?? 'unknown',
    };
    let key = `${dims.region}\u0000${dims.shard}\u0000${dims.clientVersion}`;
    let k = this.#cellIndex.get(key);
    if (k !== undefined) return k;
    if (this.#cells.length >= MAX_CELLS) {
      dims.clientVersion = 'other';
      key = `${dims.region}\u0000${dims.shard}\u0000other`;
      k = this.#cellIndex.get(key);
      if (k !== undefined) return k;
    }
    k = this.#cells.length;
    this.#cells.push(dims);
    this.#cellIndex.set(key, k);
    return k;
  }

  #countLogin(e: Login): void {
    // A malformed request or logins closed on purpose are neither success nor failure.
    if (e.outcome === 'invalid' || e.outcome === 'closed') return;
    const k = this.#cell(e);
    this.#attempts[k] = (this.#attempts[k] ?? 0) + 1;
    const code = serviceFailure(e);
    if (code === undefined) return;
    let perCell = this.#failures.get(code);
    if (!perCell) {
      perCell = [];
      this.#failures.set(code, perCell);
    }
    perCell[k] = (perCell[k] ?? 0) + 1;
  }

  async #closeSteps(): Promise<number> {
    const { stepMs } = this.#d.options;
    const now = this.#d.clock();
    if (now < this.#stepEnd) return 0;
    const online = await this.#d.online().catch(() => undefined);
    let closed = 0;
    while (this.#stepEnd <= now && closed < MAX_CATCH_UP) {
      await this.#step(this.#stepEnd, online);
      this.#stepEnd += stepMs;
      closed++;
    }
    if (this.#stepEnd <= now) this.#stepEnd = (Math.floor(now / stepMs) + 1) * stepMs;
    return closed;
  }

  /** One step: the counts so far go to the detectors (later steps of a catch-up are empty). */
  async #step(at: number, online: number | undefined): Promise<void> {
    const n = this.#cells.length;
    const toArray = (xs: number[]) => Int32Array.from({ length: n }, (_, k) => xs[k] ?? 0);
    const tally: LoginTally = {
      at,
      stepMs: this.#d.options.stepMs,
      attempts: toArray(this.#attempts),
      failures: new Map([...this.#failures].map(([code, xs]) => [code, toArray(xs)])),
      online: online ?? 0,
    };
    const reports = { at, byCategory: this.#reported };
    this.#attempts = [];
    this.#failures = new Map();
    this.#reported = new Map();
    await this.#say(this.#failure.observe(tally));
    // Without a count of players online (live state down) the drop detector skips the step.
    if (online !== undefined) await this.#say(this.#drop.observe(tally));
    await this.#say(this.#reports.observe(reports));
  }

  async #say(s: DetectorSignal | undefined): Promise<void> {
    if (s === undefined) return;
    const source = s.detector === 'player-reports' ? 'player-reports' : 'detector';
    try {
      if (s.resolvedAt !== null) {
        await this.#d.signals.resolve(fingerprintFor(s.detector), s.resolvedAt);
        return;
      }
      await this.#d.signals.raise({
        source,
        detector: s.detector,
        severity: s.severity,
        title: s.title,
        fingerprint: fingerprintFor(s.detector),
        onsetAt: s.onsetAt,
        startedAt: s.startedAt,
        evidence: s.evidence,
        localisation: s.localisation,
      });
    } catch (err) {
      this.#d.logger.warn({ err, detector: s.detector }, 'could not store a signal; the detector carries on');
    }
  }
}

/** A pooled detector has one signal at a time: its name is its identity. */
export function fingerprintFor(detector: string): string {
  return `detector:${detector}`;
}
