import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addOperatorWithTotp, eventually, postJson, startLifeline } from '../../../test/helpers.ts';
import { entitlementsUpstream } from '../entitlements.ts';
import { gameBackend } from '../game.ts';
import { identityUpstream } from '../identity.ts';
import { startFleet } from './fleet.ts';
import { fleetOwners } from './roster.ts';
import { Seconds, smallPlan } from './testing.ts';

test('a storm of 30 SDK players logs in, joins the game and holds sockets; a kick closes them with 4001 and they rejoin through a restore, and join again', async (t) => {
  const game = await gameBackend({ slots: 4, serviceMs: 1 });
  t.after(() => game.close());
  const { app, playerUrl, adminUrl } = await startLifeline(t, {
    overrides: {
      admin: { rateLimit: { perSecond: 1000, burst: 1000 } },
      commands: { holdSeconds: 0 },
      restore: { waitingRetryAfterSeconds: 1 },
    },
  });
  const seconds = new Seconds();
  const fleet = startFleet(smallPlan([playerUrl], { players: 30, gameJoinUrl: game.joinUrl }), seconds.add);
  t.after(() => fleet.stop());
  await seconds.until((s) => s.online === 30);
  assert.equal(app.hub.size, 30, 'Lifeline holds a socket for each player');

  const op = await addOperatorWithTotp(app, 'op', 'operator');
  const kick = await postJson(
    `${adminUrl}/admin/v1/commands`,
    { action: 'kick', selector: { region: 'na' }, reason: 'fleet test', totp: await op.totp() },
    op.auth,
  );
  assert.equal(kick.status, 200, JSON.stringify(kick.body));
  const kicked = kick.body.ended as number;
  assert.ok(kicked > 0 && kicked < 30, `the kick ended the na players (${kicked})`);
  await seconds.until((_, all) => all.total('closes', '4001') === kicked);

  const admin = await addOperatorWithTotp(app, 'root', 'admin');
  const restore = await postJson(
    `${adminUrl}/admin/v1/restores`,
    {
      commandId: kick.body.command.id,
      pacing: { mode: 'fixed', batchSize: 50, intervalMs: 100 },
      totp: await admin.totp(),
    },
    admin.auth,
  );
  assert.equal(restore.status, 202, JSON.stringify(restore.body));
  await seconds.until((s, all) => s.online === 30 && all.total('rejoins', 'ok') === kicked);
  await seconds.until((_, all) => all.total('gameJoins', 'ok') === 30 + kicked);

  const summary = await fleet.stop();
  const outages = summary.outages.filter((o) => o.cause === 'close:4001');
  assert.equal(outages.length, kicked, 'one outage per kicked player');
  // Lifeline restored each record while the rejoin that brought its player back was on its way:
  // after the player sent it, before the player was back (the fleet's clock is wall seconds here).
  const restoredAt = new Map(
    (await app.store.listDisruptions({ commandId: kick.body.command.id })).map((d) => [
      d.playerId,
      d.settledAt === null || d.settledAt === undefined ? null : (d.settledAt - fleet.startedAtMs) / 1000,
    ]),
  );
  for (const o of outages) {
    assert.ok(o.backAt !== null && o.backAt >= o.outAt, `${o.player} came back after going out`);
    assert.match(o.player, /^owner-/);
    const settled = restoredAt.get(o.player) ?? null;
    assert.ok(
      o.backSentAt !== undefined && settled !== null,
      `${o.player}: sent ${o.backSentAt}, restored ${settled}`,
    );
    assert.ok(
      o.outAt <= o.backSentAt && o.backSentAt <= settled && settled <= o.backAt,
      `${o.player}: out ${o.outAt}, rejoin sent ${o.backSentAt}, restored ${settled}, back ${o.backAt}`,
    );
  }
  assert.equal(summary.sessionsLost, 0, "a kick is the operator's, and every kicked session was resumed");
  assert.equal(summary.requests['/v1/login'], 30);
  assert.ok((summary.requests['/v1/rejoin'] ?? 0) >= kicked);
  assert.equal(
    game.stats.snapshot().answered,
    30 + kicked,
    'each joined the game after its login, and after its rejoin',
  );
  await eventually(async () => (app.hub.size === 0 ? true : undefined));
});

