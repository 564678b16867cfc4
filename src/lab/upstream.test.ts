import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { type TestContext, test } from 'node:test';
import { VirtualClock } from './clock.ts';
import { type LabClock, Upstream } from './index.ts';

/** An upstream answering 200 {ok} to everything, closed with the test. */
async function echo(t: TestContext, options: { seed?: number; clock?: LabClock } = {}): Promise<Upstream> {
  const up = await Upstream.start({
    name: 'echo',
    handler: () => ({ status: 200, body: { ok: true } }),
    ...options,
  });
  t.after(() => up.close());
  return up;
}

/** Opens a fresh TCP connection (no keep-alive pool in the way) and reports how it went. */
const dial = (url: string) =>
  new Promise<string>((resolve) => {
    const { hostname, port } = new URL(url);
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
  });

test('down refuses connections until recover; destroy mode counts the connections it dropped', async (t) => {
  const up = await echo(t);
  assert.equal((await fetch(up.url)).status, 200);
  await up.faults.set({ kind: 'down' });
  assert.equal(await dial(up.url), 'ECONNREFUSED');
  await assert.rejects(fetch(up.url));
  assert.equal(up.stats.snapshot().requests, 1, 'a refused connection never reached the upstream');
  await up.faults.set({ kind: 'recover' });
  assert.equal((await fetch(up.url)).status, 200, 'the same URL answers again');

  await up.faults.set({ kind: 'down', mode: 'destroy' });
  await assert.rejects(fetch(up.url));
  // A fresh connection is accepted, then dropped at once, and the upstream counts it.
  assert.equal(await dial(up.url), 'connected');
  await up.stats.until((s) => s.refused >= 1);
  assert.equal(up.stats.snapshot().answered, 2, 'nothing answered while down: only the two answers while up');
  await up.faults.clear();
  assert.equal((await fetch(up.url)).status, 200);
});

test('error answers its status to the given share of requests, the same ones for the same seed', async (t) => {
  const statuses = async (seed: number) => {
    const up = await echo(t, { seed });
    await up.faults.set({ kind: 'error', rate: 0.3, status: 502 });
    const seen: number[] = [];
    for (let i = 0; i < 40; i++) seen.push((await fetch(up.url)).status);
    return { seen, stats: up.stats.snapshot() };
  };
  const a = await statuses(9);
  const b = await statuses(9);
  assert.deepEqual(a.seen, b.seen, 'a seed replays the same failures');
  const failed = a.seen.filter((s) => s === 502).length;
  assert.ok(failed > 0 && failed < 40, `some but not all failed (${failed} of 40)`);
  assert.deepEqual(a.stats.byStatus, { 200: 40 - failed, 502: failed }, 'the stats count what was answered');
  assert.equal(a.stats.requests, 40);
});

test('latency waits its ms within the jitter on the upstream clock, replayed by the seed', async (t) => {
  const delays: number[] = [];
  for (const _ of [1, 2]) {
    const clock = new VirtualClock();
    const up = await echo(t, { clock, seed: 5 });
    await up.faults.set({ kind: 'latency', ms: 200, jitterMs: 50 });
    const answer = fetch(up.url);
    await clock.untilSleeping(1);
    const [delay] = clock.sleeping();
    assert.ok(delay !== undefined && delay >= 150 && delay <= 250, `delay ${delay} within 200 ± 50`);
    assert.equal(up.stats.snapshot().answered, 0, 'nothing answered before the delay passed');
    clock.advance(250);
    assert.equal((await answer).status, 200);
    delays.push(delay);
  }
  assert.equal(delays[0], delays[1]);
});

test('timeout accepts and never answers; with ms the socket is destroyed when it passes', async (t) => {
  const clock = new VirtualClock();
  const up = await echo(t, { clock });
  await up.faults.set({ kind: 'timeout' });
  const gaveUp = new AbortController();
  const held = fetch(up.url, { signal: gaveUp.signal });
  const during = await up.stats.until((s) => s.held === 1);
  assert.equal(during.inFlight, 1);
  gaveUp.abort();
  await assert.rejects(held);
  const after = await up.stats.until((s) => s.inFlight === 0);
  assert.equal(after.answered, 0, 'held requests are never answered');

  await up.faults.set({ kind: 'timeout', ms: 1000 });
  const cut = fetch(up.url);
  await clock.untilSleeping(1);
  clock.advance(1000);
  await assert.rejects(cut);
  assert.equal(up.stats.snapshot().answered, 0);
});

test('reset destroys the socket mid-request (reset_peer) and counts it', async (t) => {
  const up = await echo(t);
  await up.faults.set({ kind: 'reset' });
  await assert.rejects(fetch(up.url));
  const s = up.stats.snapshot();
  assert.equal(s.reset, 1);
  assert.equal(s.answered, 0);
});

test('rate-limited answers 429 with Retry-After', async (t) => {
  const up = await echo(t);
  await up.faults.set({ kind: 'rate-limited', retryAfterSeconds: 7 });
  const res = await fetch(up.url);
  assert.equal(res.status, 429);
  assert.equal(res.headers.get('retry-after'), '7');
  assert.deepEqual(up.stats.snapshot().byStatus, { 429: 1 });
});

test('recover clears every fault at once', async (t) => {
  const up = await echo(t);
  await up.faults.replace([
    { kind: 'error', rate: 1 },
    { kind: 'rate-limited', retryAfterSeconds: 1 },
  ]);
  assert.equal((await fetch(up.url)).status, 429);
  await up.faults.set({ kind: 'recover' });
  assert.deepEqual(up.faults.list(), []);
  assert.equal((await fetch(up.url)).status, 200);
});
