import { randomBytes } from 'node:crypto';
/**
 * Issue 12, finding 6: the player API had no abuse limits. One client logged one player in
 * 5,000 times in 2.3 s, leaving 5,000 live sessions and 5,000 grants kept for 7 days.
 *
 * These run with the product's default limits (the other tests raise them), on a virtual clock
 * that only moves when a test moves it, so a bucket's count is exact rather than a race with
 * wall time.
 */
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { type TestContext, test } from 'node:test';
import pino from 'pino';
import WebSocket from 'ws';
import { type App, createApp } from '../../src/app.ts';
import { type Config, type DeepPartial, defaultConfig, sqlitePath } from '../../src/config/index.ts';
import { closeCodes } from '../../src/sessions/index.ts';
import { Client, eventually, postJson, tempDir, testConfig } from '../helpers.ts';
import { services } from '../services.ts';

/** The product's own limits, which testConfig raises for every other test. */
const productLimits = {
  player: { rateLimit: structuredClone(defaultConfig().player.rateLimit) },
  session: { maxPerPlayer: defaultConfig().session.maxPerPlayer },
} as const;

interface Started {
  app: App;
  config: Config;
  playerUrl: string;
}

async function start(
  t: TestContext,
  clock: () => number,
  overrides: DeepPartial<Config> = {},
): Promise<Started> {
  const dataDir = tempDir(t);
  const config = testConfig(dataDir, {
    ...productLimits,
    ...overrides,
    player: { ...productLimits.player, ...overrides.player },
    session: { ...productLimits.session, ...overrides.session },
  });
  const app = await createApp({ config, logger: pino({ level: 'silent' }), clock });
  const { playerUrl } = await app.listen();
  t.after(() => app.close());
  return { app, config, playerUrl };
}

/** A clock that stands still until told to move. */
function virtualClock(): { now: () => number; advance: (ms: number) => void } {
  let at = Date.now();
  return {
    now: () => at,
    advance: (ms) => {
      at += ms;
    },
  };
}

const loginBody = (playerId: string) => ({ playerId, region: 'na', shard: 'na-1' });

/** Grants in the SQLite file, read beside the server as an operator's sqlite3 would. */
function grantRows(config: Config, playerId: string): { total: number; valid: number } {
  const db = new DatabaseSync(sqlitePath(config), { readOnly: true });
  try {
    const row = db
      .prepare(
        'SELECT count(*) AS total, count(*) FILTER (WHERE revoked_at IS NULL) AS valid FROM grants WHERE player_id = ?',
      )
      .get(playerId) as { total: number; valid: number };
    return { total: Number(row.total), valid: Number(row.valid) };
  } finally {
    db.close();
  }
}

/** Tries the socket upgrade; resolves with the HTTP answer when refused, or 101 when opened. */
function upgrade(
  playerUrl: string,
  accessToken: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; retryAfter: string | undefined; body: any }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(
      `${playerUrl.replace(/^http/, 'ws')}/v1/session?access_token=${encodeURIComponent(accessToken)}`,
      { headers },
    );
    socket.once('open', () => {
      socket.close();
      resolve({ status: 101, retryAfter: undefined, body: null });
    });
    socket.once('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (c: Buffer) => {
        text += c;
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          retryAfter: res.headers['retry-after'] as string | undefined,
          body: JSON.parse(text),
        }),
      );
    });
    socket.once('error', reject);
  });
}

function assertLimited(res: { status: number; body: any; headers: Headers }, limit: string): void {
  assert.equal(res.status, 429, JSON.stringify(res.body));
  assert.equal(res.body.error.code, 'PLAYER_RATE_LIMITED');
  assert.equal(res.body.error.limit, limit);
  assert.ok(Number(res.headers.get('retry-after')) >= 1, 'a 429 says when to come back');
}

