import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import type { App } from '../../src/app.ts';
import type { Config, DeepPartial } from '../../src/config/index.ts';
import { type GameBackend, gameBackend } from '../../src/lab/index.ts';
import { LifelineClient, type Tokens } from '../../src/sdk/index.ts';
import {
  addOperatorWithTotp,
  Client,
  eventually,
  fastCommands,
  getJson,
  login,
  postJson,
  raisedPlayerLimitsEnv,
  startLifeline,
  startRestore,
  tempDir,
} from '../helpers.ts';

/** Logs `n` players in, opens their sockets, and kicks them all in one approved command. */
async function kickMany(
  t: { after: (fn: () => void) => void },
  urls: { playerUrl: string; adminUrl: string },
  ops: {
    alice: Awaited<ReturnType<typeof addOperatorWithTotp>>;
    bob: Awaited<ReturnType<typeof addOperatorWithTotp>>;
  },
  n: number,
  region = 'na',
): Promise<{ commandId: string; resumeTokens: string[] }> {
  const clients: Client[] = [];
  for (let i = 0; i < n; i += 100) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(100, n - i) }, (_, j) =>
        login(urls.playerUrl, `${region}-p-${i + j}`, region, `${region}-${((i + j) % 3) + 1}`),
      ),
    );
    clients.push(...batch.map((p) => new Client(urls.playerUrl, p.accessToken)));
  }
  t.after(() => {
    for (const c of clients) c.close();
  });
  await Promise.all(clients.map((c) => c.welcomed));
  const asked = await postJson(
    `${urls.adminUrl}/admin/v1/commands`,
    { action: 'kick', selector: { region }, reason: 'bad deploy', totp: await ops.alice.totp() },
    ops.alice.auth,
  );
  assert.equal(asked.status, 202, JSON.stringify(asked.body));
  const commandId = asked.body.command.id as string;
  await postJson(
    `${urls.adminUrl}/admin/v1/commands/${commandId}/approve`,
    { totp: await ops.bob.totp() },
    ops.bob.auth,
  );
  await Promise.all(clients.map((c) => c.closed));
  const resumeTokens = clients.map((c) => c.messages.at(-1).resumeToken as string);
  assert.equal(new Set(resumeTokens).size, n);
  return { commandId, resumeTokens };
}

