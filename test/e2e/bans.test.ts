import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { App } from '../../src/app.ts';
import {
  addOperator,
  addOperatorWithTotp,
  Client,
  eventually,
  fastCommands,
  getJson,
  login,
  postJson,
  runCliCaptured,
  startLifeline,
  startRestore,
} from '../helpers.ts';

async function deleteJson(
  url: string,
  body: unknown,
  headers: Record<string, string>,
): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: 'DELETE',
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

/** The CLI in process, against the running server's admin API. */
function cliFor(running: { dataDir: string; adminUrl: string }, token: string) {
  const env = { LIFELINE_DATA_DIR: running.dataDir, LIFELINE_ADMIN_URL: running.adminUrl };
  return (...args: string[]) => runCliCaptured([...args, '--token', token], env, running.dataDir);
}

/** Logs the players in with open sockets and kicks them all in one command; returns their resume tokens. */
async function kickPlayers(
  t: { after: (fn: () => void) => void },
  urls: { playerUrl: string; adminUrl: string },
  admin: Awaited<ReturnType<typeof addOperatorWithTotp>>,
  players: readonly string[],
): Promise<{ commandId: string; resume: Map<string, string>; refresh: Map<string, string> }> {
  const sessions = await Promise.all(
    players.map((p, i) => login(urls.playerUrl, p, 'na', `na-${(i % 3) + 1}`)),
  );
  const clients = sessions.map((s) => new Client(urls.playerUrl, s.accessToken));
  t.after(() => {
    for (const c of clients) c.close();
  });
  await Promise.all(clients.map((c) => c.welcomed));
  const kicked = await postJson(
    `${urls.adminUrl}/admin/v1/commands`,
    { action: 'kick', selector: { playerIds: players }, reason: 'bad deploy', totp: await admin.totp() },
    admin.auth,
  );
  assert.equal(kicked.status, 200, JSON.stringify(kicked.body));
  assert.equal(kicked.body.ended, players.length);
  await Promise.all(clients.map((c) => c.closed));
  return {
    commandId: kicked.body.command.id,
    resume: new Map(players.map((p, i) => [p, clients[i]?.messages.at(-1).resumeToken as string])),
    refresh: new Map(players.map((p, i) => [p, sessions[i]?.refreshToken as string])),
  };
}

/** Rejoins until the answer is not "wait", honouring Retry-After (capped, to keep the test short). */
async function rejoin(playerUrl: string, resumeToken: string): Promise<{ status: number; body: any }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await postJson(`${playerUrl}/v1/rejoin`, { resumeToken });
    if (res.status !== 202) return res;
    if (Date.now() > deadline) throw new Error('rejoin did not finish in time');
    await new Promise((r) => setTimeout(r, Math.min(1000, Number(res.headers.get('retry-after')) * 1000)));
  }
}

async function restoreStatus(adminUrl: string, token: string, id: string) {
  return (await getJson(`${adminUrl}/admin/v1/restores/${id}`, token)).body;
}

