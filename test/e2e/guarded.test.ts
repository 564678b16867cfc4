import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { App } from '../../src/app.ts';
import {
  addOperator,
  addOperatorWithTotp,
  Client,
  eventually,
  fastAdmin,
  getJson,
  login,
  loginMany,
  postJson,
  startLifeline,
  tempDir,
} from '../helpers.ts';

/** A fast admin plane for tests that fire many requests; the rate limit has its own test. */

async function commandState(adminUrl: string, token: string, id: string) {
  return (await getJson(`${adminUrl}/admin/v1/commands/${id}`, token)).body.command;
}

async function untouched(app: App) {
  return {
    sessions: (await app.live.countSessions({})).total,
    disruptions: (await app.store.listDisruptions({ limit: 100_000 })).length,
  };
}

test('a bulk kick of 200 waits for a second admin with TOTP, runs a canary, then the rest', async (t) => {
  const { app, playerUrl, adminUrl } = await startLifeline(t, {
    overrides: { ...fastAdmin, commands: { holdSeconds: 1 } },
  });
  const players = await loginMany(playerUrl, 'bulk', 200);
  const clients = players.map((p) => new Client(playerUrl, p.accessToken));
  t.after(() => {
    for (const c of clients) c.close();
  });
  await Promise.all(clients.map((c) => c.welcomed));
  const alice = await addOperatorWithTotp(app, 'alice', 'admin');
  const bob = await addOperatorWithTotp(app, 'bob', 'admin');
  const kick = (body: unknown, auth: Record<string, string>) =>
    postJson(`${adminUrl}/admin/v1/commands`, body, auth);
  const body = { action: 'kick', selector: { region: 'na' }, reason: 'exploit wave 3' };

  const dry = await kick({ ...body, dryRun: true }, alice.auth);
  assert.equal(dry.status, 200);
  assert.equal(dry.body.plan.count, 200);
  assert.deepEqual(dry.body.plan.byRegion, { na: 200 });
  assert.deepEqual(dry.body.plan.byTier, { paying: 200, free: 0 });
  assert.equal(dry.body.plan.shareOfOnline, 1);
  assert.equal(dry.body.policy.approvals, 1);
  assert.equal(dry.body.policy.canary, 2);

  const aliceCode = await alice.totp();
  const requested = await kick({ ...body, totp: aliceCode }, alice.auth);
  assert.equal(requested.status, 202, JSON.stringify(requested.body));
  const id = requested.body.command.id as string;
  assert.equal(requested.body.command.state, 'awaiting-approval');

  const replay = await kick({ ...body, totp: aliceCode }, alice.auth);
  assert.equal(replay.status, 403);
  assert.equal(replay.body.error.code, 'TOTP_REPLAYED');
  const self = await postJson(
    `${adminUrl}/admin/v1/commands/${id}/approve`,
    { totp: await alice.totp() },
    alice.auth,
  );
  assert.equal(self.status, 403);
  assert.equal(self.body.error.code, 'APPROVAL_SELF');
  const good = await bob.totp();
  const wrong = String((Number(good) + 1) % 1_000_000).padStart(6, '0');
  const wrongTry = await postJson(`${adminUrl}/admin/v1/commands/${id}/approve`, { totp: wrong }, bob.auth);
  assert.equal(wrongTry.status, 403);
  assert.equal(wrongTry.body.error.code, 'TOTP_INVALID');
  assert.equal((await untouched(app)).sessions, 200, 'nothing ran before the approval');

  const approved = await postJson(`${adminUrl}/admin/v1/commands/${id}/approve`, { totp: good }, bob.auth);
  assert.equal(approved.status, 202, JSON.stringify(approved.body));
  const done = await eventually(async () => {
    const c = await commandState(adminUrl, alice.token, id);
    return c.state === 'done' ? c : undefined;
  });
  assert.deepEqual(done.progress, { ended: 200, waves: 2 });
  assert.deepEqual(
    done.approvals.map((a: { by: string }) => a.by),
    ['bob'],
  );

  const disruptions = await getJson(
    `${adminUrl}/admin/v1/disruptions?commandId=${id}&limit=1000`,
    alice.token,
  );
  assert.equal(disruptions.body.disruptions.length, 200);
  assert.ok(disruptions.body.disruptions.every((d: { commandId: string }) => d.commandId === id));
  await Promise.all(clients.map((c) => c.closed));
  assert.ok(clients.every((c) => c.closeCode === 4001 && c.messages.at(-1).commandId === id));

  const audit = await getJson(`${adminUrl}/admin/v1/audit?limit=1000`, alice.token);
  const trail = audit.body.entries
    .filter((e: { details: { commandId?: string } }) => e.details.commandId === id)
    .map(
      (e: { action: string; actor: string; details: { sessions?: number } }) =>
        `${e.action}:${e.actor}${e.details.sessions === undefined ? '' : `:${e.details.sessions}`}`,
    );
  assert.deepEqual(trail, [
    'command.request:alice',
    'command.approve:alice',
    'command.approve:bob',
    'command.wave:bob:2',
    'command.wave:bob:198',
    'command.done:bob',
  ]);
  const verify = await getJson(`${adminUrl}/admin/v1/audit/verify`, alice.token);
  assert.equal(verify.body.ok, true);
});

