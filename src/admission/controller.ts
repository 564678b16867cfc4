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
/**
 * A queued login due within this is waited for (HOLD_MAX_MS at most), on its first answer and on
 * each poll, instead of sending the client away: Retry-After counts whole seconds, and a client
 * told "1 s" for a login done 100 ms later would wait 900 ms for nothing (at 1,000 clients of an
 * upstream serving 250 a second, a quarter of N/C). On the first answer too: in the login-storm
 * drill at 5,000 players (2026-12-02), with only polls held, logins due in under 2 s were handed
 * over a median 453 ms after they were done. Answering those `Retry-After: 0` instead (poll
 * again now) was tried and measured worse: their ETAs, at least 1 s, were then judged against
 * waits of a few hundred ms (first-ETA p90 67%).
 */
const POLL_HOLD_MS = 2000;
/** The longest a login due within POLL_HOLD_MS is waited for (see `#answerWhenDue`). */
const HOLD_MAX_MS = 2 * POLL_HOLD_MS;
/** The longest a queued login's first answer waits for its line's rate to be measured under load. */
const QUOTE_WAIT_MS = 1000;

/** Where the permits and the shared limit live: this process, or Redis for every node. */
export type Permits = PermitsPort;

/** Logins through the identity upstream at the rate it can take; see the module's header. */
/** See `AdmissionController.snapshot`. */
export interface AdmissionLane {
  name: string;
  /** Logins waiting in line now. */
  depth: number;
  /** The most that may wait (`admission.maxQueue`); past it, LOGIN_QUEUE_FULL. */
  maxDepth: number;
  /** How long the first in line has waited, in seconds (0 on an empty line). */
  oldestWaitSeconds: number;
}