test('a banned player is refused by the restore, cannot log in or refresh, and is let back once the ban is lifted', async (t) => {
  const running = await startLifeline(t, { overrides: fastCommands });
  const { app, playerUrl, adminUrl } = running;
  const alice = await addOperatorWithTotp(app, 'alice', 'admin');
  const carol = await addOperatorWithTotp(app, 'carol', 'admin');
  const watcher = await addOperator(app, 'watcher', 'viewer');
  const ops = await addOperator(app, 'ops', 'operator');
  const cli = cliFor(running, alice.token);

  const players = ['k-0', 'k-1', 'k-2', 'k-3'];
  const { commandId, resume, refresh } = await kickPlayers(t, running, alice, players);
  // A bystander who is online, not kicked: a ban must end this session too.
  const online = await login(playerUrl, 'on-1', 'na', 'na-1');
  const onlineClient = new Client(playerUrl, online.accessToken);
  t.after(() => onlineClient.close());
  await onlineClient.welcomed;

  // k-1 is banned after the kick, through the CLI as an operator would.
  const banned = await cli('ban', 'k-1', '--reason', 'cheating report #4411', '--json');
  assert.equal(banned.code, 0, banned.out);
  assert.equal(banned.json.ban.playerId, 'k-1');
  assert.equal(banned.json.ban.bannedBy, 'alice');
  assert.equal(banned.json.sessionsEnded, 0, 'the kick already ended its session');
  const twice = await cli('ban', 'k-1', '--reason', 'again', '--json');
  assert.equal(twice.code, 1);
  assert.equal(twice.json.error.code, 'PLAYER_ALREADY_BANNED');

  // The online player is banned over the API: its socket closes 4003, it cannot refresh, and no
  // disruption record is written (a ban is not something to restore).
  const banOnline = await postJson(
    `${adminUrl}/admin/v1/bans`,
    { playerId: 'on-1', reason: 'chargeback fraud' },
    alice.auth,
  );
  assert.equal(banOnline.status, 201, JSON.stringify(banOnline.body));
  assert.equal(banOnline.body.sessionsEnded, 1);
  assert.equal(await onlineClient.closed, 4003);
  assert.deepEqual(onlineClient.messages.at(-1), { type: 'revoked', reason: 'banned' });
  assert.equal((await app.live.countSessions({ playerId: 'on-1' })).total, 0);
  const onlineRefresh = await postJson(`${playerUrl}/v1/refresh`, { refreshToken: online.refreshToken });
  assert.equal(onlineRefresh.status, 401);
  assert.equal(onlineRefresh.body.error.code, 'SESSION_ENDED');
  assert.equal(onlineRefresh.body.error.resumeToken, undefined, 'nothing to rejoin after a ban');
  assert.deepEqual(await app.store.listDisruptions({ playerId: 'on-1' }), []);

  // Banned players cannot log in; their previous sessions cannot refresh.
  for (const playerId of ['k-1', 'on-1']) {
    const refused = await postJson(`${playerUrl}/v1/login`, { playerId, region: 'na', shard: 'na-1' });
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.equal(refused.body.error.code, 'PLAYER_BANNED');
    assert.equal(typeof refused.body.error.bannedAt, 'number');
    assert.equal(refused.body.error.reason, undefined, "the operator's reason is not shown to the player");
  }
  const kickedRefresh = await postJson(`${playerUrl}/v1/refresh`, { refreshToken: refresh.get('k-1') });
  assert.equal(kickedRefresh.body.error.code, 'SESSION_ENDED');

  const list = await getJson(`${adminUrl}/admin/v1/bans`, watcher);
  assert.equal(list.status, 200, 'viewers may read bans');
  assert.deepEqual(
    list.body.bans.map((b: any) => [b.playerId, b.reason]),
    [
      ['on-1', 'chargeback fraud'],
      ['k-1', 'cheating report #4411'],
    ],
  );
  const listed = await cli('bans', '--player', 'k-1');
  assert.match(listed.out, /^k-1\t\S+\talice\tnever\tcheating report #4411$/m);

  // The plan counts the banned player, through the API and the CLI.
  const plan = await postJson(`${adminUrl}/admin/v1/restores`, { commandId, dryRun: true }, carol.auth);
  assert.equal(plan.body.plan.total, 4);
  assert.equal(plan.body.plan.restorable, 4);
  assert.equal(plan.body.plan.bannedSince, 1);
  assert.equal(plan.body.plan.alreadyBack, 0);
  assert.match((await cli('restore', 'plan', '--command', commandId)).out, /banned since: 1;/);

  const id = await startRestore(adminUrl, carol, {
    commandId,
    pacing: { mode: 'fixed', batchSize: 2, intervalMs: 200 },
  });
  // The banned player's client stays away: its record must reach a final outcome all the same.
  const answers = await Promise.all(
    ['k-0', 'k-2', 'k-3'].map((p) => rejoin(playerUrl, resume.get(p) as string)),
  );
  assert.deepEqual(
    answers.map((a) => a.status),
    [200, 200, 200],
  );
  const done = await eventually(async () => {
    const s = await restoreStatus(adminUrl, carol.token, id);
    return s.restore.state === 'done' ? s : undefined;
  });
  assert.deepEqual(done.counts, { pending: 0, ticketed: 0, restored: 3, expired: 0, refused: 1 });
  assert.equal(done.restore.total, 4);
  assert.equal(done.restore.released, 4, 'each record released once');
  const records = (await getJson(`${adminUrl}/admin/v1/disruptions?restoreId=${id}`, carol.token)).body
    .disruptions;
  assert.deepEqual(records.map((d: any) => [d.playerId, d.outcome, d.outcomeReason]).sort(), [
    ['k-0', 'restored', null],
    ['k-1', 'refused', 'banned'],
    ['k-2', 'restored', null],
    ['k-3', 'restored', null],
  ]);
  const late = await postJson(`${playerUrl}/v1/rejoin`, { resumeToken: resume.get('k-1') });
  assert.equal(late.status, 403);
  assert.equal(late.body.error.code, 'REJOIN_REFUSED');
  assert.equal(late.body.error.reason, 'banned');
  assert.equal((await app.live.countSessions({ playerId: 'k-1' })).total, 0);

  // Lifting the ban lets the player log in again; lifting a ban that does not stand is a 404.
  const lifted = await cli('unban', 'k-1', '--reason', 'appeal upheld', '--json');
  assert.equal(lifted.code, 0, lifted.out);
  assert.equal(lifted.json.ban.liftedBy, 'alice');
  assert.equal(lifted.json.ban.liftReason, 'appeal upheld');
  const back = await postJson(`${playerUrl}/v1/login`, { playerId: 'k-1', region: 'na', shard: 'na-1' });
  assert.equal(back.status, 200, JSON.stringify(back.body));
  const again = await deleteJson(`${adminUrl}/admin/v1/bans/k-1`, { reason: 'appeal upheld' }, alice.auth);
  assert.equal(again.status, 404);
  assert.equal(again.body.error.code, 'BAN_NOT_FOUND');
  assert.deepEqual(
    (await getJson(`${adminUrl}/admin/v1/bans`, watcher)).body.bans.map((b: any) => b.playerId),
    ['on-1'],
  );

  // Only admins ban: an operator is refused, and the refusal is audited.
  const forbidden = await postJson(
    `${adminUrl}/admin/v1/bans`,
    { playerId: 'k-2', reason: 'not mine to do' },
    { authorization: `Bearer ${ops}` },
  );
  assert.equal(forbidden.status, 403);
  assert.equal(forbidden.body.error.code, 'OPERATOR_FORBIDDEN');
  assert.equal(await app.store.currentBan('k-2', Date.now()), null);

  const audit = (await getJson(`${adminUrl}/admin/v1/audit?limit=1000`, alice.token)).body.entries;
  assert.deepEqual(
    audit
      .filter((e: any) => e.action.startsWith('player.') || e.action === 'bans.write')
      .map((e: any) => [e.action, e.actor, e.target, e.result, e.details.reason ?? null]),
    [
      ['player.ban', 'alice', 'player:k-1', 'accepted', 'cheating report #4411'],
      ['player.ban', 'alice', 'player:on-1', 'accepted', 'chargeback fraud'],
      ['player.unban', 'alice', 'player:k-1', 'accepted', 'appeal upheld'],
      ['bans.write', 'ops', 'player:k-2', 'denied', null],
    ],
  );
  assert.equal((await getJson(`${adminUrl}/admin/v1/audit/verify`, alice.token)).body.ok, true);
  const metrics = await (await fetch(`${adminUrl}/metrics`)).text();
  assert.match(metrics, /^lifeline_logins_total\{outcome="banned"\} 2$/m);
  assert.match(metrics, /^lifeline_sessions_ended_total\{cause="ban"\} 1$/m);
});

test('a ban placed while a ticket is out is refused at the rejoin; the counts stay exact', async (t) => {
  const running = await startLifeline(t, { overrides: fastCommands });
  const { app, playerUrl, adminUrl } = running;
  const alice = await addOperatorWithTotp(app, 'alice', 'admin');
  const carol = await addOperatorWithTotp(app, 'carol', 'admin');
  const players = ['t-0', 't-1'];
  const { commandId, resume } = await kickPlayers(t, running, alice, players);
  const id = await startRestore(adminUrl, carol, {
    commandId,
    pacing: { mode: 'fixed', batchSize: 10, intervalMs: 200 },
  });
  await eventually(async () => ((await app.store.restoreCounts(id)).ticketed === 2 ? true : undefined));

  const banned = await postJson(
    `${adminUrl}/admin/v1/bans`,
    { playerId: 't-1', reason: 'botting' },
    alice.auth,
  );
  assert.equal(banned.status, 201, JSON.stringify(banned.body));
  const refused = await postJson(`${playerUrl}/v1/rejoin`, { resumeToken: resume.get('t-1') });
  assert.equal(refused.status, 403);
  assert.equal(refused.body.error.reason, 'banned');
  const again = await postJson(`${playerUrl}/v1/rejoin`, { resumeToken: resume.get('t-1') });
  assert.equal(again.body.error.reason, 'banned', 'the refusal is final');
  const restored = await postJson(`${playerUrl}/v1/rejoin`, { resumeToken: resume.get('t-0') });
  assert.equal(restored.status, 200, JSON.stringify(restored.body));

  const done = await eventually(async () => {
    const s = await restoreStatus(adminUrl, alice.token, id);
    return s.restore.state === 'done' ? s : undefined;
  });
  assert.deepEqual(done.counts, { pending: 0, ticketed: 0, restored: 1, expired: 0, refused: 1 });
  assert.equal(await sessionsOf(app, 't-1'), 0);
});

test('bad ban input gets a coded 4xx and changes nothing', async (t) => {
  const { app, playerUrl, adminUrl } = await startLifeline(t, { overrides: fastCommands });
  const alice = await addOperatorWithTotp(app, 'alice', 'admin');
  const p = await login(playerUrl, 'p-1', 'na', 'na-1');
  const snapshot = async () => ({
    bans: (await app.store.listBans({ activeAt: Date.now() })).length,
    auditHead: (await app.store.auditHead())?.seq ?? 0,
    sessions: (await app.live.countSessions({})).total,
    grantRevoked: (await app.store.getGrant(p.sessionId))?.revokedAt ?? null,
  });
  const before = await snapshot();
  const ban = (body: unknown) => postJson(`${adminUrl}/admin/v1/bans`, body, alice.auth);
  const cases: [string, () => Promise<{ status: number; body: any }>, number, string][] = [
    ['no reason', () => ban({ playerId: 'p-1' }), 400, 'VALIDATION_FAILED'],
    ['a reason too short', () => ban({ playerId: 'p-1', reason: 'x' }), 400, 'VALIDATION_FAILED'],
    ['no player', () => ban({ reason: 'cheating' }), 400, 'VALIDATION_FAILED'],
    ['a player id with spaces', () => ban({ playerId: 'p 1', reason: 'cheating' }), 400, 'VALIDATION_FAILED'],
    ['a number for a player id', () => ban({ playerId: 1, reason: 'cheating' }), 400, 'VALIDATION_FAILED'],
    [
      'an unknown field',
      () => ban({ playerId: 'p-1', reason: 'cheating', days: 7 }),
      400,
      'VALIDATION_FAILED',
    ],
    ['malformed JSON', () => ban('{"playerId": "p-1",'), 400, 'MALFORMED_JSON'],
    [
      'an unban without a reason',
      () => deleteJson(`${adminUrl}/admin/v1/bans/p-1`, undefined, alice.auth),
      400,
      'VALIDATION_FAILED',
    ],
    [
      'an unban of a player not banned',
      () => deleteJson(`${adminUrl}/admin/v1/bans/p-1`, { reason: 'appeal' }, alice.auth),
      404,
      'BAN_NOT_FOUND',
    ],
    [
      'a bad list limit',
      () => getJson(`${adminUrl}/admin/v1/bans?limit=lots`, alice.token),
      400,
      'VALIDATION_FAILED',
    ],
  ];
  for (const [name, send, status, code] of cases) {
    const res = await send();
    assert.equal(res.status, status, `${name}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error.code, code, name);
    assert.deepEqual(await snapshot(), before, `${name} changed something`);
  }
  const ok = await postJson(`${playerUrl}/v1/refresh`, { refreshToken: p.refreshToken });
  assert.equal(ok.status, 200, 'the player was never banned');
});

async function sessionsOf(app: App, playerId: string): Promise<number> {
  return (await app.live.countSessions({ playerId })).total;
}