test('a runaway script of single kicks stops at the breaker cap, and the breaker stays open across a restart', async (t) => {
  const dataDir = tempDir(t);
  const first = await startLifeline(t, { dataDir, overrides: fastAdmin });
  const players = await loginMany(first.playerUrl, 'run', 2000);
  const script = await addOperatorWithTotp(first.app, 'ci-bot', 'operator');
  const root = await addOperatorWithTotp(first.app, 'root', 'admin');

  // Eight workers kick one session each, as fast as the API answers.
  const queue = players.map((p) => p.sessionId);
  const answers: { status: number; code?: string }[] = [];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let id = queue.shift(); id !== undefined && answers.length < 300; id = queue.shift()) {
        const res = await postJson(
          `${first.adminUrl}/admin/v1/commands`,
          { action: 'kick', selector: { sessionId: id }, reason: 'cleanup' },
          script.auth,
        );
        answers.push({ status: res.status, code: res.body?.error?.code });
      }
    }),
  );
  const kicked = answers.filter((a) => a.status === 200).length;
  assert.equal(kicked, 50, 'the cap is max(50, 0.5% of 2,000 online)');
  const firstRefusal = answers.findIndex((a) => a.status !== 200);
  assert.ok(answers.slice(firstRefusal).every((a) => a.status === 503 && a.code === 'KICK_BREAKER_OPEN'));
  assert.equal((await first.app.live.countSessions({})).total, 1950);
  const status = await getJson(`${first.adminUrl}/admin/v1/breaker`, root.token);
  assert.equal(status.body.breaker.state, 'open');
  assert.equal(status.body.breaker.changedBy, 'ci-bot');
  const metrics = await (await fetch(`${first.adminUrl}/metrics`)).text();
  assert.match(metrics, /^lifeline_kick_breaker_open 1$/m);
  assert.match(metrics, /^lifeline_kick_breaker_trips_total 1$/m);
  assert.match(metrics, /^lifeline_kicks_total\{source="api"\} 50$/m);
  await first.app.close();

  const second = await startLifeline(t, { dataDir, overrides: fastAdmin });
  const still = await getJson(`${second.adminUrl}/admin/v1/breaker`, root.token);
  assert.equal(still.body.breaker.state, 'open', 'the breaker survives a restart');
  const p = await login(second.playerUrl, 'after-restart');
  const refused = await postJson(
    `${second.adminUrl}/admin/v1/commands`,
    { action: 'kick', selector: { sessionId: p.sessionId }, reason: 'x-1' },
    script.auth,
  );
  assert.equal(refused.body.error.code, 'KICK_BREAKER_OPEN');
  const byOperator = await postJson(
    `${second.adminUrl}/admin/v1/breaker/reset`,
    { totp: await script.totp(), reason: 'try' },
    script.auth,
  );
  assert.equal(byOperator.body.error.code, 'OPERATOR_FORBIDDEN', 'only an admin resets it');
  const noTotp = await postJson(
    `${second.adminUrl}/admin/v1/breaker/reset`,
    { totp: '', reason: 'reviewed' },
    root.auth,
  );
  assert.equal(noTotp.status, 400);
  const reset = await postJson(
    `${second.adminUrl}/admin/v1/breaker/reset`,
    { totp: await root.totp(), reason: 'script fixed, reviewed' },
    root.auth,
  );
  assert.equal(reset.status, 200, JSON.stringify(reset.body));
  assert.equal(reset.body.breaker.state, 'closed');
  const afterReset = await postJson(
    `${second.adminUrl}/admin/v1/commands`,
    { action: 'kick', selector: { sessionId: p.sessionId }, reason: 'x-2' },
    script.auth,
  );
  assert.equal(afterReset.status, 200, 'a reset breaker counts afresh');
  const audit = await getJson(`${second.adminUrl}/admin/v1/audit?action=breaker.trip`, root.token);
  assert.equal(audit.body.entries.length, 1);
});

