/**
 * Issue 12, finding 4: TOTP could be guessed. No lockout, no audit entry, no log line, and a
 * wrong code answered differently from a right one on an action that then refused for another
 * reason. And (finding 2) TOTP secrets lay plain in the database.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import pino from 'pino';
import { createApp } from '../../src/app.ts';
import { sqlitePath } from '../../src/config/index.ts';
import { getJson, login, postJson, tempDir, testConfig } from '../helpers.ts';
import { authenticator, type Clocked, startClocked, wrongCode } from './clocked.ts';

const STEP = 30_000;

async function operator(s: Clocked, name: string, role = 'admin') {
  const made = await s.app.operators.add({ name, role }, 'cli:test');
  return {
    id: made.operator.id,
    token: made.token,
    auth: { authorization: `Bearer ${made.token}` },
    code: authenticator(made.otpauthUri, s.now),
    otpauthUri: made.otpauthUri,
  };
}

const reset = (url: string, totp: string, auth: Record<string, string>) =>
  postJson(`${url}/admin/v1/breaker/reset`, { totp, reason: 'guessing' }, auth);

test('five failed step-ups in 15 minutes lock the step-up for 15 minutes, on every node, audited', async (t) => {
  const dataDir = tempDir(t);
  const offset = { ms: 0 };
  const s = await startClocked(t, { dataDir, offset });
  const alice = await operator(s, 'alice');
  const auditor = await operator(s, 'audrey', 'auditor');
  const wrong = wrongCode(await alice.code());

  const answers: string[] = [];
  for (let i = 0; i < 5; i++) {
    s.advance(60_000); // spread over 5 minutes: inside the 15-minute window
    answers.push((await reset(s.adminUrl, wrong, alice.auth)).body.error.code);
  }
  assert.deepEqual(answers, ['TOTP_INVALID', 'TOTP_INVALID', 'TOTP_INVALID', 'TOTP_INVALID', 'TOTP_LOCKED']);
  const lockedRight = await reset(s.adminUrl, await alice.code(), alice.auth);
  assert.equal(lockedRight.status, 429);
  assert.equal(lockedRight.body.error.code, 'TOTP_LOCKED', 'a right code is refused while locked');
  assert.ok(Number(lockedRight.headers.get('retry-after')) > 800);

  // A second node on the same store holds the same lock.
  const other = await createApp({
    config: testConfig(dataDir, { nodeId: 'node-2' }),
    logger: pino({ level: 'silent' }),
    clock: s.now,
  });
  t.after(() => other.close());
  const { adminUrl: otherUrl } = await other.listen();
  s.advance(STEP);
  assert.equal((await reset(otherUrl, await alice.code(), alice.auth)).body.error.code, 'TOTP_LOCKED');

  // Every failure is audited without the code; so are the lock and the refusals under it.
  const entries = (await getJson(`${s.adminUrl}/admin/v1/audit?actor=alice&limit=1000`, auditor.token)).body
    .entries as { action: string; details: Record<string, unknown> }[];
  const failed = entries.filter((e) => e.action === 'stepup.failed');
  assert.equal(failed.length, 5);
  assert.ok(failed.every((e) => e.details.reason === 'TOTP_INVALID'));
  assert.ok(!JSON.stringify(entries.map((e) => e.details)).includes(wrong), 'the code is never audited');
  assert.equal(entries.filter((e) => e.action === 'stepup.locked').length, 1);
  assert.equal(entries.filter((e) => e.action === 'stepup.refused').length, 2);
  assert.match(
    await s.app.metrics.registry.metrics(),
    /^lifeline_security_alerts_total\{kind="totp-locked"\} 1$/m,
  );

  // 15 minutes after the lock, a right code works again (the breaker is closed: its own answer).
  s.advance(15 * 60_000);
  const after = await reset(s.adminUrl, await alice.code(), alice.auth);
  assert.equal(after.body.error.code, 'KICK_BREAKER_CLOSED');

  // Failures spread wider than the window never lock: at most 4 in any 15 minutes.
  const bob = await operator(s, 'bob');
  for (let i = 0; i < 6; i++) {
    s.advance(4 * 60_000);
    const res = await reset(s.adminUrl, wrongCode(await bob.code()), bob.auth);
    assert.equal(res.body.error.code, 'TOTP_INVALID', `bob's failure ${i + 1}`);
  }
});

test('the code is checked before any state: a wrong one answers TOTP_INVALID whatever the state', async (t) => {
  const s = await startClocked(t, { overrides: { commands: { holdSeconds: 0 } } });
  const alice = await operator(s, 'alice');
  const bob = await operator(s, 'bob');
  const next = async (who: { code: () => Promise<string> }) => {
    s.advance(STEP);
    return who.code();
  };
  for (let i = 0; i < 60; i++) await login(s.playerUrl, `p-${i}`, 'na', 'na-1');
  const asked = await postJson(
    `${s.adminUrl}/admin/v1/commands`,
    { action: 'kick', selector: { region: 'na' }, reason: 'bulk', totp: await next(alice) },
    alice.auth,
  );
  const id = asked.body.command.id as string;
  await postJson(`${s.adminUrl}/admin/v1/commands/${id}/halt`, { reason: 'changed my mind' }, alice.auth);

  // A restore of disruptions another restore already owns.
  const small = await postJson(
    `${s.adminUrl}/admin/v1/commands`,
    {
      action: 'kick',
      selector: { playerIds: ['p-7', 'p-8', 'p-9'] },
      reason: 'three',
      totp: await next(alice),
    },
    alice.auth,
  );
  assert.equal(small.body.command.state, 'done', JSON.stringify(small.body));
  const restore = (totp: string) =>
    postJson(
      `${s.adminUrl}/admin/v1/restores`,
      {
        commandId: small.body.command.id,
        pacing: { mode: 'fixed', batchSize: 1, intervalMs: 600_000 },
        totp,
      },
      alice.auth,
    );
  assert.equal((await restore(await next(alice))).status, 202);
  assert.equal((await restore(wrongCode(await next(alice)))).body.error.code, 'TOTP_INVALID');
  assert.equal((await restore(await next(alice))).body.error.code, 'RESTORE_OVERLAP');

  // Approving a halted command: the state would refuse it either way.
  const approve = (totp: string) =>
    postJson(`${s.adminUrl}/admin/v1/commands/${id}/approve`, { totp }, bob.auth);
  const wrongAnswer = await approve(wrongCode(await next(bob)));
  assert.equal(wrongAnswer.body.error.code, 'TOTP_INVALID');
  const rightAnswer = await approve(await next(bob));
  assert.equal(rightAnswer.body.error.code, 'COMMAND_FINISHED');

  // A small kick while kicks are switched off.
  const off = await fetch(`${s.adminUrl}/admin/v1/flags/kicks.enabled`, {
    method: 'PUT',
    headers: { ...alice.auth, 'content-type': 'application/json' },
    body: JSON.stringify({ value: false, reason: 'incident' }),
  });
  assert.equal(off.status, 200);
  const kick = (totp: string) =>
    postJson(
      `${s.adminUrl}/admin/v1/commands`,
      { action: 'kick', selector: { playerIds: ['p-1', 'p-2', 'p-3'] }, reason: 'three', totp },
      alice.auth,
    );
  assert.equal((await kick(wrongCode(await next(alice)))).body.error.code, 'TOTP_INVALID');
  assert.equal((await kick(await next(alice))).body.error.code, 'KICKS_DISABLED');

  assert.equal((await s.app.live.countSessions({})).total, 57, 'only the three were kicked');
});

test('TOTP secrets are sealed at rest; one stored plain is sealed at start and keeps working', async (t) => {
  const dataDir = tempDir(t);
  const offset = { ms: 0 };
  const first = await startClocked(t, { dataDir, offset });
  const alice = await operator(first, 'alice');
  const plain = new URL(alice.otpauthUri).searchParams.get('secret') as string;
  const row = await first.app.store.findOperator({ id: alice.id });
  assert.match(row?.totpSecret ?? '', /^enc1\./);
  const db = sqlitePath(first.config);
  const raw = () =>
    [db, `${db}-wal`]
      .filter((f) => existsSync(f))
      .map((f) => readFileSync(f).toString('latin1'))
      .join('');
  assert.ok(!raw().includes(plain), 'the base32 secret is nowhere in the database');

  // A row from before sealing: plain base32.
  await first.app.store.setTotpSecret(alice.id, plain);
  await first.app.close();
  const second = await startClocked(t, { dataDir, offset });
  assert.match((await second.app.store.findOperator({ id: alice.id }))?.totpSecret ?? '', /^enc1\./);
  second.advance(STEP);
  const res = await reset(second.adminUrl, await alice.code(), alice.auth);
  assert.equal(res.body.error.code, 'KICK_BREAKER_CLOSED', 'the code passed the step-up');

  // After start, a plain secret can only come from a write straight to the store: someone who can
  // write rows but not seal. Its code opens nothing.
  await second.app.store.setTotpSecret(alice.id, plain);
  second.advance(STEP);
  const forged = await reset(second.adminUrl, await alice.code(), alice.auth);
  assert.equal(forged.status, 500);
  assert.equal(forged.body.error.code, 'SECRET_CORRUPT');
});