export interface AdmissionSnapshot extends AdmissionLane {
  enabled: true;
  /** The shared concurrency limit on identity calls, as this node last heard it. */
  limit: number;
  inFlight: number;
  peakInFlight: number;
  /** `ok`, or `degraded: …` while logins queue at the minimum limit. */
  upstream: string;
  lanes: AdmissionLane[];
}

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
  /** When the last upstream failure came back (calls started before it share its cause). */
  #lastFailureAt = Number.NEGATIVE_INFINITY;
  #wake: NodeJS.Timeout | undefined;
  #pumping = false;
  #pumpAgain = false;
  #stopped = false;
  /**
   * Whether a quote of this busy period (from the line forming to its emptying) waited QUOTE_WAIT_MS
   * without the rate being measured (an upstream that does not answer): the period's later quotes
   * then do not wait.
   */
  #gaveUpMeasuring = false;
  /** Queued logins waiting to be quoted an ETA until the rate is measured under load. */
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
   * The queue as operators see it (GET /admin/v1/admission, `lifeline admission`, the
   * `lifeline_admission_*` gauges): this node's line, limit and calls in flight. Admission has
   * one lane, logins: only a login calls the identity upstream.
   */
  snapshot(): AdmissionSnapshot {
    const oldest = this.#line.oldestAt();
    const lane = {
      name: 'login',
      depth: this.queued,
      maxDepth: this.#s.maxQueue,
      oldestWaitSeconds: oldest === null ? 0 : Math.max(0, (this.#clock() - oldest) / 1000),
    };
    return {
      enabled: true,
      limit: this.limit,
      inFlight: this.inFlight,
      peakInFlight: this.peakInFlight,
      ...lane,
      upstream: this.upstreamHealth,
      lanes: [lane],
    };
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
        const call = this.#start(permit, work, false);
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

  /**
   * A queued login's client asks again. A login due within POLL_HOLD_MS is waited for: the answer
   * goes out as soon as it is done, not at the client's next whole second.
   */
  async poll(ticket: string): Promise<Admitted<T>> {
    this.#expire();
    const entry = this.#line.find(ticket);
    if (!entry) throw new LifelineError('LOGIN_TICKET_UNKNOWN');
    return this.#answerWhenDue(entry);
  }

  /**
   * Answers, after waiting for the login when it is due within POLL_HOLD_MS (see there): up to
   * twice that, since a wait that ends with the login not done sends the client away for at least
   * a whole second more (bench:storm at 1,000 clients, a wait of 2 s at most: all in 1.2 × N/C with
   * the upstream done at 1.05; with 4 s, 1.05).
   */
  async #answerWhenDue(entry: Entry<T>): Promise<Admitted<T>> {
    if (!this.#settled(entry) && this.#etaOf(entry) * 1000 <= POLL_HOLD_MS) {
      await this.#untilSettled(entry, HOLD_MAX_MS);
      if (!this.#line.find(entry.ticket)) throw new LifelineError('LOGIN_TICKET_UNKNOWN');
    }
    return this.#answer(entry);
  }

  #answer(entry: Entry<T>): Admitted<T> {
    const { ticket } = entry;
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

  #settled(entry: Entry<T>): boolean {
    return entry.outcome.state === 'done' || entry.outcome.state === 'failed';
  }

  /**
   * Resolves when the entry is done or failed, or after `ms`. A waiter that times out leaves the
   * entry's list: a client polling again and again while its login stays due (an upstream that
   * fails) must not grow it.
   */
  async #untilSettled(entry: Entry<T>, ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      entry.onSettled.push(resolve);
      timer = setTimeout(() => {
        const at = entry.onSettled.indexOf(resolve);
        if (at >= 0) entry.onSettled.splice(at, 1);
        resolve();
      }, ms);
    });
    clearTimeout(timer);
  }

  #settle(entry: Entry<T>, outcome: Entry<T>['outcome']): void {
    entry.outcome = outcome;
    for (const wake of entry.onSettled.splice(0)) wake();
  }

  /**
   * Answers a queued login. Before the line's rate is measured under load, an ETA would rest on a
   * guess (seed 001's storm: every client arrives at once, before anything is measured) or on calls
   * made one at a time (a trickle: the upstream's latency, not its capacity), and a wrong first ETA
   * sends every client back at the wrong time. So an answer waits until the rate is measured under
   * load for a line as long as the one it joins (Pace.measured), or QUOTE_WAIT_MS at most (an
   * upstream that is down may never complete a call); once one has waited that long, the busy
   * period's later answers do not wait. A login due within POLL_HOLD_MS by then is waited for, as a
   * poll's is (its client gets its tokens, not a ticket), unless calls are failing or unanswered.
   */
  async #quote(entry: Entry<T>): Promise<Admitted<T>> {
    if (!this.#gaveUpMeasuring && !this.#pace.measured(this.queued)) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.#quoting.push(resolve);
        timer = setTimeout(() => {
          this.#gaveUpMeasuring = true;
          resolve();
        }, QUOTE_WAIT_MS);
      });
      clearTimeout(timer);
    }
    // Not while the upstream fails or answers nothing: an ETA then rests on nothing, and a client
    // held for it would wait 5 s for its first answer (fleet.test.ts: SDK players against an
    // identity upstream that is down).
    const flowing = !this.#gaveUpMeasuring && this.#clock() >= this.#pausedUntil;
    return flowing ? this.#answerWhenDue(entry) : this.#answer(entry);
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
   * Retry-After is half the ETA, rounded down, at least 1 and at most MAX_RETRY_AFTER_SECONDS: an
   * early estimate can be far off (it is made while the storm is still arriving), and a client that
   * comes back sooner gets a better one; a few polls per client, each a map lookup. Rounded down so
   * that the client is back before its login is due by the estimate, where its poll is held until
   * the login is done. Measured in the login-storm drill at 5,000 players (2026-12-02): rounded
   * up, logins due in 2–5 s were handed over a p90 of 1.1 s after they were done (an ETA of 2.2 s
   * sent the client away for 2 s, its login done at 1.5 s); the fleet's first-ETA error p90 was
   * 19% where the estimates' own, against when the logins were done, was 13%.
   */
  #place(entry: Entry<T>): { position: number; etaSeconds: number; retryAfterSeconds: number } {
    if (entry.outcome.state !== 'queued') return { position: 0, etaSeconds: 1, retryAfterSeconds: 1 };
    const eta = this.#etaOf(entry);
    return {
      position: this.#line.ahead(entry),
      etaSeconds: tenths(eta),
      retryAfterSeconds: Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.floor(eta / 2))),
    };
  }

  /** Seconds (unrounded) until this entry is served; a running one is due within a call. */
  #etaOf(entry: Entry<T>): number {
    const position = entry.outcome.state === 'queued' ? this.#line.ahead(entry) : 0;
    return this.#pace.etaSeconds(position, this.#clock(), this.limit);
  }

  #eta(position: number): number {
    return whole(this.#pace.etaSeconds(position, this.#clock(), this.limit));
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
    const call = this.#start(permit, entry.work, true);
    call.result.then(
      (value) => {
        call.returnPermit(false);
        this.#settle(entry, { state: 'done', value });
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
          this.#settle(entry, { state: 'failed', error });
        }
      },
    );
  }

  /**
   * Starts work under a permit. The permit goes back once: when the work says the upstream has
   * answered, or when the work settles, whichever is first; `failed` says the upstream failed.
   */
  #start(
    permit: string,
    work: Work<T>,
    fromLine: boolean,
  ): { result: Promise<T>; returnPermit: (failed: boolean) => void } {
    this.#inFlight++;
    this.#peakInFlight = Math.max(this.#peakInFlight, this.#inFlight);
    const started = this.#clock();
    const inFlight = this.#inFlight;
    // Under load: taken from the line, or the last permit there was. A call with permits to spare
    // measures the upstream's latency, not how many it serves.
    const loaded = fromLine || inFlight >= this.limit;
    let returned = false;
    const returnPermit = (failed: boolean) => {
      if (returned) return;
      returned = true;
      this.#finished(
        permit,
        failed ? this.#failed(started) : this.#succeeded(started, inFlight, loaded),
        true,
      );
    };
    return { result: work(() => returnPermit(false)), returnPermit };
  }

  /**
   * Notes a completed call (with the calls in flight from this node when it started, itself
   * included, and whether it started under load); says how it should move the shared limit.
   */
  #succeeded(started: number, inFlight: number, loaded: boolean): PermitOutcome {
    const now = this.#clock();
    const latency = now - started;
    this.#failures = 0;
    const waiting = this.queued > 0;
    this.#pace.record({ now, latency, inFlight, loaded, waiting });
    if (!waiting) this.#gaveUpMeasuring = false;
    if (this.#quoting.length > 0 && this.#pace.measured(this.queued))
      for (const quote of this.#quoting.splice(0)) quote();
    return latency <= this.#s.targetLatencyMs ? 'fast' : 'slow';
  }

  /**
   * Notes a failed call (started at `started`). Capped exponential backoff before this node's next
   * try, 100 ms, 200 ms, … 5 s, one step per try that failed: the calls already in flight when a
   * failure came back fail of the same cause (one lapsed DNS answer, one restart) and do not add
   * steps, or ten logins in flight at the moment of a fault would pause the line for 5 s at once
   * (measured in the dns-debacle drill: its second probe, and so the node's detection, 5 wall s late).
   */
  #failed(started: number): PermitOutcome {
    const now = this.#clock();
    if (started >= this.#lastFailureAt) {
      this.#failures++;
      this.#pausedUntil = now + Math.min(5000, 100 * 2 ** Math.min(this.#failures - 1, 6));
    }
    this.#lastFailureAt = Math.max(this.#lastFailureAt, now);
    return 'failed';
  }

  /** Until when this node waits before its next call to the upstream, after failures (clock ms). */
  get pausedUntil(): number {
    return this.#pausedUntil;
  }

  /** Drops queued or finished entries nobody came back for within the ticket TTL; once a second. */
  #expire(): void {
    const now = this.#clock();
    if (now - this.#lastExpiry < 1000) return;
    this.#lastExpiry = now;
    this.#line.expire(now - this.#s.ticketTtlSeconds * 1000);
  }
}

/** Whole seconds, at least 1 and at most 300, rounded up: Retry-After counts whole seconds. */
function whole(seconds: number): number {
  return Math.max(1, Math.min(300, Math.ceil(seconds)));
}

/**
 * An ETA to the tenth of a second, at least 1 and at most 300. Whole seconds rounded up would add
 * half a second on average: 25% of a 2 s wait (bench:storm at 1,000 clients, where most waits
 * are 1–4 s, was 19% / 47% first-ETA error so).
 */
function tenths(seconds: number): number {
  return Math.max(1, Math.min(300, Math.ceil(seconds * 10) / 10));
}