test('drift: a plan for 100, then 300 more join before approval: the command halts, nobody extra is kicked', async (t) => {
  const { app, playerUrl, adminUrl } = await startLifeline(t, {
    overrides: { ...fastAdmin, commands: { holdSeconds: 0 } },
  });
  await loginMany(playerUrl, 'early', 100, 'eu');
  await loginMany(playerUrl, 'other', 20, 'ap');
  const alice = await addOperatorWithTotp(app, 'alice', 'admin');
  const bob = await addOperatorWithTotp(app, 'bob', 'admin');
  const requested = await postJson(
    `${adminUrl}/admin/v1/commands`,
    { action: 'kick', selector: { region: 'eu' }, reason: 'bad build on eu', totp: await alice.totp() },
    alice.auth,
  );
  assert.equal(requested.status, 202);
  assert.equal(requested.body.command.plan.count, 100);
  await loginMany(playerUrl, 'late', 300, 'eu');
  const id = requested.body.command.id;
  await postJson(`${adminUrl}/admin/v1/commands/${id}/approve`, { totp: await bob.totp() }, bob.auth);
  const halted = await eventually(async () => {
    const c = await commandState(adminUrl, alice.token, id);
    return c.state === 'halted' ? c : undefined;
  });
  assert.equal(halted.haltReason, 'SELECTOR_DRIFT');
  const ended = (await app.store.listDisruptions({ commandId: id })).length;
  assert.ok(ended <= 100 + halted.policy.tolerance, `${ended} kicked`);
  assert.equal((await app.live.countSessions({ region: 'eu' })).total, 400 - ended);
});

