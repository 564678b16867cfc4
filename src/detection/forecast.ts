/**
 * "The curve is flat when it should rise": players online against a seasonal forecast. The
 * season is the same moment last week (a weekend is not a Friday, so yesterday will not do: the
 * forecast stays silent until a week has been seen); a double
 * exponential smoothing (level and trend, as Netflix's Atlas does) tracks how this week differs
 * from the season, so a holiday or a slow trend moves the forecast and not the alarm.
 */
export interface ForecastOptions {
  stepMs: number;
  /** Level and trend smoothing a step. @defaultValue 0.1, 0.01 */
  alpha?: number;
  beta?: number;
}

const DAY = 86_400_000;

export class SeasonalForecast {
  readonly #stepMs: number;
  readonly #alpha: number;
  readonly #beta: number;
  /** Players online per step over the last week, a ring indexed by step number. */
  readonly #history: Float64Array;
  #steps = 0;
  #level = 1;
  #trend = 0;
  #primed = false;
  #learned = 0;

  constructor(o: ForecastOptions) {
    this.#stepMs = o.stepMs;
    this.#alpha = o.alpha ?? 0.1;
    this.#beta = o.beta ?? 0.01;
    this.#history = new Float64Array(Math.ceil((7 * DAY) / o.stepMs));
  }

  /** The season for the coming step: last week's value; null until a week has been seen. */
  season(): number | null {
    const week = this.#history.length;
    return this.#steps >= week ? (this.#history[this.#steps % week] ?? null) : null;
  }

  /** Steps the level and trend have learned from since the season began. */
  get learned(): number {
    return this.#learned;
  }

  /** The forecast for the coming step, null while there is no season yet. */
  predict(): number | null {
    const s = this.season();
    return s === null ? null : s * (this.#level + this.#trend);
  }

  /**
   * Records the step's value. `learn` false (a suspected incident, a change window) keeps the
   * value for next week's season but does not let it move the level and trend.
   */
  record(value: number, learn: boolean): void {
    const s = this.season();
    if (s !== null && s > 0 && learn) {
      this.#learned++;
      const ratio = value / s;
      if (!this.#primed) {
        this.#level = ratio;
        this.#primed = true;
      } else {
        const previous = this.#level;
        this.#level = this.#alpha * ratio + (1 - this.#alpha) * (this.#level + this.#trend);
        this.#trend = this.#beta * (this.#level - previous) + (1 - this.#beta) * this.#trend;
      }
    }
    this.#history[this.#steps % this.#history.length] = value;
    this.#steps++;
  }
}
