/**
 * Issue 12, finding 9: a command's last wave writes it `done` and then audits `command.done`; a
 * process that stopped between the two left a finished kick the audit trail never saw finish, and
 * a restart did nothing about it. Start-up now appends the missing `command.done`, exactly once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { App } from '../../src/app.ts';
import type { AuditDraft } from '../../src/audit/index.ts';
import { addOperator, addOperatorWithTotp, login, postJson, startLifeline, tempDir } from '../helpers.ts';

function doneEntries(app: App) {
  return app.audit.list({ action: 'command.done', limit: 1000 });
}

test('a command finished but not audited before a crash gets its command.done at the next start, once', async (t) => {
  const dataDir = tempDir(t);
  const first = await startLifeline(t, { dataDir });
  const operator = await addOperator(first.app, 'ops', 'operator');
  const kick = (playerId: string) =>
    postJson(
      `${first.adminUrl}/admin/v1/commands`,
      { action: 'kick', selector: { playerId }, reason: 'cheating report' },
      { authorization: `Bearer ${operator}` },
    );
  await login(first.playerUrl, 'audited', 'na', 'na-1');
  await login(first.playerUrl, 'crashed', 'na', 'na-1');
  const normal = await kick('audited');
  assert.equal(normal.status, 200, JSON.stringify(normal.body));
  const auditedId = normal.body.command.id as string;

  // The crash: the process stops right after the last wave is written, before command.done.
  const append = first.app.audit.append.bind(first.app.audit);
  first.app.audit.append = async (draft: AuditDraft) => {
    if (draft.action === 'command.done') throw new Error('the process stopped here');
    return append(draft);
  };
  await kick('crashed');
  const crashed = (await first.app.store.listCommands(['done'])).find((c) => c.id !== auditedId);
  assert.ok(crashed, 'the second kick was written done');
  assert.equal(crashed.progress.ended, 1);
  assert.deepEqual(
    (await doneEntries(first.app)).map((e) => e.target),
    [`command:${auditedId}`],
    'the crash left it unaudited',
  );
  await first.app.close();

  const second = await startLifeline(t, { dataDir });
  const entries = await doneEntries(second.app);
  assert.deepEqual(
    entries.map((e) => e.target),
    [`command:${auditedId}`, `command:${crashed.id}`],
    'exactly one command.done each: the missing one appended, none added for the audited one',
  );
  const recovered = entries[1] as (typeof entries)[number];
  assert.equal(recovered.actor, 'system');
  assert.equal(recovered.details.commandId, crashed.id);
  assert.equal(recovered.details.ended, 1);
  assert.match(String(recovered.details.recovered), /restart/);
  assert.equal((await second.app.audit.verify()).ok, true, 'the chain still verifies');
  await second.app.close();

  const third = await startLifeline(t, { dataDir });
  assert.equal((await doneEntries(third.app)).length, 2, 'a later restart appends nothing more');
});

test('an approved operator request is not taken for an unaudited kick at the next start', async (t) => {
  const dataDir = tempDir(t);
  const first = await startLifeline(t, { dataDir });
  const alice = await addOperatorWithTotp(first.app, 'alice', 'admin');
  const bob = await addOperatorWithTotp(first.app, 'bob', 'admin');
  const asked = await postJson(
    `${first.adminUrl}/admin/v1/operators`,
    { name: 'carol', role: 'viewer', totp: await alice.totp() },
    alice.auth,
  );
  assert.equal(asked.status, 202, JSON.stringify(asked.body));
  const approved = await postJson(
    `${first.adminUrl}/admin/v1/commands/${asked.body.command.id}/approve`,
    { totp: await bob.totp() },
    bob.auth,
  );
  assert.equal(approved.status, 202, JSON.stringify(approved.body));
  assert.equal((await first.app.store.listCommands(['done'])).length, 1, 'the request finished done');
  await first.app.close();

  // Its own audit entry (operator.add) says what it did; a recovered command.done would be false.
  const second = await startLifeline(t, { dataDir });
  assert.deepEqual(await doneEntries(second.app), []);
});