test('kicks.enabled=false refuses kicks; logins.enabled=false turns logins away while sockets stay open', async (t) => {
  const { app, playerUrl, adminUrl } = await startLifeline(t, { overrides: fastAdmin });
  const admin = await addOperatorWithTotp(app, 'root', 'admin');
  const inGame = await login(playerUrl, 'in-game');
  const client = new Client(playerUrl, inGame.accessToken);
  t.after(() => client.close());
  await client.welcomed;
  const setFlag = (key: string, value: unknown) =>
    fetch(`${adminUrl}/admin/v1/flags/${key}`, {
      method: 'PUT',
      headers: { ...admin.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ value, reason: 'incident 42' }),
    });

  assert.equal((await setFlag('kicks.enabled', false)).status, 200);
  const refused = await postJson(
    `${adminUrl}/admin/v1/commands`,
    { action: 'kick', selector: { playerId: 'in-game' }, reason: 'test' },
    admin.auth,
  );
  assert.equal(refused.status, 503);
  assert.equal(refused.body.error.code, 'KICKS_DISABLED');

  assert.equal((await setFlag('logins.enabled', false)).status, 200);
  assert.equal((await setFlag('maintenance.message', 'Back at 18:00 UTC')).status, 200);
  const closed = await postJson(`${playerUrl}/v1/login`, {
    playerId: 'newcomer',
    region: 'na',
    shard: 'na-1',
  });
  assert.equal(closed.status, 503);
  assert.equal(closed.body.error.code, 'LOGINS_CLOSED');
  assert.equal(closed.body.error.message, 'Back at 18:00 UTC');
  assert.equal(closed.headers.get('retry-after'), '30');
  assert.equal((await client.ping()).type, 'pong', 'the existing socket stays open');
  const refreshed = await postJson(`${playerUrl}/v1/refresh`, { refreshToken: inGame.refreshToken });
  assert.equal(refreshed.status, 200, 'closing logins never closes sessions');
  assert.equal(client.closeCode, undefined);
  assert.equal((await setFlag('no.such.flag', true)).status, 404);

  // A command approved after the kill switch was thrown halts before its first wave.
  const bob = await addOperatorWithTotp(app, 'bob', 'admin');
  assert.equal((await setFlag('logins.enabled', true)).status, 200);
  await loginMany(playerUrl, 'frozen', 60);
  assert.equal((await setFlag('kicks.enabled', true)).status, 200);
  const waiting = await postJson(
    `${adminUrl}/admin/v1/commands`,
    { action: 'kick', selector: { region: 'na' }, reason: 'before the freeze', totp: await admin.totp() },
    admin.auth,
  );
  assert.equal(waiting.status, 202);
  assert.equal((await setFlag('kicks.enabled', false)).status, 200);
  await postJson(
    `${adminUrl}/admin/v1/commands/${waiting.body.command.id}/approve`,
    { totp: await bob.totp() },
    bob.auth,
  );
  await app.commands.settle();
  const frozen = await app.commands.get(waiting.body.command.id);
  assert.equal(frozen.state, 'halted');
  assert.equal(frozen.haltReason, 'KICKS_DISABLED');
  assert.equal(frozen.progress.ended, 0);
  assert.equal((await setFlag('logins.enabled', 'yes')).status, 400);

  const audit = await getJson(`${adminUrl}/admin/v1/audit?action=flag.set`, admin.token);
  assert.deepEqual(
    audit.body.entries.map((e: { target: string; actor: string; details: { reason: string } }) => [
      e.target,
      e.actor,
      e.details.reason,
    ]),
    [
      ['flag:kicks.enabled', 'root', 'incident 42'],
      ['flag:logins.enabled', 'root', 'incident 42'],
      ['flag:maintenance.message', 'root', 'incident 42'],
      ['flag:logins.enabled', 'root', 'incident 42'],
      ['flag:kicks.enabled', 'root', 'incident 42'],
      ['flag:kicks.enabled', 'root', 'incident 42'],
    ],
  );
});

