/**
 * Admission: logins pass one controller that calls the identity upstream at the rate it can take,
 * and queues the rest with a place in line and a time to come back (seed 001: restarting auth
 * under a retry storm made it worse; re-opening to everyone at once collapsed what sat behind it).
 *
 * The limit on calls in flight is AIMD, as in Netflix's concurrency-limits: each success within
 * the latency target adds 1/limit (about +1 per round of calls), a slow success takes 10% off,
 * and an upstream failure halves it, down to `minLimit`, never above `maxLimit` (the concurrency
 * the upstream is known to take). While the upstream fails, the queue waits out a backoff before
 * its next try: a failing upstream gets one probe at a time, not a stampede.
 *
 * The limit and the calls in flight are not this node's: they are permits in live state, so with
 * several nodes on Redis the upstream sees one limit, whichever node a login lands on. The queue
 * stays with the node that holds the waiting client's ticket.
 */
import type { Permits } from '../live/index.ts';
import { randomBytes } from 'node:crypto';
import { LifelineError } from '../errors/index.ts';
import type { EventStream } from '../events/index.ts';
import type { PermitOutcome } from './aimd.ts';

/** A permit lapses if its node does not return it within this (it died mid-call). */
const PERMIT_LEASE_MS = 60_000;
/** How soon a node with waiting logins asks again for permits other nodes may have returned. */
const PERMIT_RETRY_MS = 25;
/**
 * The longest a queued login is sent away for, however far off its ETA: the first ETAs of a
 * storm are made while this process is swamped, and a client told 170 s when its turn came at
 * 20 s would wait the difference (bench:storm at C = 1000/s without this cap: 4.29 × N/C).
 */
const MAX_RETRY_AFTER_SECONDS = 20;
/** Identity calls' paces kept for the ETA, and the percentile taken (see #pace). */
const PACE_SAMPLES = 256;
const PACE_PERCENTILE = 0.25;

export interface AdmissionSettings {
  /** @defaultValue 10 */
  initialLimit: number;
  /** @defaultValue 1 */
  minLimit: number;
  /**
   * The most identity calls in flight, ever: what the upstream is known to take. Above its
   * workers by a few: at exactly their number, each worker idles for a round trip between calls
   * (bench:storm lost 12% of its upstream's capacity so). @defaultValue 50
   */
  maxLimit: number;
  /** Past this many waiting, logins get 503 LOGIN_QUEUE_FULL with Retry-After. @defaultValue 20000 */
  maxQueue: number;
  /** A call slower than this counts as a sign of load. @defaultValue 1000 */
  targetLatencyMs: number;
  /** A queued login not admitted (or not collected) within this is dropped. @defaultValue 300 */
  ticketTtlSeconds: number;
}

/** Lanes in priority order: a rejoin goes before a refresh fallback before a new login. */
export const lanes = ['rejoin', 'refresh', 'login'] as const;
export type Lane = (typeof lanes)[number];

type Outcome<T> =
  | { state: 'queued' }
  | { state: 'running' }
  | { state: 'done'; value: T }
  | { state: 'failed'; error: unknown };

/**
 * A login's work. It calls `upstreamDone` as soon as the identity upstream has answered: the
 * permit goes back then, not after Lifeline's own work that follows (writing the session, signing
 * tokens), which under a storm's load can take longer than the upstream call itself and would
 * leave the upstream idle with a permit held.
 */
export type Work<T> = (upstreamDone: () => void) => Promise<T>;

interface Entry<T> {
  /** Order of arrival; a retried entry keeps its place. */
  seq: number;
  ticket: string;
  lane: Lane;
  work: Work<T>;
  createdAt: number;
  outcome: Outcome<T>;
}

export type Admitted<T> =
  | { kind: 'done'; value: T }
  | { kind: 'queued'; ticket: string; position: number; etaSeconds: number; retryAfterSeconds: number };

/** Is this failure the upstream's (shrink the limit, retry later) rather than the caller's? */
export type IsUpstreamFailure = (err: unknown) => boolean;