test('against an identity upstream that is down, naive players send more logins than SDK players in the same scenario time', async (t) => {
  const idp = await identityUpstream();
  t.after(() => idp.close());
  await idp.faults.set({ kind: 'down' });
  const { playerUrl } = await startLifeline(t, {
    overrides: { identity: { provider: 'http', http: { url: idp.verifyUrl, timeoutMs: 2000 } } },
  });
  const run = async (client: 'sdk' | 'naive') => {
    const seconds = new Seconds();
    const fleet = startFleet(
      smallPlan([playerUrl], { players: 10, client, seed: 3, thinkSeconds: { min: 2, max: 3 } }),
      seconds.add,
    );
    t.after(() => fleet.stop());
    await seconds.until((s) => s.t >= 3);
    const summary = await fleet.stop();
    assert.equal(seconds.all.at(-1)?.online, 0, 'nobody got in');
    return summary;
  };
  const sdk = await run('sdk');
  const naive = await run('naive');
  const sdkLogins = sdk.requests['/v1/login'] ?? 0;
  const naiveLogins = naive.requests['/v1/login'] ?? 0;
  assert.ok(sdkLogins >= 10, 'every SDK player tried');
  assert.ok(naiveLogins > sdkLogins, `naive ${naiveLogins} logins against the SDK's ${sdkLogins}`);
  assert.ok(
    naive.outages.every((o) => o.backAt === null && o.cause.startsWith('login:')),
    'every player was out from its first failed login',
  );
});

test('owners the entitlement service refuses are counted as denied; guests it rightly refuses are not', async (t) => {
  const plan = { players: 10, ownerShare: 0.5, thinkSeconds: { min: 600, max: 600 } };
  const owners = fleetOwners(plan);
  // Every owner but owner-0 and owner-1 holds a licence upstream.
  const licences = Object.fromEntries(
    Array.from({ length: owners - 2 }, (_, i) => [`owner-${i + 2}`, 'premium']),
  );
  const ent = await entitlementsUpstream({ licences });
  t.after(() => ent.close());
  const { playerUrl } = await startLifeline(t, {
    overrides: { entitlements: { source: 'http', http: { url: ent.url } } },
  });
  const seconds = new Seconds();
  const fleet = startFleet(smallPlan([playerUrl], plan), seconds.add);
  t.after(() => fleet.stop());
  await seconds.until(
    (s, all) =>
      s.online === owners - 2 && all.total('logins', 'ENTITLEMENT_NONE') === plan.players - owners + 2,
  );
  const summary = await fleet.stop();
  assert.equal(summary.ownersDenied, 2);
  assert.equal(
    seconds.all.reduce((n, s) => n + s.ownersDenied, 0),
    2,
    'each denied owner counted once (they wait 600 s before trying again)',
  );
  assert.deepEqual(
    summary.outages.map((o) => [o.player, o.cause, o.backAt]).sort(),
    [
      ['owner-0', 'login:ENTITLEMENT_NONE', null],
      ['owner-1', 'login:ENTITLEMENT_NONE', null],
    ],
    'the two refused owners are out; the refused guests are not outages',
  );
});

test('a diurnal day on a fast clock: players arrive towards the peak and leave towards the trough, and leaving is not an outage', async (t) => {
  const { app, playerUrl } = await startLifeline(t, {
    overrides: { session: { heartbeatIntervalSeconds: 1, heartbeatTimeoutSeconds: 3 } },
  });
  const seconds = new Seconds();
  const arrival = {
    curve: 'diurnal',
    troughShare: 0.2,
    peakShare: 1,
    periodSeconds: 60,
    peakAtSeconds: 15,
  } as const;
  const plan = smallPlan([playerUrl], {
    players: 20,
    arrival,
    timeScale: 10,
    thinkSeconds: { min: 0, max: 1 },
  });
  const fleet = startFleet(plan, seconds.add);
  t.after(() => fleet.stop());
  await seconds.until((s) => s.wanted === 20 && s.online === 20, 200);
  await seconds.until((s) => s.wanted === 4 && s.online === 4, 200);
  // Back up again, on the wall clock long past the 3 s heartbeat timeout: pings kept every socket.
  await seconds.until((s) => s.t > 60 && s.online === 20, 300);
  const summary = await fleet.stop();
  assert.deepEqual(summary.outages, [], 'nobody was out: players who left chose to');
  assert.deepEqual(
    seconds.all.filter((s) => Object.keys(s.closes).length > 0),
    [],
    'no socket was closed on a player (heartbeat timeouts would show as 4002)',
  );
  assert.ok((summary.requests['/v1/login'] ?? 0) > 20, 'players who left came back with a new login');
  await eventually(async () => (app.hub.size === 0 ? true : undefined));
});

