/**
 * What on-call asked for (issue 17, item 5), through the admin API and the CLI as an on-call
 * engineer uses them: a running restore re-paced without a restart, a restore start tried as a
 * dry run, bans that expire and bans from a list.
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import {
  addOperator,
  addOperatorWithTotp,
  eventually,
  getJson,
  kickHeldPlayers,
  postJson,
  runCliCaptured,
  startLifeline,
  startRestore,
} from '../helpers.ts';

const fast = { admin: { rateLimit: { perSecond: 100_000, burst: 100_000 } }, commands: { holdSeconds: 0 } };

function cliIn(dataDir: string, adminUrl: string, token: string) {
  return (...args: string[]) =>
    runCliCaptured(
      [...args, '--token', token],
      { LIFELINE_DATA_DIR: dataDir, LIFELINE_ADMIN_URL: adminUrl },
      dataDir,
    );
}

async function kicked(t: TestContext, n: number, overrides = {}) {
  const running = await startLifeline(t, { overrides: { ...fast, ...overrides } });
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
