import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pace, THROUGHPUT_MIN_COMPLETIONS } from './pace.ts';

/**
 * Completes `rounds` rounds of `inFlight` calls of `ms` each on the clock `at`, every call
 * started with `inFlight` in flight; returns the clock after them.
 */
function rounds(
  pace: Pace,
  o: { at: number; rounds: number; inFlight: number; ms: number; loaded: boolean; waiting: boolean },
): number {
  let now = o.at;
  for (let r = 0; r < o.rounds; r++) {
    now += o.ms;
    for (let i = 0; i < o.inFlight; i++)
      pace.record({ now, latency: o.ms, inFlight: o.inFlight, loaded: o.loaded, waiting: o.waiting });
  }
  return now;
}

test("a trickle's calls, one at a time, say the upstream's latency; the storm's calls under load say its capacity", () => {
  const pace = new Pace();
  // A trickle: 300 calls one at a time, 20 ms each, with permits to spare: 50 a second.
  let now = rounds(pace, { at: 0, rounds: 300, inFlight: 1, ms: 20, loaded: false, waiting: false });
  assert.equal(pace.rate(now, 10), 50, 'with nothing under load, the trickle is all there is');
  assert.equal(pace.measured(1000), false, 'not measured under load: a storm must not be quoted from it');
  // The storm: 10 calls at a time, 40 ms each (5 served at once, 5 waiting at the upstream):
  // 250 a second, five times what the trickle said.
  now = rounds(pace, { at: now, rounds: 4, inFlight: 10, ms: 40, loaded: true, waiting: true });
  assert.equal(pace.measured(1000), true);
  assert.equal(pace.rate(now, 10), 250);
  // 2,000 in line: 8 s, where the trickle's latency would have said 40 s.
  assert.equal(pace.etaSeconds(1999, now, 10), 8);
});

test('throughput counts the completions after the first over the time since it, however bunched', () => {
  const pace = new Pace();
  // Answers read here 8 at a time every 20 ms (a busy event loop reads them in bunches): 400 a
  // second. Counting the first bunch too would say (40 - 1) / 80 ms = 487.5.
  const now = rounds(pace, { at: 1000, rounds: 5, inFlight: 8, ms: 20, loaded: true, waiting: true });
  assert.ok(5 * 8 >= THROUGHPUT_MIN_COMPLETIONS);
  assert.equal(pace.rate(now, 8), 400);
});

test('throughput beats a pace slowed by answers read late here, while the line drains at full rate', () => {
  const pace = new Pace();
  // 10 in flight, each answered 100 ms after it started (its answer waited here to be read while a
  // storm's requests were taken), yet completing 250 a second: the pace says 100, the run 250.
  let now = 0;
  for (let i = 0; i < 64; i++) {
    now += 4;
    pace.record({ now, latency: 100, inFlight: 10, loaded: true, waiting: true });
  }
  assert.equal(pace.rate(now, 10), 250);
});

test('a run ends when the line empties: idle time is not counted as a slow upstream', () => {
  const pace = new Pace();
  let now = rounds(pace, { at: 0, rounds: 8, inFlight: 8, ms: 20, loaded: true, waiting: true });
  // The line empties, and nobody logs in for 900 ms; then a new line forms and drains at 400/s.
  pace.record({ now: now + 1, latency: 20, inFlight: 8, loaded: true, waiting: false });
  now = rounds(pace, { at: now + 900, rounds: 5, inFlight: 8, ms: 20, loaded: true, waiting: true });
  assert.equal(pace.rate(now, 8), 400);
});

test('a run slower than the pace (this node busy taking a storm) is met halfway: the wait spans both', () => {
  const pace = new Pace();
  // 250 a second by the run, 400 by the pace (8 at 20 ms): the node drains at 250 now and at 400
  // once the storm's arrivals stop...
  let now = 0;
  for (let i = 0; i < 64; i++) {
    now += 4;
    pace.record({ now, latency: 20, inFlight: 8, loaded: true, waiting: true });
  }
  assert.equal(pace.rate(now, 8), 325, 'the mean of the two');
  // ...and a run that stopped completing leaves the pace alone to say it.
  assert.equal(pace.rate(now + 1000, 8), 400, 'the pace, once the run is stale');
});

test('a run faster than the pace is the rate, until it stops completing: then the pace is', () => {
  // 8 in flight at 80 ms (the pace says 100 a second), completing every 4 ms (250 a second).
  const slowPace = new Pace();
  let now = 0;
  for (let i = 0; i < 64; i++) {
    now += 4;
    slowPace.record({ now, latency: 80, inFlight: 8, loaded: true, waiting: true });
  }
  assert.equal(slowPace.rate(now, 8), 250, 'the run');
  assert.equal(slowPace.rate(now + 1000, 8), 100, 'the pace, once the run is stale');
});

test('a short line is measured sooner than a storm: its ETAs are short anyway', () => {
  const pace = new Pace();
  rounds(pace, { at: 0, rounds: 1, inFlight: 4, ms: 20, loaded: true, waiting: true });
  assert.equal(pace.measured(3), true);
  assert.equal(pace.measured(1000), false, 'a storm waits for a run of calls under load');
});
