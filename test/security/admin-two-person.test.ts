/**
 * Issue 12, finding 3: one admin could act as two. `POST /admin/v1/operators` needed no TOTP and
 * answered with the new operator's token and TOTP secret, so an admin made a second admin and
 * approved their own bulk kick with it.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { sqlitePath } from '../../src/config/index.ts';
import { eventually, getJson, login, postJson, runCliCaptured } from '../helpers.ts';
import { authenticator, type Clocked, startClocked } from './clocked.ts';

const STEP = 30_000;

async function admin(s: Clocked, name: string, role = 'admin') {
  const made = await s.app.operators.add({ name, role }, 'cli:test');
  const code = authenticator(made.otpauthUri, s.now);
  return { token: made.token, auth: { authorization: `Bearer ${made.token}` }, code };
}

async function bulkKick(s: Clocked, auth: Record<string, string>, totp: string) {
  for (let i = 0; i < 60; i++) await login(s.playerUrl, `p-${i}`, 'na', 'na-1');
  const kick = await postJson(
    `${s.adminUrl}/admin/v1/commands`,
    { action: 'kick', selector: { region: 'na' }, reason: 'my own bulk kick', totp },
    auth,
  );
  assert.equal(kick.status, 202, JSON.stringify(kick.body));
  assert.equal(kick.body.command.policy.approvals, 1);
  return kick.body.command.id as string;
}

const approve = (s: Clocked, id: string, totp: string, auth: Record<string, string>) =>
  postJson(`${s.adminUrl}/admin/v1/commands/${id}/approve`, { totp }, auth);

async function stillWaiting(s: Clocked, id: string, token: string): Promise<void> {
  const command = (await getJson(`${s.adminUrl}/admin/v1/commands/${id}`, token)).body.command;
  assert.equal(command.state, 'awaiting-approval');
  assert.deepEqual(command.approvals, []);
  assert.equal((await s.app.live.countSessions({})).total, 60, 'nobody was kicked');
}

test('a single admin cannot get a bulk kick approved by any sequence of API calls', async (t) => {
  const s = await startClocked(t, { overrides: { commands: { holdSeconds: 0 } } });
  const alice = await admin(s, 'alice');
  const next = async () => {
    s.advance(STEP);
    return alice.code();
  };
  const id = await bulkKick(s, alice.auth, await next());

  // Approving one's own command.
  const self = await approve(s, id, await next(), alice.auth);
  assert.equal(self.body.error.code, 'APPROVAL_SELF');

  // Making a second admin as before: no TOTP, and (then) the new admin's token in the answer.
  const plain = await postJson(
    `${s.adminUrl}/admin/v1/operators`,
    { name: 'mallory', role: 'admin' },
    alice.auth,
  );
  assert.doesNotMatch(JSON.stringify(plain.body), /llo_|lle_|otpauth/, 'no credential in the answer');
  assert.equal(plain.body.error?.code, 'TOTP_REQUIRED');
  // With TOTP: only a request, awaiting another admin, with no credential in it.
  const made = await postJson(
    `${s.adminUrl}/admin/v1/operators`,
    { name: 'mallory', role: 'admin', totp: await next() },
    alice.auth,
  );
  assert.equal(made.status, 202, JSON.stringify(made.body));
  assert.equal(made.body.command.state, 'awaiting-approval');
  assert.equal(made.body.command.action, 'operator.add');
  assert.doesNotMatch(JSON.stringify(made.body), /llo_|lle_|otpauth/);
  // ... which she cannot approve herself either, with or without a code.
  const selfMade = await approve(s, made.body.command.id, await next(), alice.auth);
  assert.equal(selfMade.body.error.code, 'APPROVAL_SELF');
  // Enrolment tokens are 256 random bits; a guess, or a token shaped right, is refused.
  for (const token of ['lle_0000000000000000.x', `lle_${'a'.repeat(16)}.${'A'.repeat(43)}`, 'llo_x.y']) {
    const guess = await postJson(`${s.adminUrl}/admin/v1/enrol`, { token });
    assert.equal(guess.status, 401);
    assert.equal(guess.body.error.code, 'ENROLMENT_INVALID');
  }

  const operators = (await getJson(`${s.adminUrl}/admin/v1/operators`, alice.token)).body.operators;
  assert.deepEqual(
    operators.map((o: { name: string }) => o.name),
    ['alice'],
    'no second operator exists until another admin approves',
  );
  await stillWaiting(s, id, alice.token);
});

test("an approved new operator enrols alone with both admins' parts, unseen by either admin, and cannot approve what was asked before them", async (t) => {
  const s = await startClocked(t, { overrides: { commands: { holdSeconds: 0 } } });
  const alice = await admin(s, 'alice');
  const bob = await admin(s, 'bob');
  const vic = await admin(s, 'vic', 'viewer');
  const next = async (who: { code: () => Promise<string> }) => {
    s.advance(STEP);
    return who.code();
  };
  const id = await bulkKick(s, alice.auth, await next(alice));

  // Alice asks for "mallory" and gets the requester's part; bob, an honest admin, approves and
  // gets the enrolment token (the approver's part). Each hands theirs to mallory.
  const asked = await postJson(
    `${s.adminUrl}/admin/v1/operators`,
    { name: 'mallory', role: 'admin', totp: await next(alice), reason: 'new on-call admin' },
    alice.auth,
  );
  assert.equal(asked.status, 202, JSON.stringify(asked.body));
  const requesterPart = asked.body.enrolment?.requesterPart as string;
  assert.match(requesterPart, /^llr_[A-Za-z0-9_-]{43}$/, JSON.stringify(asked.body));
  const approved = await approve(s, asked.body.command.id, await next(bob), bob.auth);
  assert.equal(approved.status, 202, JSON.stringify(approved.body));
  assert.equal(approved.body.command.state, 'done');
  const enrolment = approved.body.enrolment.token as string;
  assert.match(enrolment, /^lle_/);
  assert.ok(
    !JSON.stringify([
      approved.body,
      (await getJson(`${s.adminUrl}/admin/v1/commands/${asked.body.command.id}`, bob.token)).body,
    ]).includes(requesterPart.slice(4)),
    'the approver never sees the requester part',
  );

  // Nothing alice can read holds it: the command, the audit log, the operator list, the database.
  const seen = JSON.stringify([
    (await getJson(`${s.adminUrl}/admin/v1/commands/${asked.body.command.id}`, alice.token)).body,
    (await getJson(`${s.adminUrl}/admin/v1/audit?limit=1000`, alice.token)).body,
    (await getJson(`${s.adminUrl}/admin/v1/operators`, alice.token)).body,
  ]);
  assert.ok(!seen.includes(enrolment.slice(4)), 'the requester never sees the enrolment token');
  const db = sqlitePath(s.config);
  const raw = [db, `${db}-wal`]
    .filter((f) => existsSync(f))
    .map((f) => readFileSync(f).toString('latin1'))
    .join('');
  assert.ok(!raw.includes(enrolment.slice(4)), 'only the hash of the enrolment token is stored');
  assert.ok(!raw.includes(requesterPart.slice(4)), 'only a hash of the requester part is stored');
  assert.equal(
    (await getJson(`${s.adminUrl}/admin/v1/whoami`, `llo_${enrolment.slice(4)}`)).status,
    401,
    'a pending operator has no working token',
  );

  // Neither admin can enrol as mallory alone: bob holds only his part, alice only hers (and at
  // most mallory's id), and parts of two different requests do not combine.
  const other = await postJson(
    `${s.adminUrl}/admin/v1/operators`,
    { name: 'other', role: 'viewer', totp: await next(alice) },
    alice.auth,
  );
  const otherToken = (await approve(s, other.body.command.id, await next(bob), bob.auth)).body.enrolment
    .token as string;
  const malloryId = (await s.app.store.findOperator({ name: 'mallory' }))?.id;
  assert.ok(malloryId);
  for (const attempt of [
    { token: enrolment },
    { token: enrolment, requesterPart: `llr_${'A'.repeat(43)}` },
    { token: requesterPart },
    { token: `lle_${malloryId}.${'A'.repeat(43)}`, requesterPart },
    { token: enrolment, requesterPart: other.body.enrolment?.requesterPart },
    { token: otherToken, requesterPart },
  ]) {
    const alone = await postJson(`${s.adminUrl}/admin/v1/enrol`, attempt);
    assert.equal(alone.status, 401, JSON.stringify(attempt));
    assert.equal(alone.body.error.code, 'ENROLMENT_INVALID', JSON.stringify(attempt));
  }
  assert.equal((await s.app.store.findOperator({ name: 'mallory' }))?.enrolledAt, null, 'still pending');

  // Mallory enrols herself with both parts, once.
  const enrolled = await postJson(`${s.adminUrl}/admin/v1/enrol`, { token: enrolment, requesterPart });
  assert.equal(enrolled.status, 200, JSON.stringify(enrolled.body));
  assert.match(enrolled.body.token, /^llo_/);
  assert.equal(
    (await postJson(`${s.adminUrl}/admin/v1/enrol`, { token: enrolment, requesterPart })).body.error.code,
    'ENROLMENT_INVALID',
  );
  const mallory = {
    auth: { authorization: `Bearer ${enrolled.body.token}` },
    code: authenticator(enrolled.body.otpauthUri, s.now),
  };
  assert.equal((await getJson(`${s.adminUrl}/admin/v1/whoami`, enrolled.body.token)).body.name, 'mallory');

  // Created after alice's kick was requested: she cannot be its second person.
  const tooNew = await approve(s, id, await next(mallory), mallory.auth);
  assert.equal(tooNew.status, 403);
  assert.equal(tooNew.body.error.code, 'APPROVAL_OPERATOR_TOO_NEW');

  // Nor can a viewer promoted to admin after the request.
  const promote = await fetch(`${s.adminUrl}/admin/v1/operators/vic`, {
    method: 'PATCH',
    headers: { ...alice.auth, 'content-type': 'application/json' },
    body: JSON.stringify({ role: 'admin', totp: await next(alice) }),
  });
  const promoteBody = (await promote.json()) as { command: { id: string } };
  assert.equal(promote.status, 202, JSON.stringify(promoteBody));
  const promoted = await approve(s, promoteBody.command.id, await next(bob), bob.auth);
  assert.equal(promoted.body.command.state, 'done');
  assert.equal((await getJson(`${s.adminUrl}/admin/v1/whoami`, vic.token)).body.role, 'admin');
  const promotedTry = await approve(s, id, await next(vic), vic.auth);
  assert.equal(promotedTry.body.error.code, 'APPROVAL_OPERATOR_TOO_NEW');
  await stillWaiting(s, id, alice.token);

  // An enrolment token expires.
  const late = await postJson(
    `${s.adminUrl}/admin/v1/operators`,
    { name: 'late', role: 'viewer', totp: await next(alice) },
    alice.auth,
  );
  const lateToken = (await approve(s, late.body.command.id, await next(bob), bob.auth)).body.enrolment.token;
  s.advance((s.config.operators.enrolmentTtlSeconds + 1) * 1000);
  assert.equal(
    (
      await postJson(`${s.adminUrl}/admin/v1/enrol`, {
        token: lateToken,
        requesterPart: late.body.enrolment?.requesterPart,
      })
    ).body.error.code,
    'ENROLMENT_INVALID',
  );
});

test('a CLI direct add while admins exist is refused; --break-glass is audited and raises an alert', async (t) => {
  const s = await startClocked(t);
  const alice = await admin(s, 'alice');
  const cli = (...args: string[]) => runCliCaptured(args, { LIFELINE_DATA_DIR: s.dataDir }, s.dataDir);
  const alerts: { kind: string; actor: string }[] = [];
  s.app.events.on('security.alert', (e) => alerts.push(e));

  const refused = await cli('operators', 'add', 'eve', '--role', 'admin', '--json');
  assert.equal(refused.code, 1, refused.out);
  assert.equal(refused.json.error.code, 'OPERATOR_DIRECT_WRITE_REFUSED');
  const revoke = await cli('operators', 'revoke', 'alice', '--json');
  assert.equal(revoke.json.error.code, 'OPERATOR_DIRECT_WRITE_REFUSED');
  assert.deepEqual(
    (await s.app.operators.list()).map((o) => [o.name, o.revokedAt]),
    [['alice', null]],
    'a refused direct write changes nothing',
  );

  const glass = await cli('operators', 'add', 'eve', '--role', 'admin', '--break-glass', '--json');
  assert.equal(glass.code, 0, glass.out);
  assert.equal(glass.json.breakGlass, true);
  const entries = (await getJson(`${s.adminUrl}/admin/v1/audit?action=operator.break-glass`, alice.token))
    .body.entries;
  assert.equal(entries.length, 1);
  assert.match(entries[0].actor, /^cli:/);
  assert.equal(entries[0].target, 'operator:eve');
  assert.equal(entries[0].details.write, 'operator.add');

  // The running node sees the CLI's write in the audit log: an alert, counted in the metrics.
  await eventually(async () => (alerts.some((a) => a.kind === 'break-glass') ? true : undefined));
  assert.match(
    await s.app.metrics.registry.metrics(),
    /^lifeline_security_alerts_total\{kind="break-glass"\} 1$/m,
  );
});
