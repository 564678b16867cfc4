import type { EntitlementMemory } from '../store/index.ts';
import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  ConsecutiveBreaker,
  CircuitState,
  circuitBreaker,
  ExponentialBackoff,
  handleAll,
} from 'cockatiel';
import type { Fetch } from '../dns/index.ts';
import { LifelineError } from '../errors/index.ts';
import type { EventStream } from '../events/index.ts';
import { isDnsFailure } from '../probes/index.ts';
import type { Entitlement, EntitlementSource } from './source.ts';

export interface HttpEntitlementSettings {
  /** GET `${url}/${playerId}` → 200 `{"licence"}`; 404 means the player owns nothing. */
  url: string;
  /** @defaultValue 1500 */
  timeoutMs: number;
  /** A last known good licence older than this is not used. @defaultValue 2592000 (30 days) */
  lkgMaxAgeSeconds: number;
  /** Let a player with no last known licence in, provisionally, during an outage. @defaultValue false */
  failOpen: boolean;
  defaultLicence: string;
  /** @defaultValue 5 */
  breakerFailures: number;
  /** @defaultValue 5000 */
  halfOpenAfterMs: number;
  /** Calls let through while half-open before the breaker closes again. @defaultValue 5 */
  halfOpenCalls: number;
  /** At most this many provisional players are re-verified a second. @defaultValue 20 */
  reverifyPerSecond: number;
}

/** The upstream said no, as opposed to could not answer: never a reason to fall back. */
class NoLicence extends Error {}

/**
 * The studio's entitlement service over HTTP, made safe to depend on (seed 001): a timeout, one
 * request in flight per player (single-flight), a circuit breaker that lets a few calls through
 * when half-open instead of the whole queue, and the last known good licence, persisted, for
 * when none of that gets an answer. A fallback answer is marked provisional and re-verified
 * later, at a bounded rate with jitter: a re-verification wave must not become the next storm.
 */
export class HttpEntitlements implements EntitlementSource {
  readonly kind = 'http';
  readonly #s: HttpEntitlementSettings;
  readonly #store: EntitlementMemory;
  readonly #events: EventStream;
  readonly #clock: () => number;
  readonly #get: Fetch;
  readonly #breaker: CircuitBreakerPolicy;
  readonly #inFlight = new Map<string, Promise<string>>();
  readonly #reverify = new Set<string>();
  #timer: NodeJS.Timeout | undefined;

  constructor(deps: {
    settings: HttpEntitlementSettings;
    store: EntitlementMemory;
    events: EventStream;
    clock: () => number;
    /** Resolves the upstream's host as `dns` in the config says (src/dns). @defaultValue the global fetch */
    fetch?: Fetch;
  }) {
    this.#get = deps.fetch ?? fetch;
    this.#s = deps.settings;
    this.#store = deps.store;
    this.#events = deps.events;
    this.#clock = deps.clock;
    this.#breaker = circuitBreaker(
      handleAll.orWhen((err) => !(err instanceof NoLicence)),
      {
        breaker: new ConsecutiveBreaker(this.#s.breakerFailures),
        halfOpenAfter: new ExponentialBackoff({
          initialDelay: this.#s.halfOpenAfterMs,
          maxDelay: this.#s.halfOpenAfterMs * 8,
        }),
        halfOpenSampling: { calls: this.#s.halfOpenCalls, threshold: 0.2 },
      },
    );
  }

  /** Starts the paced re-verification of provisional players. */
  start(): void {
    this.#timer = setInterval(() => this.#reverifySome(), 1000);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async entitlementFor(playerId: string): Promise<Entitlement> {
    try {
      const licence = await this.#fetchOnce(playerId);
      return { licence, provisional: false };
    } catch (err) {
      if (err instanceof NoLicence) throw new LifelineError('ENTITLEMENT_NONE');
      return this.#fallback(playerId, err);
    }
  }

  async #fallback(playerId: string, cause: unknown): Promise<Entitlement> {
    const known = await this.#store.lastKnownEntitlement(playerId);
    const fresh = known !== null && this.#clock() - known.verifiedAt <= this.#s.lkgMaxAgeSeconds * 1000;
    // `dns`: the upstream's hostname did not resolve (seed 001), told apart for the detectors.
    const reason =
      cause instanceof BrokenCircuitError ? 'breaker-open' : isDnsFailure(cause) ? 'dns' : 'upstream-error';
    if (fresh) {
      this.#events.emit('entitlement.fallback', { outcome: 'last-known-good', reason });
      this.#reverify.add(playerId);
      return { licence: known.licence, provisional: true };
    }
    if (this.#s.failOpen) {
      this.#events.emit('entitlement.fallback', { outcome: 'fail-open', reason });
      this.#reverify.add(playerId);
      return { licence: this.#s.defaultLicence, provisional: true };
    }
    this.#events.emit('entitlement.fallback', { outcome: 'refused', reason });
    throw new LifelineError('ENTITLEMENT_UNAVAILABLE', undefined, { cause });
  }

  /** One upstream call per player at a time; concurrent logins of one player share it. */
  #fetchOnce(playerId: string): Promise<string> {
    let pending = this.#inFlight.get(playerId);
    if (!pending) {
      pending = this.#breaker
        .execute(() => this.#fetch(playerId))
        .finally(() => this.#inFlight.delete(playerId));
      this.#inFlight.set(playerId, pending);
    }
    return pending;
  }

  async #fetch(playerId: string): Promise<string> {
    const res = await this.#get(`${this.#s.url.replace(/\/$/, '')}/${encodeURIComponent(playerId)}`, {
      signal: AbortSignal.timeout(this.#s.timeoutMs),
    });
    if (res.status === 404) {
      await res.body?.cancel();
      throw new NoLicence();
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`entitlement upstream answered ${res.status}`);
    }
    const body = (await res.json()) as { licence?: unknown };
    if (typeof body.licence !== 'string' || body.licence === '')
      throw new Error('entitlement upstream answered without a licence');
    await this.#store.rememberEntitlement(playerId, body.licence, this.#clock());
    return body.licence;
  }

  /**
   * Up to `reverifyPerSecond` provisional players a second, each at a random point of the
   * second, while the breaker is closed; while it is not, one a second, as the probe that lets the
   * breaker find out the upstream is back (re-verifying at full rate into an outage would feed it).
   */
  #reverifySome(): void {
    const closed = this.#breaker.state === CircuitState.Closed;
    const batch = [...this.#reverify].slice(0, closed ? this.#s.reverifyPerSecond : 1);
    if (batch.length > 0)
      this.#events.emit('entitlement.reverifying', { count: batch.length, breakerClosed: closed });
    // Call i of n lands at a random point of the i-th n-th of the second (stratified jitter):
    // spread out like plain jitter, but never bunched, so any one second holds about n calls.
    for (const [i, playerId] of batch.entries()) {
      this.#reverify.delete(playerId);
      setTimeout(
        () => {
          this.#fetchOnce(playerId)
            .then((licence) => this.#events.emit('entitlement.verified', { playerId, licence }))
            .catch((err: unknown) => {
              if (!(err instanceof NoLicence)) this.#reverify.add(playerId);
            });
        },
        ((i + Math.random()) * 1000) / batch.length,
      ).unref();
    }
  }
}