/** A kicked client's loop: rejoin, honouring Retry-After, until it is back or refused. */
async function rejoinLoop(
  playerUrl: () => string,
  resumeToken: string,
  deadline: number,
): Promise<{ status: number; body: any; waits: number }> {
  let waits = 0;
  for (;;) {
    let res: Awaited<ReturnType<typeof postJson>>;
    try {
      res = await postJson(`${playerUrl()}/v1/rejoin`, { resumeToken });
    } catch {
      // The server is restarting: try again shortly.
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    if (res.status !== 202) return { ...res, waits };
    waits++;
    const retryAfter = Number(res.headers.get('retry-after'));
    assert.ok(retryAfter >= 1, 'a waiting client is told when to come back');
    if (Date.now() + retryAfter * 1000 > deadline) throw new Error('rejoin did not finish in time');
    await new Promise((r) => setTimeout(r, retryAfter * 1000));
  }
}

/** A kicked client coming back with the SDK's rejoin, which honours Retry-After; counts the 202s. */
async function sdkRejoin(playerUrl: string, resumeToken: string): Promise<{ tokens: Tokens; waits: number }> {
  let waits = 0;
  const client = new LifelineClient({
    baseUrl: playerUrl,
    // A thousand rejoins at once in this one process: a loaded machine keeps some past the SDK's
    // 10-s default, and the SDK's retry of one the server had already answered is refused
    // `already-restored`, as a lost 200 is (docs/API.md, rejoin step 4). What is tested is the
    // pacing and the accounting, not how fastCommands a starved process answers.
    requestTimeoutMs: 300_000,
    fetch: async (input, init) => {
      const res = await fetch(input, init);
      if (res.status === 202) waits++;
      return res;
    },
  });
  try {
    return { tokens: await client.rejoin(resumeToken), waits };
  } finally {
    client.close();
  }
}

async function restoreStatus(adminUrl: string, token: string, id: string) {
  return (await getJson(`${adminUrl}/admin/v1/restores/${id}`, token)).body;
}

test('1,000 kicked players come back through the SDK in batches of at most 100, every record accounted for', async (t) => {
  const { app, playerUrl, adminUrl } = await startLifeline(t, { overrides: fastCommands });
  const alice = await addOperatorWithTotp(app, 'alice', 'admin');
  const bob = await addOperatorWithTotp(app, 'bob', 'admin');
  const carol = await addOperatorWithTotp(app, 'carol', 'admin');
  // Dave's code is unspent when he asks for the second restore: the code is checked before the
  // restore's state, so a code alice already spent this step would answer TOTP_REPLAYED first.
  const dave = await addOperatorWithTotp(app, 'dave', 'admin');
  const { commandId, resumeTokens } = await kickMany(t, { playerUrl, adminUrl }, { alice, bob }, 1000);
  assert.equal((await app.live.countSessions({})).total, 0);

  const early = await postJson(`${playerUrl}/v1/rejoin`, { resumeToken: resumeTokens[0] });
  assert.equal(early.status, 202, 'before any restore, a client is told to wait');
  assert.equal(early.body.restoreId, null);

  const plan = await postJson(`${adminUrl}/admin/v1/restores`, { commandId, dryRun: true }, carol.auth);
  assert.equal(plan.body.plan.total, 1000);
  assert.equal(plan.body.plan.restorable, 1000);
  assert.deepEqual(plan.body.plan.byRegion, { na: 1000 });

  const batches: number[] = [];
  t.after(app.events.on('restore.released', (e) => batches.push(e.count)));
  const id = await startRestore(adminUrl, carol, {
    commandId,
    pacing: { mode: 'fixed', batchSize: 100, intervalMs: 1000 },
  });

  const results = await Promise.all(resumeTokens.map((token) => sdkRejoin(playerUrl, token)));
  assert.equal(
    new Set(results.map((r) => r.tokens.sessionId)).size,
    1000,
    'each back in a session of its own',
  );
  assert.ok(
    results.some((r) => r.waits > 0),
    'clients were paced, not all let in at once',
  );
  assert.ok(batches.length >= 10 && batches.every((n) => n <= 100), `batches: ${batches.join(',')}`);
  assert.equal(
    batches.reduce((a, b) => a + b, 0),
    1000,
  );

  const done = await eventually(async () => {
    const s = await restoreStatus(adminUrl, carol.token, id);
    return s.restore.state === 'done' ? s : undefined;
  });
  assert.deepEqual(done.counts, { pending: 0, ticketed: 0, restored: 1000, expired: 0, refused: 0 });
  assert.equal(done.open, 0);
  const back = results[0]!.tokens;
  const session = await getJson(`${adminUrl}/admin/v1/sessions?playerId=na-p-0`, carol.token);
  assert.equal(session.body.sessions[0].id, back.sessionId);
  assert.equal(session.body.sessions[0].shard, 'na-1', 'the same place as before');
  assert.equal((await app.live.countSessions({})).total, 1000);

  // Running the same restore again restores nobody twice.
  const again = await postJson(
    `${adminUrl}/admin/v1/restores`,
    { commandId, pacing: { mode: 'fixed', batchSize: 100, intervalMs: 1000 }, totp: await dave.totp() },
    dave.auth,
  );
  assert.equal(again.body.error.code, 'RESTORE_EMPTY');
  const twice = await postJson(`${playerUrl}/v1/rejoin`, { resumeToken: resumeTokens[5] });
  assert.equal(twice.status, 403);
  assert.equal(twice.body.error.reason, 'already-restored');
  const audit = await getJson(`${adminUrl}/admin/v1/audit?limit=1000`, carol.token);
  assert.deepEqual(
    audit.body.entries.filter((e: any) => e.details.restoreId === id).map((e: any) => e.action),
    ['restore.start', 'restore.done'],
  );
});

/**
 * Waits until a paused run has read the health URL `n` more times: each reading is a tick in
 * which it could have released a batch. A sleep would prove nothing on a machine too busy to tick.
 */
async function pausedTicks(game: GameBackend, n: number): Promise<void> {
  const from = game.stats.snapshot().requests;
  await eventually(async () => (game.stats.snapshot().requests >= from + n ? true : undefined), 60_000);
}

/** The game backend's health URL answers 503 (a fault on every answer) or, without it, 200. */
const unhealthy = (game: GameBackend) => game.faults.set({ kind: 'error', rate: 1, status: 503 });
const healthy = (game: GameBackend) => game.faults.clear('error');

/**
 * For the threshold tests: the lab's game backend as the downstream (its health URL read by the
 * restore only), a Lifeline reading it every 100 ms (healthy again after 1 s), and 200 kicked players.
 */
async function thresholdSetup(t: TestContext) {
  const game = await gameBackend();
  t.after(() => game.close());
  const { app, playerUrl, adminUrl } = await startLifeline(t, {
    overrides: { ...fastCommands, restore: { tickMs: 100, healthyHoldSeconds: 1 } },
  });
  const alice = await addOperatorWithTotp(app, 'alice', 'admin');
  const bob = await addOperatorWithTotp(app, 'bob', 'admin');
  const carol = await addOperatorWithTotp(app, 'carol', 'admin');
  const { commandId } = await kickMany(t, { playerUrl, adminUrl }, { alice, bob }, 200, 'eu');
  const batches: number[] = [];
  t.after(app.events.on('restore.released', (e) => batches.push(e.count)));
  return { game, playerUrl, adminUrl, carol, commandId, batches };
}

test('a threshold over its limit pauses the run within a batch; it resumes once healthy', async (t) => {
  const { game, adminUrl, carol, commandId, batches } = await thresholdSetup(t);
  const id = await startRestore(adminUrl, carol, {
    commandId,
    pacing: { mode: 'fixed', batchSize: 10, intervalMs: 200 },
    thresholds: { healthUrl: game.healthUrl },
  });
  await eventually(async () => (batches.length >= 2 ? true : undefined));

  await unhealthy(game);
  const releasedAtFlip = batches.length;
  const paused = await eventually(async () => {
    const s = await restoreStatus(adminUrl, carol.token, id);
    return s.restore.state === 'paused' ? s : undefined;
  });
  assert.match(paused.restore.pauseReason, /^threshold: healthUrl .* unhealthy$/);
  assert.ok(batches.length - releasedAtFlip <= 1, 'paused within one batch of the threshold breaking');
  const frozen = batches.length;
  await pausedTicks(game, 5);
  assert.equal(batches.length, frozen, 'nothing is released while paused');

  await healthy(game);
  await eventually(async () =>
    (await restoreStatus(adminUrl, carol.token, id)).restore.state === 'running' ? true : undefined,
  );
  await eventually(async () => (batches.length > frozen ? true : undefined));
  const audit = await getJson(`${adminUrl}/admin/v1/audit?limit=1000`, carol.token);
  const trail = audit.body.entries.filter((e: any) => e.details.restoreId === id);
  assert.deepEqual(trail.map((e: any) => [e.action, e.actor]).slice(0, 3), [
    ['restore.start', 'carol'],
    ['restore.pause', 'system'],
    ['restore.resume', 'system'],
  ]);
  assert.match(trail[1].details.reason, /healthUrl/);
  const cancelled = await postJson(
    `${adminUrl}/admin/v1/restores/${id}/cancel`,
    { reason: 'test over' },
    carol.auth,
  );
  assert.equal(cancelled.body.restore.state, 'cancelled');
  const metrics = await (await fetch(`${adminUrl}/metrics`)).text();
  assert.match(metrics, /^lifeline_restore_pauses_total\{by="threshold"\} 1$/m);
});

test('an adaptive run answers a breach by cutting its rate, and pauses when it lasts a second', async (t) => {
  const { game, adminUrl, carol, commandId, batches } = await thresholdSetup(t);
  const id = await startRestore(adminUrl, carol, {
    commandId,
    pacing: { mode: 'adaptive', maxRate: 50 },
    thresholds: { healthUrl: game.healthUrl },
  });
  await eventually(async () => (batches.length >= 3 ? true : undefined));
  // Healthy, the run is in slow start: its rate only grows. A lower rate later is the brake.
  const before = (await restoreStatus(adminUrl, carol.token, id)).ratePerSecond as number;

  await unhealthy(game);
  const flippedAt = Date.now();
  const paused = await eventually(async () => {
    const s = await restoreStatus(adminUrl, carol.token, id);
    return s.restore.state === 'paused' ? s : undefined;
  });
  assert.ok(Date.now() - flippedAt >= 1000, 'not paused at the first breaking reading');
  assert.match(paused.restore.pauseReason, /^threshold: healthUrl .* unhealthy$/);
  assert.ok(paused.ratePerSecond < before, `rate cut: ${before} → ${paused.ratePerSecond}`);
  const frozen = batches.length;
  await pausedTicks(game, 5);
  assert.equal(batches.length, frozen, 'nothing is released while paused');

  await healthy(game);
  await eventually(async () =>
    (await restoreStatus(adminUrl, carol.token, id)).restore.state === 'running' ? true : undefined,
  );
  await eventually(async () => (batches.length > frozen ? true : undefined));
  const cancelled = await postJson(
    `${adminUrl}/admin/v1/restores/${id}/cancel`,
    { reason: 'test over' },
    carol.auth,
  );
  assert.equal(cancelled.body.restore.state, 'cancelled');
});

test('restore requests that cannot run get a coded error and change nothing', async (t) => {
  const { app, playerUrl, adminUrl } = await startLifeline(t, { overrides: fastCommands });
  const alice = await addOperatorWithTotp(app, 'alice', 'admin');
  const bob = await addOperatorWithTotp(app, 'bob', 'admin');
  const carol = await addOperatorWithTotp(app, 'carol', 'admin');
  const dave = await addOperatorWithTotp(app, 'dave', 'admin');
  const { commandId } = await kickMany(t, { playerUrl, adminUrl }, { alice, bob }, 60, 'ap');
  const pacing = { mode: 'fixed', batchSize: 1, intervalMs: 60_000 };
  const snapshot = async (a: App) => ({
    restores: (await a.store.listRestores(['running', 'paused', 'done', 'cancelled'])).length,
    owned: (await a.store.listDisruptions({ limit: 10_000 })).filter((d) => d.restoreId).length,
  });

  // A command still awaiting approval.
  await login(playerUrl, 'late-1', 'eu', 'eu-1');
  const waiting = await postJson(
    `${adminUrl}/admin/v1/commands`,
    { action: 'kick', selector: { all: true }, reason: 'pending one', totp: await carol.totp() },
    carol.auth,
  );
  assert.equal(waiting.status, 202);
  const before = await snapshot(app);
  const cases: [string, unknown, number, string][] = [
    ['a command still running', { commandId: waiting.body.command.id, pacing }, 409, 'COMMAND_STILL_RUNNING'],
    ['an unknown command', { commandId: 'cmd-nope', pacing }, 404, 'COMMAND_NOT_FOUND'],
    ['no source', { pacing }, 400, 'RESTORE_SOURCE_INVALID'],
    ['both sources', { commandId, from: 0, to: Date.now(), pacing }, 400, 'RESTORE_SOURCE_INVALID'],
    [
      'a bad pacing',
      { commandId, pacing: { mode: 'fixed', batchSize: 0, intervalMs: 1000 } },
      400,
      'VALIDATION_FAILED',
    ],
    ['an unknown field', { commandId, pacing, speed: 'max' }, 400, 'VALIDATION_FAILED'],
  ];
  for (const [name, body, status, code] of cases) {
    const res = await postJson(`${adminUrl}/admin/v1/restores`, body, dave.auth);
    assert.equal(res.status, status, `${name}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error.code, code, name);
    assert.deepEqual(await snapshot(app), before, `${name} changed something`);
  }

  const first = await postJson(
    `${adminUrl}/admin/v1/restores`,
    { commandId, pacing, totp: await dave.totp() },
    dave.auth,
  );
  assert.equal(first.status, 202, JSON.stringify(first.body));
  const afterFirst = await snapshot(app);
  const overlap = await postJson(
    `${adminUrl}/admin/v1/restores`,
    { from: 0, to: Date.now(), selector: { region: 'ap' }, pacing },
    dave.auth,
  );
  assert.equal(overlap.status, 409);
  assert.equal(overlap.body.error.code, 'RESTORE_OVERLAP');
  assert.deepEqual(await snapshot(app), afterFirst);
  const resumeRunning = await postJson(
    `${adminUrl}/admin/v1/restores/${first.body.restore.id}/resume`,
    { reason: 'x-y-z' },
    dave.auth,
  );
  assert.equal(resumeRunning.body.error.code, 'RESTORE_NOT_PAUSED');
});

test('killed mid-restore and restarted, the run resumes and the accounting is exact', async (t) => {
  const dataDir = tempDir(t);
  const root = join(import.meta.dirname, '../..');
  let child: ChildProcess | undefined;
  let urls = { playerUrl: '', adminUrl: '' };
  const boot = async () => {
    child = spawn(process.execPath, [join(root, 'src/main.ts'), 'serve'], {
      cwd: dataDir,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        LIFELINE_DATA_DIR: dataDir,
        LIFELINE_PLAYER__HOST: '127.0.0.1',
        LIFELINE_PLAYER__PORT: '0',
        LIFELINE_ADMIN__PORT: '0',
        LIFELINE_COMMANDS__HOLD_SECONDS: '0',
        // The start-up grace (src/restore/run.test.ts) is kept short here: the rejoins' deadline
        // keeps its margin on a loaded machine.
        LIFELINE_RESTORE__STARTUP_GRACE_SECONDS: '1',
        // A node killed mid-request is what the reuse grace is for (docs/API.md, rejoin step 4):
        // a rejoin the node settled and died before answering is retried after the restart, and
        // without the grace it is refused `already-restored` (seen once with a busy loop on each
        // core). A minute covers the restart on a loaded machine; the session is still unused.
        LIFELINE_TOKENS__REFRESH_REUSE_GRACE_SECONDS: '60',
        LIFELINE_ADMIN__RATE_LIMIT__PER_SECOND: '100000',
        LIFELINE_ADMIN__RATE_LIMIT__BURST: '100000',
        ...raisedPlayerLimitsEnv,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const proc = child;
    urls = await new Promise((resolve, reject) => {
      let buffered = '';
      proc.stdout?.on('data', (chunk) => {
        buffered += chunk;
        for (const line of buffered.split('\n'))
          if (line.includes('Lifeline is serving')) resolve(JSON.parse(line));
      });
      proc.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    });
  };
  t.after(() => child?.kill('SIGKILL'));
  await boot();

  // Operators straight on the store, as the CLI does while the server runs.
  const { runCli } = await import('../../src/cli/index.ts');
  const enrol = async (name: string) => {
    let out = '';
    // Several admins made on the store directly: past the first, that is a break-glass write.
    await runCli(['operators', 'add', name, '--role', 'admin', '--json', '--break-glass'], {
      env: { LIFELINE_DATA_DIR: dataDir },
      cwd: dataDir,
      out: (s) => {
        out += s;
      },
      err: () => {},
    });
    const { token, otpauthUri } = JSON.parse(out);
    const { generate } = await import('otplib');
    const secret = new URL(otpauthUri).searchParams.get('secret') as string;
    return { token, auth: { authorization: `Bearer ${token}` }, totp: () => generate({ secret }) };
  };
  const alice = await enrol('alice');
  const bob = await enrol('bob');
  const carol = await enrol('carol');
  const { commandId, resumeTokens } = await kickMany(t, urls, { alice, bob }, 300);
  const id = await startRestore(urls.adminUrl, carol, {
    commandId,
    pacing: { mode: 'fixed', batchSize: 30, intervalMs: 400 },
  });
  const deadline = Date.now() + 90_000;
  const rejoins = Promise.all(resumeTokens.map((token) => rejoinLoop(() => urls.playerUrl, token, deadline)));

  await eventually(async () => {
    const s = await restoreStatus(urls.adminUrl, carol.token, id).catch(() => undefined);
    return s && s.restore.released >= 60 ? true : undefined;
  });
  const killed = child as ChildProcess;
  const exited = new Promise((r) => killed.once('exit', r));
  killed.kill('SIGKILL');
  await exited;
  await boot();

  const results = await rejoins;
  assert.ok(
    results.every((r) => r.status === 200),
    JSON.stringify(results.find((r) => r.status !== 200)),
  );
  const done = await eventually(async () => {
    const s = await restoreStatus(urls.adminUrl, carol.token, id);
    return s.restore.state === 'done' ? s : undefined;
  }, 30_000);
  assert.deepEqual(done.counts, { pending: 0, ticketed: 0, restored: 300, expired: 0, refused: 0 });
  assert.equal(done.restore.released, 300, 'nobody released twice');
  const records = (
    await getJson(`${urls.adminUrl}/admin/v1/disruptions?restoreId=${id}&limit=1000`, carol.token)
  ).body.disruptions;
  const recorded = new Set(records.map((d: any) => d.restoredSessionId));
  assert.equal(recorded.size, 300, 'one new session per record');
  assert.deepEqual(
    new Set(results.map((r) => r.body.sessionId)),
    recorded,
    'each client holds the session its record names',
  );
  // Sessions restored before the kill live on in their grants (live state was in the killed
  // process): each still refreshes on the new one.
  const refreshed = await Promise.all(
    results.map((r) => postJson(`${urls.playerUrl}/v1/refresh`, { refreshToken: r.body.refreshToken })),
  );
  assert.ok(refreshed.every((r) => r.status === 200));
  const live = await getJson(`${urls.adminUrl}/admin/v1/sessions?limit=1`, carol.token);
  assert.equal(live.body.counts.total, 300);
});

/**
 * A node with 60 players kicked by an approved command (past the small tier, what kickMany drives)
 * and a fixed-pace restore of that command started: the app, its URLs and the resume tokens.
 */
async function sixtyKickedRestoring(t: TestContext, overrides: DeepPartial<Config>) {
  const { app, playerUrl, adminUrl } = await startLifeline(t, { overrides });
  const alice = await addOperatorWithTotp(app, 'alice', 'admin');
  const bob = await addOperatorWithTotp(app, 'bob', 'admin');
  const carol = await addOperatorWithTotp(app, 'carol', 'admin');
  const { commandId, resumeTokens } = await kickMany(t, { playerUrl, adminUrl }, { alice, bob }, 60);
  await startRestore(adminUrl, carol, {
    commandId,
    pacing: { mode: 'fixed', batchSize: 100, intervalMs: 100 },
  });
  return { app, playerUrl, adminUrl, resumeTokens };
}

// A rejoin that wrote its session and crashed before settling the record left a grant newer than
// the disruption: its retry took that for a session the player had opened elsewhere and was
// refused `newer-session` (seen under load in the kill-and-restart test above).
test('a rejoin retried after writing its session, but before settling, restores the player', async (t) => {
  const { app, playerUrl, resumeTokens } = await sixtyKickedRestoring(t, fastCommands);
  const resumeToken = resumeTokens[0] as string;
  const { disruptionId } = await app.tokens.parseResume(resumeToken, Date.now());
  const record = await app.store.getDisruption(disruptionId);
  assert.ok(record);
  await eventually(async () =>
    (await app.store.getDisruption(record.id))?.outcome === 'ticketed' ? true : undefined,
  );
  // The first half of a rejoin, as a crashed attempt left it: the session written, the record not.
  const { uuid7Of } = await import('../../src/ids/index.ts');
  const named = uuid7Of(record.at, `rejoin:${record.id}`);
  await app.sessions.reopen(record.playerId, record.snapshot, named);
  assert.equal((await app.store.getDisruption(record.id))?.outcome, 'ticketed');

  const back = await postJson(`${playerUrl}/v1/rejoin`, { resumeToken });
  assert.equal(back.status, 200, JSON.stringify(back.body));
  const settled = await app.store.getDisruption(record.id);
  assert.equal(settled?.outcome, 'restored');
  assert.equal(settled?.restoredSessionId, named, 'the session the first attempt wrote');
  const again = await postJson(`${playerUrl}/v1/rejoin`, { resumeToken });
  assert.equal(again.body.error?.reason, 'already-restored');
});

// The answer to a rejoin can die on its way (a request timed out on a busy node): the client
// retries with the resume token it still holds. Seen in the node-loss drill at 2,500 players:
// 376 retries refused `already-restored`, each player then logging in again.
test('a rejoin retried after its answer was lost gets the same session, until that session is used', async (t) => {
  // A grace far longer than the test, so that nothing here depends on how fastCommands the machine is.
  const overrides = { ...fastCommands, tokens: { refreshReuseGraceSeconds: 3600 } };
  const { playerUrl, app, resumeTokens } = await sixtyKickedRestoring(t, overrides);
  const resumeToken = resumeTokens[0] as string;
  const first = await eventually(async () => {
    const r = await postJson(`${playerUrl}/v1/rejoin`, { resumeToken });
    return r.status === 200 ? r : undefined;
  });
  // The first answer "never arrived": the retry is answered with the same session.
  const retry = await postJson(`${playerUrl}/v1/rejoin`, { resumeToken });
  assert.equal(retry.status, 200, JSON.stringify(retry.body));
  assert.equal(retry.body.sessionId, first.body.sessionId);
  // Once the session is used (refreshed), the token's job is done: a retry is refused.
  const refreshed = await postJson(`${playerUrl}/v1/refresh`, { refreshToken: retry.body.refreshToken });
  assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
  const late = await postJson(`${playerUrl}/v1/rejoin`, { resumeToken });
  assert.equal(late.status, 403);
  assert.equal(late.body.error.reason, 'already-restored');
  assert.equal((await app.live.countSessions({ playerId: 'na-p-0' })).total, 1, 'one session, not two');
});
