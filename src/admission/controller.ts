import { LifelineError } from '../errors/index.ts';
import type { EventStream } from '../events/index.ts';
import type { Permits as PermitsPort } from '../live/index.ts';
import type { PermitOutcome } from './aimd.ts';
import { type Entry, Line } from './line.ts';
import { Pace } from './pace.ts';
import type { Admitted, AdmissionSettings, IsUpstreamFailure, Work } from './settings.ts';

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

/** Where the permits and the shared limit live: this process, or Redis for every node. */
export type Permits = PermitsPort;

/** Logins through the identity upstream at the rate it can take; see the module's header. */
export class AdmissionController<T> {
  readonly #s: AdmissionSettings;
  readonly #clock: () => number;
  readonly #events: EventStream;
  readonly #isUpstreamFailure: IsUpstreamFailure;
  readonly #permits: Permits;
  readonly #line = new Line<T>();
  readonly #pace = new Pace();
  #limit: number;
  #inFlight = 0;
  #peakInFlight = 0;
  #failures = 0;
  #pausedUntil = 0;
  #wake: NodeJS.Timeout | undefined;
  #pumping = false;
  #pumpAgain = false;
  #stopped = false;
  /** Whether a round of identity calls (one per permit) has completed: until then the pace
   * rests on too few calls. */
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
    return this.#line.length;
  }

  /**
   * The identity upstream as admission sees it, for /ready (reported, never a reason to be
   * unready): degraded while logins queue with the limit at its floor, the sign of an upstream
   * failing or far slower than its target.
   */
  get upstreamHealth(): string {
    return this.limit <= this.#s.minLimit && this.queued > 0
      ? 'degraded: queueing at the minimum limit'
      : 'ok';
  }

  /**
   * Runs `work` now if there is room and nobody is waiting; else queues it. An upstream failure
   * on the direct path queues it too: a login that arrives during an outage waits in line.
   */
  async enter(work: Work<T>): Promise<Admitted<T>> {
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
          return this.#quote(this.#enqueue(work, true));
        }
      }
    }
    return this.#quote(this.#enqueue(work, false));
  }

  /** A queued login's client asks again. */
  async poll(ticket: string): Promise<Admitted<T>> {
    this.#expire();
    const entry = this.#line.find(ticket);
    if (!entry) throw new LifelineError('LOGIN_TICKET_UNKNOWN');
    const o = entry.outcome;
    if (o.state === 'done') {
      this.#line.collected(ticket);
      return { kind: 'done', value: o.value };
    }
    if (o.state === 'failed') {
      this.#line.collected(ticket);
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

  #enqueue(work: Work<T>, front: boolean): Entry<T> {
    if (this.queued >= this.#s.maxQueue) {
      throw new LifelineError('LOGIN_QUEUE_FULL', undefined, {
        details: { retryAfterSeconds: this.#eta(this.queued) },
      });
    }
    const entry = this.#line.add(work, this.#clock(), front);
    this.#events.emit('admission.queued', { queued: this.queued });
    this.#pump();
    return entry;
  }

  /**
   * Retry-After is half the ETA, and at most MAX_RETRY_AFTER_SECONDS: an early estimate can be far
   * off (it is made while the storm is still arriving), and a client that comes back sooner gets a
   * better one; a few polls per client, each a map lookup.
   */
  #place(entry: Entry<T>): { position: number; etaSeconds: number; retryAfterSeconds: number } {
    if (entry.outcome.state !== 'queued') return { position: 0, etaSeconds: 1, retryAfterSeconds: 1 };
    const position = this.#line.ahead(entry);
    const etaSeconds = this.#eta(position);
    return {
      position,
      etaSeconds,
      retryAfterSeconds:
        etaSeconds <= 2 ? etaSeconds : Math.min(MAX_RETRY_AFTER_SECONDS, Math.ceil(etaSeconds / 2)),
    };
  }

  #eta(position: number): number {
    return this.#pace.etaSeconds(position, this.#clock(), this.limit);
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
          const entry = this.#line.next();
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
          this.#line.putBack(entry);
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
    this.#inFlight++;
    this.#peakInFlight = Math.max(this.#peakInFlight, this.#inFlight);
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
    this.#pace.record(now, latency, inFlight);
    if (!this.#measured && this.#pace.measuredAt(this.limit)) {
      this.#measured = true;
      for (const quote of this.#quoting.splice(0)) quote();
    }
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
    this.#line.expire(now - this.#s.ticketTtlSeconds * 1000);
  }
}