test('bad command input gets a coded 4xx and changes nothing', async (t) => {
  const { app, playerUrl, adminUrl } = await startLifeline(t, {
    overrides: { ...fastAdmin, commands: { holdSeconds: 0 } },
  });
  await loginMany(playerUrl, 'b', 60);
  const alice = await addOperatorWithTotp(app, 'alice', 'admin');
  const bob = await addOperatorWithTotp(app, 'bob', 'admin');
  // Approvers whose codes are unspent: a code is checked before the command's state, so a
  // replayed one would answer TOTP_REPLAYED rather than the state.
  const erin = await addOperatorWithTotp(app, 'erin', 'admin');
  const dave = await addOperatorWithTotp(app, 'dave', 'admin');
  const requested = await postJson(
    `${adminUrl}/admin/v1/commands`,
    { action: 'kick', selector: { region: 'na' }, reason: 'test run', totp: await alice.totp() },
    alice.auth,
  );
  const id = requested.body.command.id;
  await postJson(`${adminUrl}/admin/v1/commands/${id}/approve`, { totp: await bob.totp() }, bob.auth);
  await eventually(async () =>
    (await commandState(adminUrl, alice.token, id)).state === 'done' ? true : undefined,
  );
  await loginMany(playerUrl, 'c', 10, 'ap');
  const before = await untouched(app);

  const cases: [string, unknown, number, string][] = [
    [
      'unknown selector field',
      { action: 'kick', selector: { region: 'ap', guild: 'x' }, reason: 'test' },
      400,
      'VALIDATION_FAILED',
    ],
    ['empty selector', { action: 'kick', selector: {}, reason: 'test' }, 400, 'SELECTOR_EMPTY'],
    [
      'all with other fields',
      { action: 'kick', selector: { all: true, region: 'ap' }, reason: 'test' },
      400,
      'SELECTOR_ALL_NOT_EXPLICIT',
    ],
    [
      'negative count',
      { action: 'kick', selector: { region: 'ap' }, reason: 'test', maxSessions: -5 },
      400,
      'VALIDATION_FAILED',
    ],
    ['unknown shard', { action: 'kick', selector: { shard: 'zz-9' }, reason: 'test' }, 400, 'UNKNOWN_SHARD'],
    [
      'over maxSessions',
      { action: 'kick', selector: { region: 'ap' }, reason: 'test', maxSessions: 5 },
      409,
      'BLAST_RADIUS_EXCEEDED',
    ],
    [
      'small kick without TOTP',
      { action: 'kick', selector: { region: 'ap' }, reason: 'test' },
      401,
      'TOTP_REQUIRED',
    ],
  ];
  for (const [name, body, status, code] of cases) {
    const res = await postJson(`${adminUrl}/admin/v1/commands`, body, alice.auth);
    assert.equal(res.status, status, `${name}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error.code, code, name);
    assert.deepEqual(await untouched(app), before, `${name} changed state`);
  }
  const finished = await postJson(
    `${adminUrl}/admin/v1/commands/${id}/approve`,
    { totp: await erin.totp() },
    erin.auth,
  );
  assert.equal(finished.status, 409);
  assert.equal(finished.body.error.code, 'COMMAND_FINISHED');
  const halted = await postJson(
    `${adminUrl}/admin/v1/commands/${id}/halt`,
    { reason: 'too late' },
    alice.auth,
  );
  assert.equal(halted.body.error.code, 'COMMAND_FINISHED');

  // Approving twice: the second approval of a command already approved and running or done.
  const carol = await addOperatorWithTotp(app, 'carol', 'admin');
  const second = await postJson(
    `${adminUrl}/admin/v1/commands`,
    { action: 'kick', selector: { all: true }, reason: 'everyone out', totp: await carol.totp() },
    carol.auth,
  );
  assert.equal(second.status, 202);
  assert.equal(second.body.command.policy.tier, 'all');
  // Whoever watches may stop it: a viewer halts (no TOTP; halting only stops harm), and the
  // on-call operator reads in the audit log who did.
  const watcher = await addOperator(app, 'watcher', 'viewer');
  const stop = await postJson(
    `${adminUrl}/admin/v1/commands/${second.body.command.id}/halt`,
    { reason: 'runaway, stopping it' },
    { authorization: `Bearer ${watcher}` },
  );
  assert.equal(stop.body.command.state, 'halted', JSON.stringify(stop.body));
  const oncall = await addOperator(app, 'oncall', 'operator');
  const audit = await getJson(`${adminUrl}/admin/v1/audit?limit=1000`, oncall);
  assert.equal(audit.status, 200, 'an operator reads the audit log');
  assert.ok(
    audit.body.entries.some(
      (e: any) => e.actor === 'watcher' && e.target === `command:${second.body.command.id}`,
    ),
    'the halt is in the audit log under the viewer who did it',
  );
  const late = await postJson(
    `${adminUrl}/admin/v1/commands/${second.body.command.id}/approve`,
    { totp: await dave.totp() },
    dave.auth,
  );
  assert.equal(late.body.error.code, 'COMMAND_FINISHED');
  assert.deepEqual(await untouched(app), before, 'a halted all-kick kicked nobody');
});

test('the admin API limits each operator: 429 with Retry-After', async (t) => {
  const { app, adminUrl } = await startLifeline(t, {
    overrides: { admin: { rateLimit: { perSecond: 1, burst: 3 } } },
  });
  const viewer = await addOperatorWithTotp(app, 'eve', 'viewer');
  const other = await addOperatorWithTotp(app, 'frank', 'viewer');
  const statuses: number[] = [];
  let retryAfter: string | null = null;
  for (let i = 0; i < 5; i++) {
    const res = await fetch(`${adminUrl}/admin/v1/sessions`, { headers: viewer.auth });
    statuses.push(res.status);
    if (res.status === 429) {
      retryAfter = res.headers.get('retry-after');
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'RATE_LIMITED');
    } else await res.body?.cancel();
  }
  assert.deepEqual(statuses.slice(0, 3), [200, 200, 200]);
  assert.ok(statuses.slice(3).includes(429), JSON.stringify(statuses));
  assert.ok(Number(retryAfter) >= 1);
  assert.equal(
    (await getJson(`${adminUrl}/admin/v1/sessions`, other.token)).status,
    200,
    'another operator is not limited',
  );
});
