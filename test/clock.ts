/**
 * A virtual clock for a Lifeline under test. It stands still unless the test moves it
 * (`advance`) or lets it run at the wall clock's pace (`run`), so that what the test measures in
 * seconds (a token's lifetime, a heartbeat timeout) does not depend on how busy the machine is.
 */
export class TestClock {
  /** The virtual time when the clock was last anchored. */
  #at: number;
  /** The wall-clock time of that anchor while running; undefined while held. */
  #runningSince: number | undefined;

  constructor(start = Date.now()) {
    this.#at = start;
  }

  /** The clock to hand to `createApp`. */
  readonly now = (): number =>
    this.#runningSince === undefined ? this.#at : this.#at + (Date.now() - this.#runningSince);

  /** Stops the clock where it is. */
  hold(): void {
    this.#at = this.now();
    this.#runningSince = undefined;
  }

  /** Lets the clock run at the wall clock's pace from where it is. */
  run(): void {
    this.#at = this.now();
    this.#runningSince = Date.now();
  }

  /** Moves the clock forward by `ms`, held or running. */
  advance(ms: number): void {
    this.#at = this.now() + ms;
    if (this.#runningSince !== undefined) this.#runningSince = Date.now();
  }
}
