/**
 * A drop in success: players online below the seasonal forecast with nothing failing (a removed
 * DNS delegation in front of Lifeline makes players vanish without one error). A one-sided CUSUM
 * on the relative shortfall fires once the deficit is both sustained and larger than a noise
 * floor of players (quiet hours). Declared change windows (a deploy) hold it off: players
 * dropping for a deploy everyone announced is not news.
 */
import { SeasonalForecast } from './forecast.ts';
import type { DetectorSignal } from './signal.ts';
import type { LoginTally } from './tally.ts';

export interface DropOptions {
  stepMs: number;
  /** Shortfall a step that is forgiven (noise, the forecast's lag). @defaultValue 0.005 */
  slack?: number;
  /** CUSUM threshold on the summed shortfall. @defaultValue 0.05 */
  threshold?: number;
  /** The fewest players missing that can page. @defaultValue 100 */
  minDeficit?: number;
  /** After a change window ends, this much more time passes before the detector arms again. @defaultValue 10 minutes */
  graceMs?: number;
  /** Steps of learning after the first week before it can fire. @defaultValue 1 hour of steps */
  warmupSteps?: number;
}

export interface ChangeWindow {
  from: number;
  to: number;
  what: string;
}

export class DropDetector {
  readonly name = 'players-online';
  readonly #o: Required<DropOptions>;
  readonly #forecast: SeasonalForecast;
  #windows: ChangeWindow[] = [];
  #d = 0;
  #onset = 0;
  #open: DetectorSignal | undefined;

  constructor(o: DropOptions) {
    this.#o = {
      slack: 0.005,
      threshold: 0.05,
      minDeficit: 100,
      graceMs: 600_000,
      warmupSteps: Math.ceil(3_600_000 / o.stepMs),
      ...o,
    };
    this.#forecast = new SeasonalForecast({ stepMs: o.stepMs });
  }

  /** Announces a change window (a deploy, maintenance): no page for drops inside it. */
  announce(w: ChangeWindow): void {
    this.#windows.push(w);
  }

  #inChange(at: number): boolean {
    return this.#windows.some((w) => w.from <= at && at <= w.to + this.#o.graceMs);
  }

  observe(t: LoginTally): DetectorSignal | undefined {
    const expected = this.#forecast.predict();
    const held = this.#inChange(t.at);
    // A fresh level needs a few hours of this week before its forecast is worth a page.
    if (expected === null || expected <= 0 || held || this.#forecast.learned < this.#o.warmupSteps) {
      this.#d = 0;
      this.#forecast.record(t.online, !held);
      return this.#close(t);
    }
    const shortfall = 1 - t.online / expected;
    const before = this.#d;
    this.#d = Math.min(2 * this.#o.threshold, Math.max(0, this.#d + shortfall - this.#o.slack));
    if (before === 0 && this.#d > 0) this.#onset = t.at - t.stepMs;
    this.#forecast.record(t.online, this.#d < this.#o.threshold / 2);
    if (
      this.#open === undefined &&
      this.#d >= this.#o.threshold &&
      expected - t.online >= this.#o.minDeficit
    ) {
      this.#open = this.#signal(t, expected);
      return this.#open;
    }
    return this.#d === 0 ? this.#close(t) : undefined;
  }

  #signal(t: LoginTally, expected: number): DetectorSignal {
    const missing = Math.round(expected - t.online);
    return {
      detector: this.name,
      severity: t.online < expected * 0.85 ? 'P1' : 'P2',
      title: `Players online ${((1 - t.online / expected) * 100).toFixed(1)}% below the forecast (${missing} missing) with no failures to explain it`,
      startedAt: t.at,
      onsetAt: this.#onset,
      resolvedAt: null,
      evidence: { statistic: this.#d, threshold: this.#o.threshold, observed: t.online, expected },
      localisation: [],
    };
  }

  #close(t: LoginTally): DetectorSignal | undefined {
    if (this.#open === undefined) return undefined;
    const resolved = { ...this.#open, resolvedAt: t.at };
    this.#open = undefined;
    return resolved;
  }
}
