import assert from 'node:assert/strict';
import { test } from 'node:test';
import { entitlementsUpstream } from '../../src/lab/index.ts';
import { addOperator, eventually, getJson, postJson, startLifeline } from '../helpers.ts';

/** The studio's entitlement service on loopback (the lab's), with each call's arrival time. */
async function entitlementUpstream(
  t: { after: (fn: () => Promise<void>) => void },
  owned: Record<string, string>,
) {
  const up = await entitlementsUpstream({ licences: owned });
  t.after(() => up.close());
  const calls: number[] = [];
  up.stats.on('request', () => calls.push(Date.now()));
  return { up, calls, url: up.url };
}

const claims = (accessToken: string) =>
  JSON.parse(Buffer.from(accessToken.split('.')[1] as string, 'base64url').toString());

test('entitlement outage: last known good licences log in provisional, others get a coded refusal, upstream calls stay bounded', async (t) => {
  const owned = Object.fromEntries(
    Array.from({ length: 20 }, (_, i) => [`owner-${i}`, i % 2 ? 'premium' : 'standard']),
  );
  const upstream = await entitlementUpstream(t, { ...owned, newbie: 'standard' });
  const { app, playerUrl, adminUrl } = await startLifeline(t, {
    overrides: {
      admin: { rateLimit: { perSecond: 1000, burst: 1000 } },
      entitlements: {
        source: 'http',
        http: {
          url: upstream.url,
          breakerFailures: 3,
          halfOpenAfterMs: 2000,
          halfOpenCalls: 2,
          reverifyPerSecond: 5,
        },
      },
    },
  });
  const login = (playerId: string) =>
    postJson(`${playerUrl}/v1/login`, { playerId, region: 'na', shard: 'na-1' });

  // Before the outage: every owner logs in once, which records their licence as last known good.
  for (const playerId of Object.keys(owned)) {
    const res = await login(playerId);
    assert.equal(res.status, 200);
    assert.equal(claims(res.body.accessToken).prov, false);
  }
  const none = await login('stranger');
  assert.equal(none.status, 403);
  assert.equal(none.body.error.code, 'ENTITLEMENT_NONE');

  // The upstream is overloaded: every call answers 503.
  await upstream.up.faults.set({ kind: 'error', rate: 1, status: 503 });
  const callsBefore = upstream.calls.length;
  // One after another, so the bound is exact: calls already in flight when the breaker opens
  // would add to it (at most the concurrency).
  const during: Awaited<ReturnType<typeof login>>[] = [];
  for (const p of Object.keys(owned)) during.push(await login(p));
  assert.deepEqual(
    during.map((r) => r.status),
    during.map(() => 200),
    'no false denial for a player with a last known licence',
  );
  for (const [i, r] of during.entries()) {
    const c = claims(r.body.accessToken);
    assert.equal(c.prov, true);
    assert.equal(c.lic, owned[`owner-${i}`], 'the licence they held, not a default');
  }
  const newbie = await login('newbie');
  assert.equal(newbie.status, 503);
  assert.equal(newbie.body.error.code, 'ENTITLEMENT_UNAVAILABLE');
  const outageCalls = upstream.calls.length - callsBefore;
  assert.ok(
    outageCalls <= 3,
    `the breaker opened after 3 failures; upstream saw ${outageCalls} calls for 21 logins`,
  );
  const metrics = await (await fetch(`${adminUrl}/metrics`)).text();
  assert.match(
    metrics,
    /lifeline_entitlement_fallbacks_total\{outcome="last-known-good",reason="breaker-open"\} \d+/,
  );

  // Recovery: provisional players are re-verified at no more than 5 a second.
  const ticks: number[] = [];
  app.events.on('entitlement.reverifying', (e) => ticks.push(e.count));
  await upstream.up.faults.set({ kind: 'recover' });
  const recoveredAt = Date.now();
  const viewer = await addOperator(app, 'watch', 'viewer');
  await eventually(async () => {
    const sessions = (await getJson(`${adminUrl}/admin/v1/sessions?limit=1000`, viewer)).body.sessions as {
      provisional: boolean;
    }[];
    return sessions.every((s) => !s.provisional) ? true : undefined;
  }, 20_000);
  const after = upstream.calls.filter((at) => at >= recoveredAt);
  // The pace is set per tick of the re-verifier (one a second): at most 5 calls each, which it
  // spreads over the following second. Counted per tick, not per wall-clock second, so a late
  // timer on a busy machine (which bunches calls without the node making more) cannot fail it.
  // Over the whole re-verification the rate is at most 5 a second (late timers only spread
  // the calls further).
  assert.ok(
    Math.max(...ticks) <= 5,
    `a re-verification tick called upstream for ${Math.max(...ticks)} players`,
  );
  const spanSeconds = Math.ceil(((after.at(-1) ?? recoveredAt) - (after[0] ?? recoveredAt)) / 1000) + 1;
  assert.ok(
    after.length - 2 <= 5 * spanSeconds,
    `${after.length} calls over ${spanSeconds} s after recovery: more than 5 a second`,
  );
  assert.ok(after.length >= 20, 'every provisional player was re-verified');
});

test('players who own nothing do not open the entitlement breaker: an owner after a run of refusals is answered by the upstream', async (t) => {
  const upstream = await entitlementUpstream(t, { owner: 'premium' });
  const { playerUrl } = await startLifeline(t, {
    overrides: { entitlements: { source: 'http', http: { url: upstream.url, breakerFailures: 3 } } },
  });
  const login = (playerId: string) =>
    postJson(`${playerUrl}/v1/login`, { playerId, region: 'na', shard: 'na-1' });
  for (let i = 0; i < 6; i++) {
    const refused = await login(`guest-${i}`);
    assert.equal(refused.body.error.code, 'ENTITLEMENT_NONE');
  }
  const owner = await login('owner');
  assert.equal(owner.status, 200, JSON.stringify(owner.body));
  assert.equal(claims(owner.body.accessToken).prov, false, 'a fresh answer, not a fallback');
  assert.equal(upstream.calls.length, 7, 'every login asked the upstream');
});