test('one client hammering login for one player is held to a few sessions and grants (the finding)', async (t) => {
  const clock = virtualClock();
  const { app, config, playerUrl } = await start(t, clock.now);
  const answers = [];
  // As the finding's script did, as fast as it can: here 200 at once from one address.
  for (let i = 0; i < 4; i++) {
    answers.push(
      ...(await Promise.all(
        Array.from({ length: 50 }, () => postJson(`${playerUrl}/v1/login`, loginBody('victim'))),
      )),
    );
  }
  const ok = answers.filter((a) => a.status === 200);
  assert.equal(ok.length, 5, 'the player bucket gives its burst of 5, then nothing at this instant');
  const limited = answers.filter((a) => a.status !== 200);
  for (const a of limited) assert.equal(a.status, 429);
  assertLimited(limited[0] as (typeof limited)[0], 'login:player');
  assertLimited(limited.at(-1) as (typeof limited)[0], 'login:ip');
  assert.equal((await app.live.countSessions({ playerId: 'victim' })).total, 5);
  assert.deepEqual(grantRows(config, 'victim'), { total: 5, valid: 5 });

  // Kept up over a (virtual) minute, one login a second gets through, and each pushes the oldest
  // session out: live sessions and valid grants stay at the cap.
  for (let s = 0; s < 60; s++) {
    clock.advance(1000);
    const burst = await Promise.all(
      Array.from({ length: 5 }, () => postJson(`${playerUrl}/v1/login`, loginBody('victim'))),
    );
    assert.equal(burst.filter((a) => a.status === 200).length, 1);
  }
  assert.equal((await app.live.countSessions({ playerId: 'victim' })).total, 5);
  assert.deepEqual(grantRows(config, 'victim'), { total: 65, valid: 5 }, 'the pushed-out grants are revoked');

  // And once revoked grants are past their retention, the purge deletes them.
  clock.advance(config.tokens.endedGrantRetentionSeconds * 1000 + 1);
  assert.ok((await app.sessions.purgeEndedGrants()) >= 60);
  assert.deepEqual(grantRows(config, 'victim'), { total: 5, valid: 5 });
});

test('a banned player is refused PLAYER_BANNED while its bucket lasts, then the limit answers first', async (t) => {
  // The ban is read beside the player's bucket (two round trips on PostgreSQL and Redis), and the
  // bucket's refusal still comes first, as when it was read after.
  const clock = virtualClock();
  const { app, playerUrl } = await start(t, clock.now);
  await app.store.banPlayer({
    id: 'ban-1',
    playerId: 'banned',
    reason: 'chargeback fraud',
    bannedBy: 'operator:alice',
    at: clock.now(),
    expiresAt: null,
    liftedAt: null,
    liftedBy: null,
    liftReason: null,
  });
  const answers = [];
  for (let i = 0; i < 6; i++) answers.push(await postJson(`${playerUrl}/v1/login`, loginBody('banned')));
  const codes = answers.map((a) => a.body.error?.code);
  assert.deepEqual(codes, [...Array(5).fill('PLAYER_BANNED'), 'PLAYER_RATE_LIMITED']);
  assertLimited(answers[5] as (typeof answers)[0], 'login:player');
  assert.equal((await app.live.countSessions({ playerId: 'banned' })).total, 0);
});

test('the per-address bucket stops one address logging in many players, and loopback is not exempt', async (t) => {
  const clock = virtualClock();
  const { playerUrl } = await start(t, clock.now);
  const { ipBurst } = defaultConfig().player.rateLimit.login;
  const first = await postJson(`${playerUrl}/v1/login`, loginBody('p-first'));
  assert.equal(first.status, 200);
  for (let i = 1; i < ipBurst; i++) {
    assert.equal((await postJson(`${playerUrl}/v1/login`, loginBody(`p-${i}`))).status, 200);
  }
  assertLimited(await postJson(`${playerUrl}/v1/login`, loginBody('one-more')), 'login:ip');
  // Refresh from the same address is another bucket: spent logins lock no one out of it.
  const refreshed = await postJson(`${playerUrl}/v1/refresh`, { refreshToken: first.body.refreshToken });
  assert.equal(refreshed.status, 200);
  clock.advance(1000);
  const res = await postJson(`${playerUrl}/v1/login`, loginBody('later'));
  assert.equal(res.status, 200, 'the bucket refills at its rate');
});

