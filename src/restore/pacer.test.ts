import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPacer, knee } from './pacer.ts';

const TICK = 250;
/** Ticks of TICK ms in one second. */
const SECOND = 1000 / TICK;

test('fixed pacing releases its batch every interval, whatever health says', () => {
  const p = createPacer({ mode: 'fixed', batchSize: 200, intervalMs: 5000 }, TICK);
  p.observe(5);
  p.brake();
  assert.equal(p.batch(), 200);
  assert.equal(p.intervalMs(), 5000);
  assert.equal(p.rate(), 40);
});

test('adaptive pacing slow-starts from 10% of maxRate, ×1.3 a healthy second, up to maxRate', () => {
  const p = createPacer({ mode: 'adaptive', maxRate: 1000 }, TICK);
  assert.equal(p.rate(), 100);
  assert.equal(p.intervalMs(), TICK);
  assert.equal(p.batch(), 25, 'a tick releases rate × tick');
  p.observe(0);
  for (let i = 1; i < SECOND; i++) {
    p.batch();
    p.observe(0);
  }
  assert.ok(Math.abs(p.rate() - 130) < 1e-9, `one healthy second: ${p.rate()}`);
  for (let i = 0; i < 60 * SECOND; i++) {
    p.batch();
    p.observe(0);
  }
  assert.equal(p.rate(), 1000);
});

test('slow start turns careful, ×1.1 a second, once the load is half again its lowest reading', () => {
  const p = createPacer({ mode: 'adaptive', maxRate: 1000 }, TICK);
  const second = (load: number) => {
    const from = p.rate();
    for (let i = 0; i < SECOND; i++) {
      p.batch();
      p.observe(load);
    }
    return p.rate() / from;
  };
  assert.ok(Math.abs(second(0.1) - knee.slowStartPerSecond) < 1e-9);
  assert.ok(Math.abs(second(0.14) - knee.slowStartPerSecond) < 1e-9, 'under 1.5 × the lowest');
  assert.ok(Math.abs(second(0.16) - knee.carefulPerSecond) < 1e-9, 'past 1.5 × the lowest');
});

test('pressure cuts to 90% of the lowest rate of the last second, holds, then returns past the knee', () => {
  const p = createPacer({ mode: 'adaptive', maxRate: 1000 }, TICK);
  const rates: number[] = [];
  for (let i = 0; i < 3 * SECOND; i++) {
    rates.push(p.rate());
    p.batch();
    p.observe(0.1);
  }
  // The reading trails the rate: the knee is what was released a second ago, not the rate now.
  const kneeRate = Math.min(...rates.slice(1 - SECOND), p.rate());
  p.batch();
  p.observe(knee.pressure + 0.01);
  assert.ok(Math.abs(p.rate() - kneeRate * knee.backoff) < 1e-9);
  const cut = p.rate();
  // Within the hold, pressure is not acted on again: the cut cannot show yet.
  for (let t = TICK; t <= knee.holdMs; t += TICK) {
    p.batch();
    p.observe(0.9);
    assert.equal(p.rate(), cut);
  }
  // Healthy again: half the gap to the knee in a second, then past it by the probe.
  for (let i = 0; i < SECOND; i++) {
    p.batch();
    p.observe(0.1);
  }
  assert.ok(p.rate() > cut + (kneeRate - cut) * 0.5 - 1e-9 && p.rate() < kneeRate, `${p.rate()}`);
  for (let i = 0; i < 10 * SECOND; i++) {
    p.batch();
    p.observe(0.1);
  }
  assert.ok(p.rate() > kneeRate, 'probes past the knee');
  assert.ok(p.rate() < kneeRate * (1 + 11 * knee.probePerSecond), 'slowly');
});

test('a breach brakes to 70% at once, even inside a hold', () => {
  const p = createPacer({ mode: 'adaptive', maxRate: 1000 }, TICK);
  p.batch();
  p.observe(knee.pressure + 0.01);
  const cut = p.rate();
  p.brake();
  assert.ok(Math.abs(p.rate() - cut * knee.brake) < 1e-9);
});

test('against a queue of capacity C whose latency reading trails by a second, the rate settles near C', () => {
  // A downstream model: C a second, a FIFO queue, p99 ≈ 10 ms of service plus the queue's wait,
  // read against a 100 ms threshold one second late, as a one-second health window is.
  const C = 800;
  const p = createPacer({ mode: 'adaptive', maxRate: 2 * C }, TICK);
  let queue = 0;
  const readings: number[] = [];
  const served: number[] = [];
  const waits: number[] = [];
  for (let i = 0; i < 120 * SECOND; i++) {
    queue += p.batch();
    const done = Math.min(queue, C / SECOND);
    queue -= done;
    served.push(done);
    const waitMs = (queue / C) * 1000;
    waits.push(waitMs);
    readings.push((10 + waitMs) / 100);
    p.observe(readings[i - SECOND] ?? 0);
  }
  const lastMinute = served.slice(-60 * SECOND);
  const share = lastMinute.reduce((a, b) => a + b, 0) / 60 / C;
  assert.ok(share > 0.9, `served ${share} of C over the last minute`);
  const worst = Math.max(...waits.slice(-60 * SECOND));
  assert.ok(worst + 10 < 100, `worst latency ${worst + 10} ms stays inside the 100 ms threshold`);
});
