import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventStream } from '../events/index.ts';
import { VirtualClock } from '../lab/clock.ts';
import { MemoryLiveState } from '../live/memory.ts';
import { type Admitted, AdmissionController, type AdmissionSettings } from './index.ts';

const settings: AdmissionSettings = {
  initialLimit: 1,
  minLimit: 1,
  maxLimit: 1,
  maxQueue: 100,
  targetLatencyMs: 1000,
  ticketTtlSeconds: 300,
};

function controller(clock: () => number = Date.now, overrides: Partial<AdmissionSettings> = {}) {
  return new AdmissionController<string>({
    settings: { ...settings, ...overrides },
    clock,
    events: new EventStream(),
    isUpstreamFailure: () => false,
    permits: new MemoryLiveState(),
  });
}

/** A promise and the function that resolves it. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open = () => {};
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

/**
 * Holds every permit with calls that have not answered, then queues `count` logins behind them;
 * `release` lets the held calls answer.
 */
async function queueBehindHeldPermits(
  admission: AdmissionController<string>,
  permits: number,
  count: number,
): Promise<{ answers: Admitted<string>[]; release: () => Promise<void> }> {
  const hung = gate();
  const holding = Array.from({ length: permits }, () =>
    admission.enter(async (upstreamDone) => {
      await hung.wait;
      upstreamDone();
      return 'held';
    }),
  );
  await new Promise((r) => setImmediate(r));
  // Queued in order (each joins the line before its first await); answered together, since the
  // first answer of a login due within 2 s waits up to 4 s for it (and its permit stays held).
  const answers = await Promise.all(
    Array.from({ length: count }, (_, i) => admission.enter(async () => `q${i}`)),
  );
  return {
    answers,
    release: async () => {
      hung.open();
      await Promise.all(holding);
    },
  };
}