test('X-Forwarded-For from a peer that is not a trusted proxy does not change the bucket', async (t) => {
  const clock = virtualClock();
  const { playerUrl } = await start(t, clock.now);
  const { ipBurst } = defaultConfig().player.rateLimit.login;
  const spoofed = (i: number) => ({ 'x-forwarded-for': `198.51.100.${i % 250}, 203.0.113.${i % 250}` });
  for (let i = 0; i < ipBurst; i++) {
    assert.equal((await postJson(`${playerUrl}/v1/login`, loginBody(`p-${i}`), spoofed(i))).status, 200);
  }
  assertLimited(await postJson(`${playerUrl}/v1/login`, loginBody('one-more'), spoofed(ipBurst)), 'login:ip');
});

test('behind a trusted proxy each client address has its own bucket, which a client cannot escape', async (t) => {
  const clock = virtualClock();
  const { playerUrl } = await start(t, clock.now, { player: { trustProxy: ['127.0.0.1', '::1'] } });
  const { ipBurst } = defaultConfig().player.rateLimit.login;
  const via = (client: string, claimed?: string) => ({
    'x-forwarded-for': claimed ? `${claimed}, ${client}` : client,
  });
  for (let i = 0; i < ipBurst; i++) {
    assert.equal(
      (await postJson(`${playerUrl}/v1/login`, loginBody(`a-${i}`), via('203.0.113.7'))).status,
      200,
    );
  }
  assertLimited(await postJson(`${playerUrl}/v1/login`, loginBody('a-x'), via('203.0.113.7')), 'login:ip');
  // What the client wrote itself is left of what the proxy added, and is not believed.
  assertLimited(
    await postJson(`${playerUrl}/v1/login`, loginBody('a-y'), via('203.0.113.7', '192.0.2.55')),
    'login:ip',
  );
  assert.equal(
    (await postJson(`${playerUrl}/v1/login`, loginBody('b-0'), via('203.0.113.8'))).status,
    200,
    'another client behind the same proxy is not held back',
  );
});

test('refresh, rejoin and the socket upgrade have buckets too, answering 429 with Retry-After', async (t) => {
  const clock = virtualClock();
  const { playerUrl } = await start(t, clock.now);
  const first = await postJson(`${playerUrl}/v1/login`, loginBody('r'));
  let refreshToken = first.body.refreshToken as string;
  const { playerBurst } = defaultConfig().player.rateLimit.refresh;
  for (let i = 0; i < playerBurst; i++) {
    const r = await postJson(`${playerUrl}/v1/refresh`, { refreshToken });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    refreshToken = r.body.refreshToken;
  }
  assertLimited(await postJson(`${playerUrl}/v1/refresh`, { refreshToken }), 'refresh:player');
  // The refused refresh spent nothing: once the bucket refills, the same token still works.
  clock.advance(1000);
  assert.equal((await postJson(`${playerUrl}/v1/refresh`, { refreshToken })).status, 200);

  const access = first.body.accessToken as string;
  const upgrades = defaultConfig().player.rateLimit.upgrade.playerBurst;
  for (let i = 0; i < upgrades; i++) assert.equal((await upgrade(playerUrl, access)).status, 101);
  const refused = await upgrade(playerUrl, access);
  assert.equal(refused.status, 429);
  assert.equal(refused.body.error.code, 'PLAYER_RATE_LIMITED');
  assert.equal(refused.body.error.limit, 'upgrade:player');
  assert.ok(Number(refused.retryAfter) >= 1);

  // Rejoin: the address bucket is spent before the token is even read.
  const { ipBurst } = defaultConfig().player.rateLimit.rejoin;
  const rejoins = await Promise.all(
    Array.from({ length: ipBurst + 1 }, () =>
      postJson(`${playerUrl}/v1/rejoin`, { resumeToken: 'x'.repeat(40) }),
    ),
  );
  assert.equal(rejoins.filter((r) => r.status === 429).length, 1);
  assertLimited(rejoins.find((r) => r.status === 429) as (typeof rejoins)[0], 'rejoin:ip');
});