export class AdmissionController<T> {
  readonly #s: AdmissionSettings;
  readonly #clock: () => number;
  readonly #events: EventStream;
  readonly #isUpstreamFailure: IsUpstreamFailure;
  readonly #permits: Permits;
  readonly #queues: Record<Lane, Entry<T>[]> = { rejoin: [], refresh: [], login: [] };
  readonly #tickets = new Map<string, Entry<T>>();
  #seq = 0;
  #limit: number;
  #inFlight = 0;
  #peakInFlight = 0;
  #failures = 0;
  #pausedUntil = 0;
  #wake: NodeJS.Timeout | undefined;
  #pumping = false;
  #pumpAgain = false;
  #stopped = false;
  /** When the recent completions happened (the last two seconds): the rate ETAs divide by. */
  readonly #completions: number[] = [];
  /**
   * The paces of the last PACE_SAMPLES identity calls, a ring. A call's pace is its latency over
   * the calls in flight when it started: by Little's law, the upstream's time per call at that
   * concurrency, so 1000 / pace is the rate it was serving at. Latency alone would not do once
   * more calls are in flight than the upstream serves at once: they queue there, and each takes
   * longer while the rate stays the same.
   */
  readonly #paces: number[] = [];
  #paceAt = 0;
  /**
   * The lower quartile of those (the 25th percentile), chosen by measurement (bench:storm,
   * docs/BENCHMARKS.md). While a storm arrives this process is busy, and a call's latency carries
   * the time its answer waited here to be read: the median pace swung from 2% to 107% first-ETA
   * error between runs with how busy this process was. A low percentile leaves those slow reads
   * out, but sits below the middle of any spread, and paces spread (a call's wait at the upstream
   * depends on its place in the upstream's queue): the 10th percentile gave ETAs ~14% short, the
   * 25th 4–7% short. Until a call has completed, a guess: 100 ms a call at the limit.
   */
  #pace: number | undefined;
  /** Whether a round of identity calls (one per permit) has completed: until then the pace
   * above rests on too few calls. */
  #measured = false;
  /** Queued logins waiting to be quoted an ETA until the first call completes. */
  #quoting: (() => void)[] = [];
  #lastExpiry = 0;

