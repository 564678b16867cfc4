import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addOperator, getJson, login, postJson, startLifeline, tempDir } from '../helpers.ts';

test('a restart keeps operators, audit entries, disruption records and sessions', async (t) => {
  const dataDir = tempDir(t);
  const first = await startLifeline(t, { dataDir });
  const admin = await addOperator(first.app, 'root', 'admin');
  const kept = await login(first.playerUrl, 'stays', 'ap', 'ap-3');
  await login(first.playerUrl, 'goes', 'ap', 'ap-3');
  const kick = await postJson(
    `${first.adminUrl}/admin/v1/commands`,
    { action: 'kick', selector: { playerId: 'goes' }, reason: 'restart drill' },
    { authorization: `Bearer ${admin}` },
  );
  assert.equal(kick.status, 200);
  const auditBefore = await getJson(`${first.adminUrl}/admin/v1/audit`, admin);
  await first.app.close();

  const second = await startLifeline(t, { dataDir });
  const whoami = await getJson(`${second.adminUrl}/admin/v1/whoami`, admin);
  assert.equal(whoami.status, 200, 'the operator token still works');
  assert.equal(whoami.body.name, 'root');
  const auditAfter = await getJson(`${second.adminUrl}/admin/v1/audit`, admin);
  assert.deepEqual(auditAfter.body.entries, auditBefore.body.entries);
  assert.equal((await getJson(`${second.adminUrl}/admin/v1/audit/verify`, admin)).body.ok, true);
  const disruptions = await getJson(
    `${second.adminUrl}/admin/v1/disruptions?commandId=${kick.body.command.id}`,
    admin,
  );
  assert.equal(disruptions.body.disruptions.length, 1);
  assert.equal(disruptions.body.disruptions[0].playerId, 'goes');

  // Static stability across the restart: the surviving session refreshes with the same keys.
  const refreshed = await postJson(`${second.playerUrl}/v1/refresh`, { refreshToken: kept.refreshToken });
  assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
  assert.equal(refreshed.body.sessionId, kept.sessionId);
  const sessions = await getJson(`${second.adminUrl}/admin/v1/sessions?playerId=stays`, admin);
  assert.equal(sessions.body.counts.total, 1);
});