test("replace-oldest: the player's oldest session is closed with 4005, its grant revoked, and no disruption recorded", async (t) => {
  const clock = virtualClock();
  const { app, playerUrl } = await start(t, clock.now);
  const sessions = [];
  for (let i = 0; i < 5; i++) {
    clock.advance(1000);
    sessions.push((await postJson(`${playerUrl}/v1/login`, loginBody('many'))).body);
  }
  const oldest = new Client(playerUrl, sessions[0].accessToken);
  const second = new Client(playerUrl, sessions[1].accessToken);
  t.after(() => {
    oldest.close();
    second.close();
  });
  await Promise.all([oldest.welcomed, second.welcomed]);
  clock.advance(1000);
  const sixth = await postJson(`${playerUrl}/v1/login`, loginBody('many'));
  assert.equal(sixth.status, 200);
  assert.equal(await oldest.closed, closeCodes.superseded);
  assert.equal(closeCodes.superseded, 4005);
  assert.deepEqual(oldest.messages.at(-1), { type: 'revoked', reason: 'session-limit' });
  assert.equal(second.closeCode, undefined, 'only the oldest made room');
  assert.equal((await second.ping()).type, 'pong');
  assert.equal((await app.live.countSessions({ playerId: 'many' })).total, 5);
  assert.equal(await app.store.disruptionOfSession(sessions[0].sessionId), null, 'not a disruption');
  assert.deepEqual(await app.store.listDisruptions({}), []);
  const refresh = await postJson(`${playerUrl}/v1/refresh`, { refreshToken: sessions[0].refreshToken });
  assert.equal(refresh.status, 401);
  assert.equal(refresh.body.error.code, 'SESSION_ENDED');
  assert.equal(
    refresh.body.error.resumeToken,
    undefined,
    'nothing to rejoin: the player chose the newer one',
  );
  assert.equal((await app.store.getGrant(sessions[0].sessionId))?.revokedReason, 'session-limit');
});

test('logins racing past the cap leave exactly the cap in valid grants and live sessions', async (t) => {
  const clock = virtualClock();
  const { app, config, playerUrl } = await start(t, clock.now, {
    player: { rateLimit: { login: { playerBurst: 100 } } },
    session: { maxPerPlayer: 2 },
  });
  const answers = await Promise.all(
    Array.from({ length: 20 }, () => postJson(`${playerUrl}/v1/login`, loginBody('racer'))),
  );
  assert.ok(answers.every((a) => a.status === 200));
  assert.equal((await app.live.countSessions({ playerId: 'racer' })).total, 2);
  assert.deepEqual(grantRows(config, 'racer'), { total: 20, valid: 2 }, 'every pushed-out grant is revoked');
});

test('refuse: a login past the cap is refused with a code; nothing is ended and no valid grant is left', async (t) => {
  const clock = virtualClock();
  const { app, config, playerUrl } = await start(t, clock.now, {
    session: { maxPerPlayer: 2, whenFull: 'refuse' },
  });
  const held = [];
  for (let i = 0; i < 2; i++) {
    clock.advance(1000);
    held.push((await postJson(`${playerUrl}/v1/login`, loginBody('capped'))).body);
  }
  const client = new Client(playerUrl, held[0].accessToken);
  t.after(() => client.close());
  await client.welcomed;
  clock.advance(1000);
  const third = await postJson(`${playerUrl}/v1/login`, loginBody('capped'));
  assert.equal(third.status, 409);
  assert.equal(third.body.error.code, 'SESSION_LIMIT_REACHED');
  assert.equal(third.body.error.maxPerPlayer, 2);
  assert.deepEqual(
    grantRows(config, 'capped'),
    { total: 3, valid: 2 },
    "the refused login's grant is revoked at once",
  );
  assert.equal((await app.live.countSessions({ playerId: 'capped' })).total, 2);
  assert.equal((await client.ping()).type, 'pong', 'the sessions held carry on');
});

