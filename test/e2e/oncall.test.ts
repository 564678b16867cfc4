/**
 * What on-call asked for (issue 17, item 5), through the admin API and the CLI as an on-call
 * engineer uses them: a running restore re-paced without a restart, a restore start tried as a
 * dry run, bans that expire and bans from a list.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { TestClock } from '../clock.ts';
import {
  addOperator,
  addOperatorWithTotp,
  eventually,
  fastCommands,
  getJson,
  kickHeldPlayers,
  login,
  postJson,
  runCliCaptured,
  startLifeline,
  startRestore,
} from '../helpers.ts';

function cliIn(dataDir: string, adminUrl: string, token: string) {
  return (...args: string[]) =>
    runCliCaptured(
      [...args, '--token', token],
      { LIFELINE_DATA_DIR: dataDir, LIFELINE_ADMIN_URL: adminUrl },
      dataDir,
    );
}

async function kicked(t: TestContext, n: number, clock?: TestClock) {
  const running = await startLifeline(t, { overrides: fastCommands, ...(clock ? { clock: clock.now } : {}) });
  const admin = await addOperatorWithTotp(running.app, 'alice', 'admin');
  const ids = Array.from({ length: n }, (_, i) => `oc-${i}`);
  const { commandId } = await kickHeldPlayers(t, running, admin, ids, { region: 'eu', shard: 'eu-1' });
  await running.app.commands.settle();
  // Another admin restores: alice's code for this 30 s window is spent on the kick.
  const restorer = await addOperatorWithTotp(running.app, 'bob', 'admin');
  return { ...running, admin: restorer, commandId };
}

test('a running restore is re-paced from the CLI without a restart: audited, stored, shown, followed from the next batch', async (t) => {
  const { app, dataDir, adminUrl, admin, commandId } = await kicked(t, 12);
  // One record an hour: without the change, the rest would wait far past this test.
  const id = await startRestore(adminUrl, admin, {
    commandId,
    pacing: { mode: 'fixed', batchSize: 1, intervalMs: 3_600_000 },
  });
  await eventually(async () => ((await app.restores.status(id)).restore.released === 1 ? true : undefined));
  const oncall = await addOperator(app, 'oncall', 'operator');
  const cli = cliIn(dataDir, adminUrl, oncall);

  const bad = await cli(
    'restore',
    'pace',
    id,
    '--max-rate',
    '5',
    '--batch-size',
    '3',
    '--reason',
    'both',
    '--json',
  );
  assert.notEqual(bad.code, 0);
  assert.equal(bad.json?.error?.code, 'VALIDATION_FAILED', bad.out);
  const zero = await cli('restore', 'pace', id, '--batch-size', '0', '--reason', 'zero batch', '--json');
  assert.equal(zero.json?.error?.code, 'VALIDATION_FAILED', zero.out);
  assert.deepEqual((await app.restores.status(id)).restore.pacing, {
    mode: 'fixed',
    batchSize: 1,
    intervalMs: 3_600_000,
  });

  // --batch-size alone keeps the interval; then the interval: the sleeping run wakes for it.
  const size = await cli('restore', 'pace', id, '--batch-size', '5', '--reason', 'backend has room');
  assert.equal(size.code, 0, size.out);
  assert.match(size.out, /pacing fixed 5 per 3600000ms/);
  const paced = await cli(
    'restore',
    'pace',
    id,
    '--interval',
    '20ms',
    '--reason',
    'backend has room',
    '--json',
  );
  assert.equal(paced.code, 0, paced.out);
  assert.deepEqual(paced.json.restore.pacing, { mode: 'fixed', batchSize: 5, intervalMs: 20 });
  await eventually(async () => ((await app.restores.status(id)).restore.released === 12 ? true : undefined));

  const status = await cli('restore', 'status', id);
  assert.match(status.out, /pacing fixed 5 per 20ms \(250\/s\)/);
  const audit = (await getJson(`${adminUrl}/admin/v1/audit?limit=1000`, oncall)).body.entries;
  const paces = audit.filter((e: any) => e.action === 'restore.pace');
  assert.equal(paces.length, 2);
  assert.equal(paces[1].actor, 'oncall');
  assert.deepEqual(paces[1].details.to, { mode: 'fixed', batchSize: 5, intervalMs: 20 });

  // A finished restore is not re-paced.
  const cancelled = await postJson(
    `${adminUrl}/admin/v1/restores/${id}/cancel`,
    { reason: 'test over' },
    admin.auth,
  );
  assert.equal(cancelled.body.restore.state, 'cancelled', JSON.stringify(cancelled.body));
  const late = await cli('restore', 'pace', id, '--max-rate', '5', '--reason', 'too late', '--json');
  assert.equal(late.json?.error?.code, 'RESTORE_FINISHED', late.out);
});

test('restore start --dry-run says the count, the role and whether TOTP a real start needs, and changes nothing', async (t) => {
  const { app, dataDir, adminUrl, admin, commandId } = await kicked(t, 12);
  const viewer = await addOperator(app, 'watcher', 'viewer');
  const oncall = await addOperator(app, 'oncall', 'operator');
  const auditHead = async () => (await app.store.auditHead())?.seq ?? 0;
  const before = await auditHead();

  const asViewer = await cliIn(dataDir, adminUrl, viewer)(
    'restore',
    'start',
    '--command',
    commandId,
    '--dry-run',
  );
  assert.equal(asViewer.code, 0, asViewer.out);
  assert.match(asViewer.out, /would restore 12 record\(s\)/);
  assert.match(asViewer.out, /needs: role operator \(restores\.start\), TOTP yes/);
  assert.match(asViewer.out, /you \(watcher, viewer\): may not start it/);
  const asOncall = await cliIn(dataDir, adminUrl, oncall)(
    'restore',
    'start',
    '--command',
    commandId,
    '--batch-size',
    '5',
    '--dry-run',
    '--json',
  );
  assert.equal(asOncall.code, 0, asOncall.out);
  assert.deepEqual(
    { ...asOncall.json.guard, caller: undefined },
    {
      restorable: 12,
      tier: 'small',
      role: 'operator',
      permission: 'restores.start',
      totpRequired: true,
      secondApprover: false,
      caller: undefined,
      refusal: null,
    },
  );
  assert.deepEqual(asOncall.json.guard.caller, {
    name: 'oncall',
    role: 'operator',
    allowed: true,
    totpEnrolled: true,
  });
  assert.equal(await auditHead(), before, 'a dry run is not audited');
  assert.deepEqual(await app.restores.list({ limit: 10 }), [], 'and starts nothing');

  // What the real start would meet: with these records owned by a running restore, an overlap.
  await startRestore(adminUrl, admin, {
    commandId,
    pacing: { mode: 'fixed', batchSize: 1, intervalMs: 3_600_000 },
  });
  const again = await cliIn(dataDir, adminUrl, oncall)(
    'restore',
    'start',
    '--command',
    commandId,
    '--dry-run',
  );
  assert.match(again.out, /would restore 0 record/);
  assert.match(again.out, /a start now would be refused: RESTORE_OVERLAP/);
});

test('lifeline ban --for 7d: login, refresh and restore are refused until then and not after, with no job run; lists show the end', async (t) => {
  // Held: the week passes when the test says so.
  const clock = new TestClock();
  const { app, dataDir, adminUrl, playerUrl, commandId } = await kicked(t, 3, clock);
  const root = await addOperator(app, 'root', 'admin');
  const cli = cliIn(dataDir, adminUrl, root);
  const bad = await cli('ban', 'oc-0', '--reason', 'cheating', '--for', '7 days', '--json');
  assert.equal(bad.json?.error?.code, 'VALIDATION_FAILED', bad.out);
  const tooLong = await cli('ban', 'oc-0', '--reason', 'cheating', '--for', '3651d', '--json');
  assert.equal(tooLong.json?.error?.code, 'VALIDATION_FAILED', tooLong.out);
  const api = await postJson(
    `${adminUrl}/admin/v1/bans`,
    { playerId: 'oc-0', reason: 'cheating', durationSeconds: 0 },
    { authorization: `Bearer ${root}` },
  );
  assert.equal(api.body.error.code, 'VALIDATION_FAILED', 'the API bounds it too');
  assert.deepEqual(await app.bans.list(), [], 'nothing banned by bad input');

  const banned = await cli('ban', 'oc-0', '--reason', 'cheating report #4411', '--for', '7d');
  assert.equal(banned.code, 0, banned.out);
  const end = new Date(clock.now() + 7 * 86_400_000).toISOString();
  assert.match(banned.out, new RegExp(`player oc-0 banned until ${end}`));
  // Off a terminal, the list is tab-separated: player, banned, by, expires, reason.
  const listed = await cli('bans');
  assert.equal(listed.out.split('\t')[3], end, listed.out);
  const listedJson = await cli('bans', '--json');
  assert.equal(listedJson.json.bans[0].expiresAt, clock.now() + 7 * 86_400_000);
  const refused = await postJson(`${playerUrl}/v1/login`, { playerId: 'oc-0', region: 'eu', shard: 'eu-1' });
  assert.equal(refused.body.error.code, 'PLAYER_BANNED');
  assert.equal(refused.body.error.expiresAt, clock.now() + 7 * 86_400_000, 'the player is told when it ends');
  assert.equal((await app.restores.plan({ commandId })).bannedSince, 1, 'a restore would refuse the record');

  clock.advance(7 * 86_400_000);
  assert.equal((await app.restores.plan({ commandId })).bannedSince, 0, 'after the end a restore takes it');
  const back = await login(playerUrl, 'oc-0', 'eu', 'eu-1');
  const refreshed = await postJson(`${playerUrl}/v1/refresh`, { refreshToken: back.refreshToken });
  assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
  assert.doesNotMatch((await cli('bans')).out, /oc-0/, 'an ended ban is not listed');
  const audit = (await getJson(`${adminUrl}/admin/v1/audit?limit=1000`, root)).body.entries;
  const entry = audit.find((e: any) => e.action === 'player.ban');
  assert.equal(entry.details.durationSeconds, 7 * 86_400);
});

test('lifeline ban --from FILE: one bad line bans nobody and is named; a large list needs TOTP, then bans in batches', async (t) => {
  const running = await startLifeline(t, { overrides: fastCommands });
  const { app, dataDir, adminUrl } = running;
  const admin = await addOperatorWithTotp(app, 'root', 'admin');
  const cli = cliIn(dataDir, adminUrl, admin.token);
  const ids = Array.from({ length: 120 }, (_, i) => `ring-${i}`);
  const file = (name: string, lines: string[]) => {
    writeFileSync(join(dataDir, name), `${lines.join('\n')}\n`);
    return name;
  };

  const cases: [string[], RegExp][] = [
    [['# bot ring', 'ring-1', 'ring 2', 'ring-3'], /line 3: A player id/],
    [['ring-1,spam', 'ring-2,"x"'], /line 2: A reason/],
    [['ring-1', '', 'ring-1'], /line 3: ring-1 is already on line 1/],
    [['ring-1,a,b'], /line 1: two columns at most/],
  ];
  for (const [lines, message] of cases) {
    const res = await cli('ban', '--from', file('bad.csv', lines), '--reason', 'bot ring #12', '--json');
    assert.equal(res.json?.error?.code, 'VALIDATION_FAILED', res.out);
    assert.match(res.json.error.message, message);
  }
  const noReason = await cli('ban', '--from', file('bare.txt', ['ring-1']), '--json');
  assert.match(noReason.json.error.message, /line 1: no reason/);
  assert.deepEqual(await app.bans.list(), [], 'nothing banned by a bad list');

  // 120 is past commands.smallMaxSessions (50): a kick's bulk tier, so TOTP.
  const list = file('ring.csv', [
    'player_id,reason',
    ...ids.map((id, i) => (i % 2 ? id : `${id},"bot ring #12, confirmed"`)),
  ]);
  const noTotp = await cli('ban', '--from', list, '--reason', 'bot ring #12', '--for', '30d', '--json');
  assert.equal(noTotp.json?.error?.code, 'TOTP_REQUIRED', noTotp.out);
  assert.deepEqual(await app.bans.list(), []);
  const done = await cli(
    'ban',
    '--from',
    list,
    '--reason',
    'bot ring #12',
    '--for',
    '30d',
    '--totp',
    await admin.totp(),
  );
  assert.equal(done.code, 0, done.out);
  assert.match(done.out, /^120 player\(s\) banned until .* in 2 batch\(es\)/);
  const bans = await app.bans.list();
  assert.equal(bans.length, 120);
  assert.ok(bans.every((b) => b.expiresAt === b.at + 30 * 86_400_000));
  assert.equal(bans.find((b) => b.playerId === 'ring-0')?.reason, 'bot ring #12, confirmed');
  assert.equal(bans.find((b) => b.playerId === 'ring-1')?.reason, 'bot ring #12');
  const audit = (await getJson(`${adminUrl}/admin/v1/audit?limit=1000`, admin.token)).body.entries;
  assert.equal(audit.filter((e: any) => e.action === 'player.ban').length, 120);
  assert.equal(audit.filter((e: any) => e.action === 'player.ban.list').length, 1);

  // The server names a bad entry too (a caller that skips the CLI's check).
  const direct = await postJson(
    `${adminUrl}/admin/v1/bans/bulk`,
    { entries: [{ playerId: 'x-1' }, { playerId: 'bad id' }], reason: 'bot ring #13' },
    admin.auth,
  );
  assert.equal(direct.status, 400);
  assert.equal(direct.body.error.code, 'VALIDATION_FAILED');
  assert.equal(direct.body.error.index, 1);
});

test('a new pace survives a restart: the resumed run releases its first batch at it', async (t) => {
  const { app, dataDir, adminUrl, admin, commandId } = await kicked(t, 12);
  const id = await startRestore(adminUrl, admin, {
    commandId,
    pacing: { mode: 'fixed', batchSize: 1, intervalMs: 3_600_000 },
  });
  await eventually(async () => ((await app.restores.status(id)).restore.released === 1 ? true : undefined));
  const paced = await postJson(
    `${adminUrl}/admin/v1/restores/${id}/pace`,
    { pacing: { mode: 'fixed', batchSize: 5, intervalMs: 3_600_000 }, reason: 'five an hour' },
    admin.auth,
  );
  assert.equal(paced.status, 200, JSON.stringify(paced.body));
  // This node woke its run for the new pace: one batch of five, then an hour's sleep.
  await eventually(async () => ((await app.restores.status(id)).restore.released === 6 ? true : undefined));
  await app.close();

  const again = await startLifeline(t, { dataDir, overrides: fastCommands });
  // The run resumed at start releases at once, at the stored pace: five more, not one.
  await eventually(async () =>
    (await again.app.restores.status(id)).restore.released === 11 ? true : undefined,
  );
  const status = await again.app.restores.status(id);
  assert.deepEqual(status.restore.pacing, { mode: 'fixed', batchSize: 5, intervalMs: 3_600_000 });
  assert.equal(status.restore.batches, 3);
});