test('an owner let in with the licence that means "owns nothing" counts as denied; tokens refresh before they expire', async (t) => {
  const { playerUrl } = await startLifeline(t, {
    overrides: {
      tokens: { accessTtlSeconds: 1 },
      entitlements: { source: 'static', defaultLicence: 'free', licences: { 'owner-0': 'premium' } },
    },
  });
  const seconds = new Seconds();
  const plan = smallPlan([playerUrl], { players: 4, ownerShare: 0.5, noLicence: 'free' });
  const fleet = startFleet(plan, seconds.add);
  t.after(() => fleet.stop());
  // Access tokens live 1 s: each player refreshes about every 0.75 s on its own timer.
  await seconds.until((s, all) => s.online === 4 && all.total('refreshes', 'ok') >= 12);
  const summary = await fleet.stop();
  assert.equal(
    summary.ownersDenied,
    1,
    'owner-1 got in with "free"; owner-0 with its licence; guests are not owners',
  );
  assert.equal(summary.sessionsLost, 0);
  assert.deepEqual(
    seconds.all.filter((s) => Object.keys(s.closes).length > 0),
    [],
    'no socket closed on a player while its tokens rolled over',
  );
});

test('a node that comes back with none of its state: players reconnect, find their sessions gone, count them lost and log in again', async (t) => {
  const first = await startLifeline(t);
  const port = Number(new URL(first.playerUrl).port);
  const seconds = new Seconds();
  const fleet = startFleet(
    smallPlan([first.playerUrl], { players: 6, thinkSeconds: { min: 0, max: 0.5 } }),
    seconds.add,
  );
  t.after(() => fleet.stop());
  await seconds.until((s) => s.online === 6);
  await first.app.close();
  // The same address, a new data directory: new signing keys, no sessions, no grants.
  const second = await startLifeline(t, { overrides: { player: { port } } });
  await seconds.until((s, all) => s.online === 6 && all.total('logins', 'ok') === 12, 120);
  const summary = await fleet.stop();
  assert.equal(summary.sessionsLost, 6, 'each session was gone and could not be resumed');
  assert.equal(summary.outages.length, 6);
  for (const o of summary.outages) {
    assert.match(o.cause, /^close:/, 'out from the moment the socket dropped');
    assert.ok(o.backAt !== null && o.backAt > o.outAt, 'back after logging in again');
    assert.ok(
      o.backSentAt !== undefined && o.backSentAt <= o.backAt,
      `the login that brought ${o.player} back was sent (${o.backSentAt}) before it was back (${o.backAt})`,
    );
  }
  assert.equal(second.app.hub.size, 6);
});

test('a warm fleet starts its clock once the players its curve wants at second 0 are online', async (t) => {
  const { app, playerUrl } = await startLifeline(t);
  const seconds = new Seconds();
  const arrival = {
    curve: 'diurnal',
    troughShare: 0.5,
    peakShare: 0.5,
    periodSeconds: 60,
    peakAtSeconds: 0,
  } as const;
  // Think times far longer than the test: a cold fleet would have nobody online for minutes.
  const plan = smallPlan([playerUrl], {
    players: 20,
    arrival,
    thinkSeconds: { min: 600, max: 900 },
    warmUp: true,
  });
  const fleet = startFleet(plan, seconds.add);
  t.after(() => fleet.stop());
  await fleet.ready;
  assert.equal(fleet.gauges().online, 10, 'the ten the curve wants at 0 are online before it starts');
  assert.ok(fleet.now() < 60, 'the clock started at the end of the warm-up, not at startFleet');
  assert.equal(app.hub.size, 10);
  const first = await seconds.until(() => true);
  assert.equal(first.t, 0);
  assert.equal(first.online, 10, 'second 0 begins with the world online');
  assert.equal(first.logins.ok, 10, "the warm-up's logins are in second 0");
  const summary = await fleet.stop();
  assert.deepEqual(summary.outages, []);
});