test('the grants of ended sessions are purged after their retention; until then reuse is still told apart', async (t) => {
  const clock = virtualClock();
  const { app, config, playerUrl } = await start(t, clock.now);
  const kept = (await postJson(`${playerUrl}/v1/login`, loginBody('k'))).body;
  clock.advance(1000);
  const spent = (await postJson(`${playerUrl}/v1/login`, loginBody('k'))).body;
  const rotated = await postJson(`${playerUrl}/v1/refresh`, { refreshToken: spent.refreshToken });
  assert.equal(rotated.status, 200);
  // Reusing the spent token revokes the family...
  assert.equal(
    (await postJson(`${playerUrl}/v1/refresh`, { refreshToken: spent.refreshToken })).body.error.code,
    'REFRESH_REUSED',
  );
  // ...and while the grant is kept, the family answers as ended, not as unknown.
  clock.advance(1000);
  assert.equal(
    (await postJson(`${playerUrl}/v1/refresh`, { refreshToken: rotated.body.refreshToken })).body.error.code,
    'SESSION_ENDED',
  );
  assert.equal(await app.sessions.purgeEndedGrants(), 0, 'nothing is purged before the retention');
  clock.advance(config.tokens.endedGrantRetentionSeconds * 1000);
  assert.equal(await app.sessions.purgeEndedGrants(), 1);
  assert.equal(await app.store.getGrant(spent.sessionId), null);
  assert.notEqual(await app.store.getGrant(kept.sessionId), null, 'a live grant is never purged');
  const after = await postJson(`${playerUrl}/v1/refresh`, { refreshToken: rotated.body.refreshToken });
  assert.equal(after.status, 401);
  assert.equal(after.body.error.code, 'TOKEN_INVALID', 'once purged, the token is simply unknown');
  assert.equal((await postJson(`${playerUrl}/v1/refresh`, { refreshToken: kept.refreshToken })).status, 200);
});

const s = await services('abuse limits across nodes', ['postgres', 'redis']);
if (s) {
  test('on Redis the buckets and the cap are global: two nodes share one player bucket, and the close reaches the other node', async (t) => {
    const clock = virtualClock();
    const shared = {
      store: { kind: 'postgres', postgres: { url: s.pgUrl, schema: s.schema() } },
      live: { kind: 'redis', redis: { url: s.redisUrl, prefix: s.prefix() } },
      // Nodes on one store share the KEK that seals its keys.
      secrets: { key: randomBytes(32).toString('base64') },
    } as const;
    const a = await start(t, clock.now, { ...shared, nodeId: 'node-a' });
    const b = await start(t, clock.now, { ...shared, nodeId: 'node-b' });
    const answers = await Promise.all(
      [a, b, a, b, a, b, a, b].map((n) => postJson(`${n.playerUrl}/v1/login`, loginBody('roaming'))),
    );
    assert.equal(answers.filter((r) => r.status === 200).length, 5, 'one bucket of 5 for both nodes');
    for (const r of answers.filter((x) => x.status !== 200)) assertLimited(r, 'login:player');
    const held = answers.filter((r) => r.status === 200).map((r) => r.body);
    const onA = held.map((h) => new Client(a.playerUrl, h.accessToken));
    t.after(() => {
      for (const c of onA) c.close();
    });
    await Promise.all(onA.map((c) => c.welcomed));
    clock.advance(1000);
    assert.equal((await postJson(`${b.playerUrl}/v1/login`, loginBody('roaming'))).status, 200);
    // The sixth session, opened through node b, pushed out one held on node a.
    const closed = await eventually(async () => onA.find((c) => c.closeCode !== undefined));
    assert.equal(closed.closeCode, closeCodes.superseded);
    assert.equal((await a.app.live.countSessions({ playerId: 'roaming' })).total, 5);
    assert.deepEqual(await a.app.store.listDisruptions({}), []);
  });
}
