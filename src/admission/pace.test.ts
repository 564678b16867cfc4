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
  assert.deepEqual(
    pace.rates(now, 10),
    { throughput: 0, paced: 50 },
    'with nothing under load, the trickle is all there is',
  );
  assert.equal(pace.etaSeconds(49, now, 10), 1);
  assert.equal(pace.measured(1000), false, 'not measured under load: a storm must not be quoted from it');
  // The storm: 10 calls at a time, 40 ms each (5 served at once, 5 waiting at the upstream):
  // 250 a second, five times what the trickle said.
  now = rounds(pace, { at: now, rounds: 4, inFlight: 10, ms: 40, loaded: true, waiting: true });
  assert.equal(pace.measured(1000), true);
  assert.equal(pace.etaSeconds(249, now, 10), 1, '250 a second');
  // 2,000 in line: 8 s, where the trickle's latency would have said 40 s.
  assert.equal(pace.etaSeconds(1999, now, 10), 8);
});

test('throughput counts the completions after the first over the time since it, however bunched', () => {
  const pace = new Pace();
  // Answers read here 8 at a time every 20 ms (a busy event loop reads them in bunches): 400 a
  // second. Counting the first bunch too would say (40 - 1) / 80 ms = 487.5.
  const now = rounds(pace, { at: 1000, rounds: 5, inFlight: 8, ms: 20, loaded: true, waiting: true });
  assert.ok(5 * 8 >= THROUGHPUT_MIN_COMPLETIONS);
  assert.equal(pace.rates(now, 8).throughput, 400);
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
  assert.deepEqual(pace.rates(now, 10), { throughput: 250, paced: 100 });
  assert.equal(pace.etaSeconds(249, now, 10), 1, 'the run is the rate');
});

test('a run ends when the line empties: idle time is not counted as a slow upstream', () => {
  const pace = new Pace();
  let now = rounds(pace, { at: 0, rounds: 8, inFlight: 8, ms: 20, loaded: true, waiting: true });
  // The line empties, and nobody logs in for 900 ms; then a new line forms and drains at 400/s.
  pace.record({ now: now + 1, latency: 20, inFlight: 8, loaded: true, waiting: false });
  now = rounds(pace, { at: now + 900, rounds: 5, inFlight: 8, ms: 20, loaded: true, waiting: true });
  assert.equal(pace.rates(now, 8).throughput, 400);
  assert.equal(pace.etaSeconds(399, now, 8), 1);
});

test('a run slower than the pace (this node busy taking a storm): the throughput for as long again as the run has lasted, then the pace', () => {
  const pace = new Pace();
  // 250 a second by the run, 400 by the pace (8 at 20 ms): the node drains at 250 while it takes
  // the storm's requests, at 400 once their arrivals stop. It has been draining for 252 ms.
  let now = 0;
  for (let i = 0; i < 64; i++) {
    now += 4;
    pace.record({ now, latency: 20, inFlight: 8, loaded: true, waiting: true });
  }
  assert.deepEqual(pace.rates(now, 8), { throughput: 250, paced: 400 });
  assert.equal(pace.etaSeconds(49, now, 8), 50 / 250, 'due within the next 252 ms: at the throughput');
  // 63 in the next 252 ms, the other 937 at 400 a second.
  assert.ok(Math.abs(pace.etaSeconds(999, now, 8) - (0.252 + 937 / 400)) < 1e-9);
  // ...and a run that stopped completing leaves the pace alone to say it.
  assert.equal(pace.etaSeconds(399, now + 1000, 8), 1, 'the pace, once the run is stale');
  // A run that goes on slow is believed for longer: 2.252 s in at 250, the 500th is 2 s away.
  for (let i = 0; i < 500; i++) {
    now += 4;
    pace.record({ now, latency: 20, inFlight: 8, loaded: true, waiting: true });
  }
  assert.equal(pace.etaSeconds(499, now, 8), 500 / 250);
});

test('a run faster than the pace is the rate, until it stops completing: then the pace is', () => {
  // 8 in flight at 80 ms (the pace says 100 a second), completing every 4 ms (250 a second).
  const slowPace = new Pace();
  let now = 0;
  for (let i = 0; i < 64; i++) {
    now += 4;
    slowPace.record({ now, latency: 80, inFlight: 8, loaded: true, waiting: true });
  }
  assert.equal(slowPace.etaSeconds(249, now, 8), 1, 'the run');
  assert.equal(slowPace.etaSeconds(99, now + 1000, 8), 1, 'the pace, once the run is stale');
});

test('a short line is measured sooner than a storm: its ETAs are short anyway', () => {
  const pace = new Pace();
  rounds(pace, { at: 0, rounds: 1, inFlight: 4, ms: 20, loaded: true, waiting: true });
  assert.equal(pace.measured(3), true);
  assert.equal(pace.measured(1000), false, 'a storm waits for a run of calls under load');
});