// A regression would leave the second login waiting on the first's session write, which this test
// holds: the timeout turns that deadlock into a failure (it measures nothing).
test('the permit goes back when the upstream answers, not when the login has written its session', {
  timeout: 60_000,
}, async () => {
  const admission = controller();
  const upstreamAnswered = gate();
  const sessionWritten = gate();
  // One permit. The first login holds it through its upstream call, then writes its session.
  const first = admission.enter(async (upstreamDone) => {
    await upstreamAnswered.wait;
    upstreamDone();
    await sessionWritten.wait;
    return 'first';
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(admission.inFlight, 1);
  let secondStarted = false;
  const secondStarting = gate();
  const second = admission.enter(async (upstreamDone) => {
    secondStarted = true;
    secondStarting.open();
    upstreamDone();
    return 'second';
  });
  upstreamAnswered.open();
  // The second login's upstream call starts while the first is still writing its session.
  await secondStarting.wait;
  assert.ok(secondStarted, 'the next login was let in before the first finished its own work');
  sessionWritten.open();
  assert.deepEqual(await first, { kind: 'done', value: 'first' });
  // Queued behind the first, due at once: its first answer waited for it.
  assert.deepEqual(await second, { kind: 'done', value: 'second' });
  assert.equal(admission.peakInFlight, 1, 'never more than the one permit in flight');
  admission.stop();
});

test('work that never says the upstream answered returns its permit when it settles', async () => {
  const admission = controller();
  assert.deepEqual(await admission.enter(async () => 'only'), { kind: 'done', value: 'only' });
  await new Promise((r) => setImmediate(r));
  assert.equal(admission.inFlight, 0);
  assert.deepEqual(await admission.enter(async () => 'next'), { kind: 'done', value: 'next' });
  admission.stop();
});

test('ETAs come from the fastest calls, not from calls slowed by a storm arriving here', async () => {
  // One permit. Ten logins one after another: the first three calls take 500 ms (as calls made
  // while this process takes a storm's 20,000 requests do), the other seven 20 ms.
  let now = 0;
  const admission = controller(() => now);
  for (let i = 0; i < 10; i++) {
    const answer = await admission.enter(async (upstreamDone) => {
      now += i < 3 ? 500 : 20;
      upstreamDone();
      return `p${i}`;
    });
    assert.equal(answer.kind, 'done');
    await new Promise((r) => setImmediate(r));
  }
  // The permit is held by a call that has not answered; 99 logins queue behind it.
  const { answers, release } = await queueBehindHeldPermits(admission, 1, 99);
  const last = answers.at(-1);
  assert.equal(last?.kind, 'queued');
  if (last?.kind !== 'queued') return;
  assert.equal(last.position, 98);
  // 99 to serve at one permit × 1000 / 20 ms = 50 a second: 2 s. The mean latency (164 ms)
  // would say 17 s, the completions of the last two seconds (10 over 1.14 s) 12 s.
  assert.equal(last.etaSeconds, 2);
  await release();
  admission.stop();
});

test('ETAs divide by the pace per call in flight: a limit above the concurrency measured does not shorten them', async () => {
  // Eight permits, but the calls so far ran two at a time, 20 ms each: 100 a second. By Little's
  // law that is 10 ms of upstream per call; the limit alone (8 × 1000 / 20 ms) would say 400.
  let now = 0;
  const admission = controller(() => now, { initialLimit: 8, maxLimit: 8, maxQueue: 1000 });
  for (let round = 0; round < 10; round++) {
    const answered = gate();
    const pair = [0, 1].map((i) =>
      admission.enter(async (upstreamDone) => {
        await answered.wait;
        upstreamDone();
        return `r${round}-${i}`;
      }),
    );
    await new Promise((r) => setImmediate(r));
    now += 20;
    answered.open();
    for (const answer of await Promise.all(pair)) assert.equal(answer.kind, 'done');
    await new Promise((r) => setImmediate(r));
  }
  // All eight permits held by calls that have not answered; 200 logins queue behind them.
  const { answers, release } = await queueBehindHeldPermits(admission, 8, 200);
  const last = answers.at(-1);
  assert.equal(last?.kind, 'queued');
  if (last?.kind !== 'queued') return;
  assert.equal(last.position, 199);
  // 200 to serve at 100 a second: 2 s (the limit alone would have said 1 s).
  assert.equal(last.etaSeconds, 2);
  await release();
  admission.stop();
});

test('a login far back in line is sent away for 20 s at most, however long its ETA', async () => {
  let now = 0;
  const admission = controller(() => now, { maxQueue: 10_000 });
  // One permit, calls of 20 ms: 50 a second.
  for (let i = 0; i < 3; i++) {
    await admission.enter(async (upstreamDone) => {
      now += 20;
      upstreamDone();
      return `p${i}`;
    });
    await new Promise((r) => setImmediate(r));
  }
  const { answers, release } = await queueBehindHeldPermits(admission, 1, 5000);
  const near = answers[49];
  const far = answers[4999];
  assert.ok(near?.kind === 'queued' && far?.kind === 'queued');
  // 50 ahead: 1 s, come back then (answered after the 4 s its first answer waits for a login due
  // that soon, the permit still held). 5,000 ahead: 100 s, come back in 20 s for a fresher one.
  assert.deepEqual([near.etaSeconds, near.retryAfterSeconds], [1, 1]);
  assert.deepEqual([far.etaSeconds, far.retryAfterSeconds], [100, 20]);
  await release();
  admission.stop();
});

/**
 * An upstream the test serves by hand: each login's call waits in `calls` until the test answers
 * it (`answer(n)` answers the n oldest), on a virtual clock the test moves.
 */
function handServedUpstream() {
  const calls: (() => void)[] = [];
  const work = (id: string) => (upstreamDone: () => void) =>
    new Promise<string>((resolve) => {
      calls.push(() => {
        upstreamDone();
        resolve(id);
      });
    });
  /** Lets the controller hand returned permits to the next logins (permits are async). */
  const settle = async () => {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  };
  const answer = async (n: number) => {
    for (const call of calls.splice(0, n)) call();
    await settle();
  };
  return { calls, work, answer, settle };
}

test("a storm after a trickle is quoted from calls under load, not from the trickle's one-at-a-time latency", async () => {
  const clock = new VirtualClock(0);
  const admission = controller(() => clock.now(), { initialLimit: 10, maxLimit: 10, maxQueue: 5000 });
  const up = handServedUpstream();
  // The trickle: 50 logins one at a time, 20 ms each, with 9 permits to spare (50 a second).
  for (let i = 0; i < 50; i++) {
    const login = admission.enter(up.work(`t${i}`));
    await up.settle();
    clock.advance(20);
    await up.answer(1);
    assert.equal((await login).kind, 'done');
  }
  // The storm: 2,000 at once. The upstream serves 5 at a time, 20 ms each (250 a second), so
  // with 10 permits each call waits 20 ms at the upstream and answers 40 ms after it started.
  const storm = Array.from({ length: 2000 }, (_, i) => admission.enter(up.work(`s${i}`)));
  let quoted = false;
  // The first 10 took a permit at once; the other 1,990 are in line, waiting to be quoted.
  void Promise.race(storm.slice(10)).then(() => {
    quoted = true;
  });
  await up.settle();
  assert.equal(up.calls.length, 10, 'one call per permit');
  let served = 0;
  while (!quoted) {
    clock.advance(20);
    await up.answer(5);
    served += 5;
    assert.ok(served <= 100, 'quoted once a run of calls under load was measured');
  }
  assert.ok(served >= 32, `not quoted before calls under load had completed (${served})`);
  const answers = await Promise.all(storm);
  const last = answers.at(-1);
  assert.ok(last?.kind === 'queued');
  // The rest of the line at 250 a second; the trickle's 50 a second would say five times that.
  const expected = (last.position + 1) / 250;
  assert.ok(
    Math.abs(last.etaSeconds - expected) <= 0.1 + expected * 0.02,
    `ETA ${last.etaSeconds} s for ${last.position} ahead, expected ${expected.toFixed(2)} s`,
  );
  assert.equal(last.retryAfterSeconds, Math.min(20, Math.max(1, Math.floor(last.etaSeconds / 2))));
  admission.stop();
});

test('a poll for a login due within 2 s is answered when the login is done, not sent away again', async () => {
  const clock = new VirtualClock(0);
  const admission = controller(() => clock.now());
  const up = handServedUpstream();
  // One permit: the first login calls the upstream, the second waits in line behind it.
  const first = admission.enter(up.work('first'));
  await up.settle();
  const queued = admission.enter(up.work('second'));
  await up.settle();
  clock.advance(20);
  await up.answer(1);
  assert.deepEqual(await first, { kind: 'done', value: 'first' });
  const second = await queued;
  assert.ok(second.kind === 'queued', 'told to come back: its call had not answered yet');
  // The client comes back while its login's call is still out.
  const poll = admission.poll(second.ticket);
  let answered = false;
  void poll.then(() => {
    answered = true;
  });
  await up.settle();
  assert.equal(answered, false, 'held while the login is due');
  clock.advance(20);
  await up.answer(1);
  assert.deepEqual(await poll, { kind: 'done', value: 'second' });
  admission.stop();
});

test('calls in flight that fail together pause the line one backoff step, not one step each', async () => {
  // Three logins in flight when the upstream fails (one lapsed DNS answer fails them all): the
  // line waits 100 ms, as after one failure; the probe after it failing too doubles the wait.
  let now = 0;
  const admission = new AdmissionController<string>({
    settings: { ...settings, initialLimit: 3, maxLimit: 3 },
    clock: () => now,
    events: new EventStream(),
    isUpstreamFailure: () => true,
    permits: new MemoryLiveState(),
  });
  const fault = gate();
  const tries: number[] = [];
  let probed = gate();
  const work = async () => {
    tries.push(now);
    probed.open();
    await fault.wait;
    throw new Error('upstream down');
  };
  const logins = [admission.enter(work), admission.enter(work), admission.enter(work)];
  await new Promise((r) => setImmediate(r));
  assert.equal(admission.inFlight, 3);
  now = 1000;
  fault.open();
  for (const answer of await Promise.all(logins)) assert.equal(answer.kind, 'queued');
  assert.equal(admission.pausedUntil, 1100, 'one step for the three calls that failed together');
  probed = gate();
  now = 1100;
  await probed.wait;
  assert.deepEqual(tries, [0, 0, 0, 1100], 'one probe after the pause');
  await new Promise((r) => setImmediate(r));
  assert.equal(admission.pausedUntil, 1300, 'the failed probe is a second step');
  admission.stop();
});