  constructor(deps: {
    settings: AdmissionSettings;
    clock: () => number;
    events: EventStream;
    isUpstreamFailure: IsUpstreamFailure;
    /** Where the permits and the shared limit live: this process, or Redis for every node. */
    permits: Permits;
  }) {
    this.#s = deps.settings;
    this.#clock = deps.clock;
    this.#events = deps.events;
    this.#isUpstreamFailure = deps.isUpstreamFailure;
    this.#permits = deps.permits;
    this.#limit = Math.min(
      deps.settings.maxLimit,
      Math.max(deps.settings.minLimit, deps.settings.initialLimit),
    );
  }

  /** The shared limit, as this node last heard it. */
  get limit(): number {
    return Math.floor(this.#limit);
  }

  /** Calls in flight from this node. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** The most calls ever in flight at once from this node. */
  get peakInFlight(): number {
    return this.#peakInFlight;
  }

  get queued(): number {
    return lanes.reduce((n, l) => n + this.#queues[l].length, 0);
  }

  /**
   * Runs `work` now if there is room and nobody is waiting; else queues it. An upstream failure
   * on the direct path queues it too: a login that arrives during an outage waits in line.
   */
  async enter(lane: Lane, work: Work<T>): Promise<Admitted<T>> {
    this.#expire();
    if (this.queued === 0 && this.#clock() >= this.#pausedUntil) {
      const [permit] = await this.#acquire(1);
      if (permit !== undefined) {
        const call = this.#start(permit, work);
        try {
          const value = await call.result;
          call.returnPermit(false);
          return { kind: 'done', value };
        } catch (err) {
          if (!this.#isUpstreamFailure(err)) {
            call.returnPermit(false);
            throw err;
          }
          call.returnPermit(true);
          return this.#quote(this.#enqueue(lane, work, true));
        }
      }
    }
    return this.#quote(this.#enqueue(lane, work, false));
  }

  /** A queued login's client asks again. */
  async poll(ticket: string): Promise<Admitted<T>> {
    this.#expire();
    const entry = this.#tickets.get(ticket);
    if (!entry) throw new LifelineError('LOGIN_TICKET_UNKNOWN');
    const o = entry.outcome;
    if (o.state === 'done') {
      this.#tickets.delete(ticket);
      return { kind: 'done', value: o.value };
    }
    if (o.state === 'failed') {
      this.#tickets.delete(ticket);
      throw o.error;
    }
    return { kind: 'queued', ticket, ...this.#place(entry) };
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#wake);
  }

  /**
   * Answers a queued login. Before any identity call has completed, an ETA would rest on a guessed
   * latency (seed 001's storm: every client arrives at once, before anything is measured), and a
   * wrong first ETA sends every client back at the wrong time. So the first answers wait for the
   * first round of calls (one per permit) to complete, or a second at most (an upstream that is
   * down may never complete one).
   */
  async #quote(entry: Entry<T>): Promise<Admitted<T>> {
    if (!this.#measured) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.#quoting.push(resolve);
        timer = setTimeout(resolve, 1000);
      });
      clearTimeout(timer);
    }
    const o = entry.outcome;
    if (o.state === 'done' || o.state === 'failed') return this.poll(entry.ticket);
    return { kind: 'queued', ticket: entry.ticket, ...this.#place(entry) };
  }

  #enqueue(lane: Lane, work: Work<T>, front: boolean): Entry<T> {
    if (this.queued >= this.#s.maxQueue) {
      throw new LifelineError('LOGIN_QUEUE_FULL', undefined, {
        details: { retryAfterSeconds: this.#retryAfter(this.queued) },
      });
    }
    const entry: Entry<T> = {
      seq: this.#seq++,
      ticket: `lt_${randomBytes(16).toString('base64url')}`,
      lane,
      work,
      createdAt: this.#clock(),
      outcome: { state: 'queued' },
    };
    if (front) this.#queues[lane].unshift(entry);
    else this.#queues[lane].push(entry);
    this.#tickets.set(entry.ticket, entry);
    this.#events.emit('admission.queued', { lane, queued: this.queued });
    this.#pump();
    return entry;
  }

  /**
   * Position counts everyone ahead, higher lanes included, from sequence numbers (no scan of a
   * 20,000-long queue per poll). Retry-After is half the ETA, and at most MAX_RETRY_AFTER_SECONDS:
   * an early estimate can be far off (it is made while the storm is still arriving), and a client
   * that comes back sooner gets a better one; a few polls per client, each a map lookup.
   */
  #place(entry: Entry<T>): { position: number; etaSeconds: number; retryAfterSeconds: number } {
    if (entry.outcome.state !== 'queued') return { position: 0, etaSeconds: 1, retryAfterSeconds: 1 };
    let position = 0;
    for (const lane of lanes) {
      const q = this.#queues[lane];
      if (lane === entry.lane) {
        position += Math.max(0, entry.seq - (q[0]?.seq ?? entry.seq));
        break;
      }
      position += q.length;
    }
    const etaSeconds = this.#retryAfter(position);
    return {
      position,
      etaSeconds,
      retryAfterSeconds:
        etaSeconds <= 2 ? etaSeconds : Math.min(MAX_RETRY_AFTER_SECONDS, Math.ceil(etaSeconds / 2)),
    };
  }

  /**
   * Seconds until this place in line is served: position over the rate of the last two seconds,
   * or the rate the pace says, whichever is higher. The rate of the last seconds alone
   * would not do: when a storm arrives, this process is busy taking 20,000 requests and serves
   * the upstream late, so the first seconds say the upstream is slower than it is, and every
   * first ETA is given in those seconds (bench:storm's were 30–50% too long).
   */
  #retryAfter(position: number): number {
    const now = this.#clock();
    while (this.#completions.length > 0 && (this.#completions[0] as number) < now - 2000)
      this.#completions.shift();
    const oldest = this.#completions[0];
    // Over the part of the window that has data: right after a start, two seconds would halve it.
    const span = oldest === undefined ? 0 : Math.max(0.25, Math.min(2, (now - oldest) / 1000));
    const measured = span > 0 ? this.#completions.length / span : 0;
    const pace = this.#pace ?? 100 / Math.max(1, this.limit);
    const rate = Math.max(measured, 1000 / Math.max(0.01, pace));
    return Math.max(1, Math.min(300, Math.ceil((position + 1) / rate)));
  }

  /**
   * Hands waiting entries the permits there are. One round at a time: a completion during a
   * round asks for another round after it. With entries left and no permit, it asks again
   * shortly (another node may return one, and no event here would say so).
   */
  #pump(): void {
    if (this.#stopped) return;
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    const now = this.#clock();
    if (now < this.#pausedUntil) {
      this.#wakeIn(this.#pausedUntil - now);
      return;
    }
    const want = Math.min(this.queued, this.#s.maxLimit);
    if (want === 0) return;
    this.#pumping = true;
    this.#pumpAgain = false;
    this.#acquire(want).then(
      (permits) => {
        for (const permit of permits) {
          const entry = this.#next();
          if (entry) this.#run(entry, permit);
          else this.#finished(permit, 'unused', false);
        }
        this.#pumping = false;
        if (this.#pumpAgain) this.#pump();
        else if (this.queued > 0 && permits.length < want) this.#wakeIn(PERMIT_RETRY_MS);
      },
      () => {
        // Live state is away: the queue keeps its order and tries again.
        this.#pumping = false;
        this.#wakeIn(500);
      },
    );
  }

  #wakeIn(ms: number): void {
    clearTimeout(this.#wake);
    this.#wake = setTimeout(() => this.#pump(), ms);
    this.#wake.unref();
  }

  async #acquire(want: number): Promise<string[]> {
    const r = await this.#permits.acquirePermits(want, PERMIT_LEASE_MS, this.#s, this.#clock());
    this.#limit = r.limit;
    return r.permits;
  }

  #started(): void {
    this.#inFlight++;
    this.#peakInFlight = Math.max(this.#peakInFlight, this.#inFlight);
  }

  /** Returns the permit with what its call showed, then lets the next entries in. */
  #finished(permit: string, outcome: PermitOutcome, ran: boolean): void {
    if (ran) this.#inFlight--;
    this.#permits.releasePermit(permit, outcome, this.#s).then(
      (r) => {
        this.#limit = r.limit;
        this.#events.emit('admission.limit', { limit: this.limit, inFlight: this.#inFlight });
        this.#pump();
      },
      // A permit that cannot be returned lapses with its lease.
      () => this.#pump(),
    );
  }

  #next(): Entry<T> | undefined {
    for (const lane of lanes) {
      const e = this.#queues[lane].shift();
      if (e) return e;
    }
    return undefined;
  }

  #run(entry: Entry<T>, permit: string): void {
    entry.outcome = { state: 'running' };
    const call = this.#start(permit, entry.work);
    call.result.then(
      (value) => {
        call.returnPermit(false);
        entry.outcome = { state: 'done', value };
      },
      (error: unknown) => {
        if (
          this.#isUpstreamFailure(error) &&
          this.#clock() - entry.createdAt < this.#s.ticketTtlSeconds * 1000
        ) {
          call.returnPermit(true);
          entry.outcome = { state: 'queued' };
          this.#queues[entry.lane].unshift(entry);
        } else {
          call.returnPermit(false);
          entry.outcome = { state: 'failed', error };
        }
      },
    );
  }

  /**
   * Starts work under a permit. The permit goes back once: when the work says the upstream has
   * answered, or when the work settles, whichever is first; `failed` says the upstream failed.
   */
  #start(permit: string, work: Work<T>): { result: Promise<T>; returnPermit: (failed: boolean) => void } {
    this.#started();
    const started = this.#clock();
    const inFlight = this.#inFlight;
    let returned = false;
    const returnPermit = (failed: boolean) => {
      if (returned) return;
      returned = true;
      this.#finished(permit, failed ? this.#failed() : this.#succeeded(started, inFlight), true);
    };
    return { result: work(() => returnPermit(false)), returnPermit };
  }

  /**
   * Notes a completed call (with the calls in flight from this node when it started, itself
   * included); says how it should move the shared limit.
   */
  #succeeded(started: number, inFlight: number): PermitOutcome {
    const now = this.#clock();
    const latency = now - started;
    this.#failures = 0;
    this.#completions.push(now);
    // The first measurement replaces the guess instead of being averaged into it.
    this.#paces[this.#paceAt] = latency / inFlight;
    this.#paceAt = (this.#paceAt + 1) % PACE_SAMPLES;
    // Re-sorted on each call until the ring is full, then every 16th: cheap either way.
    if (this.#paces.length < PACE_SAMPLES || this.#paceAt % 16 === 0) {
      const sorted = [...this.#paces].sort((a, b) => a - b);
      this.#pace = sorted[Math.floor((sorted.length - 1) * PACE_PERCENTILE)] as number;
    }
    if (!this.#measured && this.#paces.length >= Math.min(this.limit, PACE_SAMPLES)) {
      this.#measured = true;
      for (const quote of this.#quoting.splice(0)) quote();
    }
    if (this.#completions.length > 100_000) this.#completions.splice(0, 50_000);
    return latency <= this.#s.targetLatencyMs ? 'fast' : 'slow';
  }

  #failed(): PermitOutcome {
    this.#failures++;
    // Capped exponential backoff before this node's next try: 100 ms, 200 ms, … 5 s.
    this.#pausedUntil = this.#clock() + Math.min(5000, 100 * 2 ** Math.min(this.#failures - 1, 6));
    return 'failed';
  }

  /** Drops queued or finished entries nobody came back for within the ticket TTL; once a second. */
  #expire(): void {
    const now = this.#clock();
    if (now - this.#lastExpiry < 1000) return;
    this.#lastExpiry = now;
    const deadline = now - this.#s.ticketTtlSeconds * 1000;
    for (const [ticket, e] of this.#tickets) {
      if (e.createdAt >= deadline || e.outcome.state === 'running') continue;
      this.#tickets.delete(ticket);
      const q = this.#queues[e.lane];
      const i = q.indexOf(e);
      if (i >= 0) q.splice(i, 1);
    }
  }
}
