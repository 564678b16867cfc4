import assert from 'node:assert/strict';
import { test } from 'node:test';
import { identityUpstream } from '../../src/lab/index.ts';
import { TestClock } from '../clock.ts';
import { Client, postJson, startLifeline } from '../helpers.ts';

/** The lab's identity verifier on loopback, 20 ms a call; its stats know its concurrency. */
async function identityUpstreamFor(t: { after: (fn: () => Promise<void>) => void }) {
  const idp = await identityUpstream();
  t.after(() => idp.close());
  await idp.faults.set({ kind: 'latency', ms: 20 });
  return idp;
}

/** A client that logs in, waiting in line as told. */
async function loginThroughQueue(playerUrl: string, playerId: string): Promise<{ body: any }> {
  let res = await postJson(`${playerUrl}/v1/login`, { playerId, region: 'na', shard: 'na-1' });
  while (res.status === 202) {
    assert.ok(res.body.ticket && res.body.position >= 0 && res.body.etaSeconds >= 1);
    assert.equal(res.headers.get('retry-after'), String(res.body.retryAfterSeconds));
    assert.ok(res.body.retryAfterSeconds <= res.body.etaSeconds);
    // Retry-After is honoured, capped for the test's sake at 1 s.
    await new Promise((r) => setTimeout(r, Math.min(1000, Number(res.headers.get('retry-after')) * 1000)));
    res = await postJson(`${playerUrl}/v1/login/poll`, { ticket: res.body.ticket });
  }
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return { body: res.body };
}

test('identity down: 500 sessions stay connected and refresh for three token lifetimes; new logins queue and are admitted after recovery within the upstream concurrency', async (t) => {
  const idp = await identityUpstreamFor(t);
  // Time stands still while 500 players log in and connect, however long a busy machine takes:
  // their 3-s tokens are what the outage below outlives, not what the connecting races. (So the
  // node's backoff after a failed identity call would not pass either: the call's timeout is long
  // enough that a busy machine cannot turn the upstream's 20 ms into a failure.)
  const clock = new TestClock();
  const { app, playerUrl } = await startLifeline(t, {
    clock: clock.now,
    overrides: {
      identity: { provider: 'http', http: { url: idp.verifyUrl, timeoutMs: 30_000 } },
      tokens: { accessTtlSeconds: 3 },
      admission: { maxLimit: 5, initialLimit: 5 },
    },
  });

  const clients: Client[] = [];
  t.after(() => {
    for (const c of clients) c.close();
  });
  // The line's depth as logins join it. A client does not always see its wait: a login due within
  // 2 s is answered when done (its first answer waits for it), and 500 at 250 a second are all
  // due within 2 s.
  let deepest = 0;
  t.after(app.events.on('admission.queued', (e) => (deepest = Math.max(deepest, e.queued))));
  // Each player connects as soon as it is in, refreshing first as a client that collected its
  // token late does.
  const sessions = await Promise.all(
    Array.from({ length: 500 }, async (_, i) => {
      const s = await loginThroughQueue(playerUrl, `p-${i}`);
      const fresh = await postJson(`${playerUrl}/v1/refresh`, { refreshToken: s.body.refreshToken });
      assert.equal(fresh.status, 200, JSON.stringify(fresh.body));
      s.body = fresh.body;
      const c = new Client(playerUrl, s.body.accessToken);
      await c.welcomed;
      clients.push(c);
      return s;
    }),
  );
  assert.ok(deepest > 0, '500 at once exceed the limit of 5: some waited in line');

  await idp.faults.set({ kind: 'error', rate: 1, status: 503 });
  const queued = await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      postJson(`${playerUrl}/v1/login`, { playerId: `new-${i}`, region: 'na', shard: 'na-1' }),
    ),
  );
  assert.ok(
    queued.every((r) => r.status === 202 && r.body.queued === true),
    'new logins queue during the outage',
  );

  // Three access-token lifetimes (3 s each) on the virtual clock: every session refreshes every second.
  const refreshTokens = sessions.map((s) => s.body.refreshToken as string);
  for (let round = 0; round < 10; round++) {
    const answers = await Promise.all(
      refreshTokens.map((rt) => postJson(`${playerUrl}/v1/refresh`, { refreshToken: rt })),
    );
    assert.ok(
      answers.every((a) => a.status === 200),
      `round ${round}: every refresh succeeded`,
    );
    answers.forEach((a, i) => {
      refreshTokens[i] = a.body.refreshToken;
    });
    clock.advance(1000);
  }
  assert.ok(
    clients.every((c) => c.closeCode === undefined),
    'no socket closed during the outage',
  );

  await idp.faults.clear('error');
  // The node backs off an upstream that failed (up to 5 s on its clock): time runs again.
  clock.run();
  const admitted = await Promise.all(
    queued.map(async (q) => {
      let res = q;
      while (res.status === 202) {
        await new Promise((r) =>
          setTimeout(r, Math.min(1000, Number(res.headers.get('retry-after')) * 1000)),
        );
        res = await postJson(`${playerUrl}/v1/login/poll`, { ticket: res.body.ticket });
      }
      return res;
    }),
  );
  assert.ok(
    admitted.every((r) => r.status === 200),
    JSON.stringify(admitted.find((r) => r.status !== 200)?.body),
  );
  const { peakInFlight } = idp.stats.snapshot();
  assert.ok(peakInFlight <= 5, `the upstream saw at most its concurrency of 5 (peak ${peakInFlight})`);
  const unknown = await postJson(`${playerUrl}/v1/login/poll`, { ticket: queued[0]!.body.ticket });
  assert.equal(unknown.body.error.code, 'LOGIN_TICKET_UNKNOWN', 'a collected ticket is spent');
});
