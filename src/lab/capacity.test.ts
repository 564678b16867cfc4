import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { VirtualClock } from './clock.ts';
import { Upstream } from './upstream.ts';

async function start(t: TestContext, handler: () => Promise<{ status: number }>, clock?: VirtualClock) {
  const up = await Upstream.start({ name: 'slots', handler, ...(clock ? { clock } : {}) });
  t.after(() => up.close());
  return up;
}

test('capacity inFlight: at most N requests reach the handler at once, the rest queue FIFO', async (t) => {
  let inside = 0;
  let peak = 0;
  const gates: (() => void)[] = [];
  let entered: (() => void) | undefined;
  const up = await start(t, async () => {
    inside++;
    peak = Math.max(peak, inside);
    await new Promise<void>((resolve) => {
      gates.push(resolve);
      entered?.();
    });
    inside--;
    return { status: 200 };
  });
  /** The next request the handler holds, waiting for it to get in if none is there yet. */
  const nextGate = async (): Promise<() => void> => {
    while (gates.length === 0) await new Promise<void>((resolve) => (entered = resolve));
    return gates.shift() as () => void;
  };
  await up.faults.set({ kind: 'capacity', inFlight: 2 });
  const answers = Array.from({ length: 5 }, () => fetch(up.url));
  const waiting = await up.stats.until((s) => s.queued === 3 && s.inFlight === 5);
  assert.equal(waiting.answered, 0);
  assert.equal(inside, 2, 'two in service, three in line');
  // Let the handler go one at a time: each release lets exactly one more in.
  for (let i = 0; i < 5; i++) (await nextGate())();
  assert.ok((await Promise.all(answers)).every((r) => r.status === 200));
  assert.equal(peak, 2, 'the handler never saw more than the capacity');
  assert.equal(up.stats.snapshot().queued, 0);
});

test('capacity with a service time: latency rises with the queue, at exactly slots × 1000 / serviceMs', async (t) => {
  const clock = new VirtualClock();
  const up = await start(t, async () => ({ status: 200 }), clock);
  await up.faults.set({ kind: 'capacity', inFlight: 2, serviceMs: 100 });
  const answers = Array.from({ length: 6 }, () => fetch(up.url));
  await clock.untilSleeping(6);
  // Two slots of 100 ms: pairs finish at 100, 200, 300 ms; the queue is what makes the wait grow.
  assert.deepEqual(clock.sleeping(), [100, 100, 200, 200, 300, 300]);
  assert.equal(up.stats.snapshot().queued, 4);
  clock.advance(300);
  assert.ok((await Promise.all(answers)).every((r) => r.status === 200));
  assert.equal(up.stats.snapshot().queued, 0);
});

test('capacity perSecond spaces requests 1000 / R ms apart', async (t) => {
  const clock = new VirtualClock();
  const up = await start(t, async () => ({ status: 200 }), clock);
  await up.faults.set({ kind: 'capacity', perSecond: 4 });
  const answers = Array.from({ length: 3 }, () => fetch(up.url));
  await clock.untilSleeping(3);
  assert.deepEqual(clock.sleeping(), [250, 500, 750]);
  clock.advance(750);
  await Promise.all(answers);
});

test('stats keep a per-second history on the upstream clock', async (t) => {
  const clock = new VirtualClock(10_000);
  const up = await start(t, async () => ({ status: 204 }), clock);
  await fetch(up.url);
  await fetch(up.url);
  clock.advance(1500);
  await fetch(up.url);
  const { seconds } = up.stats.snapshot();
  assert.deepEqual(
    seconds.map((s) => [s.at, s.requests, s.answered, s.byStatus]),
    [
      [10_000, 2, 2, { 204: 2 }],
      [11_000, 1, 1, { 204: 1 }],
    ],
  );
});

test('stats trace the timed slots: idle time before a call, busy slots, late timers, the last answer', async (t) => {
  const clock = new VirtualClock(5_000);
  const up = await start(t, async () => ({ status: 200 }), clock);
  await up.faults.set({ kind: 'capacity', inFlight: 2, serviceMs: 100 });
  // Two calls fill both slots; neither slot had been used, so neither was idle.
  const first = [fetch(up.url), fetch(up.url)];
  await clock.untilSleeping(2);
  clock.advance(100);
  await Promise.all(first);
  let s = up.stats.snapshot().slots;
  assert.deepEqual([s.calls, s.idleCalls, s.idleMs, s.peakBusy], [2, 0, 0, 2]);
  assert.equal(up.stats.snapshot().lastAnswerAt, 5_100);
  // 40 ms pass with nobody calling: the next call finds its slot idle for those 40 ms, and its
  // answer's timer fires 30 ms late (the clock jumps past it), as a busy machine's would.
  clock.advance(40);
  const third = fetch(up.url);
  await clock.untilSleeping(1);
  clock.advance(130);
  await third;
  s = up.stats.snapshot().slots;
  assert.deepEqual([s.calls, s.idleCalls, s.idleMs, s.lateMs], [3, 1, 40, 30]);
  assert.equal(up.stats.snapshot().lastAnswerAt, 5_270);
});
