import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { closeCodes } from '../../src/sessions/index.ts';
import { TestClock } from '../clock.ts';
import { Client, eventually, login, postJson, startLifeline } from '../helpers.ts';

test('a client that stops pinging is dropped after the heartbeat timeout; one that pings stays', async (t) => {
  // Held still: only the test moves time, so a busy machine cannot make the chatty client late.
  const clock = new TestClock();
  const { playerUrl } = await startLifeline(t, {
    clock: clock.now,
    overrides: { session: { heartbeatIntervalSeconds: 1, heartbeatTimeoutSeconds: 2 } },
  });
  const quietLogin = await login(playerUrl, 'quiet');
  const quiet = new Client(playerUrl, quietLogin.accessToken);
  const chatty = new Client(playerUrl, (await login(playerUrl, 'chatty')).accessToken);
  t.after(() => chatty.close());
  const welcome = await quiet.welcomed;
  await chatty.welcomed;
  assert.equal(welcome.heartbeatIntervalSeconds, 1);
  assert.equal(welcome.heartbeatTimeoutSeconds, 2);

  // Past the timeout in half-second steps, the chatty client answered at each; then the node's
  // sweep, whenever it runs, finds the quiet one silent for longer than the timeout.
  for (let ms = 0; ms < 3000; ms += 500) {
    await chatty.ping();
    clock.advance(500);
  }
  await chatty.ping();
  assert.equal(await quiet.closed, closeCodes.heartbeatTimeout);
  assert.equal(chatty.closeCode, undefined);

  // The session itself survives a dropped socket: the client reconnects with the same token.
  const back = new Client(playerUrl, quietLogin.accessToken);
  t.after(() => back.close());
  assert.equal((await back.welcomed).sessionId, quietLogin.sessionId);
});

test('while an outage is declared, a silent socket ends its session with a disruption record to restore', async (t) => {
  const { app, playerUrl } = await startLifeline(t, {
    overrides: { session: { heartbeatIntervalSeconds: 1, heartbeatTimeoutSeconds: 2 } },
  });
  await app.flags.set('outage.declared', true, 'oncall', 'INC-7: auth down in eu');
  const quiet = await login(playerUrl, 'quiet', 'eu', 'eu-2');
  const client = new Client(playerUrl, quiet.accessToken);
  await client.welcomed;
  assert.equal(await client.closed, closeCodes.heartbeatTimeout);
  const [record] = await eventually(async () => {
    const list = await app.store.listDisruptions({ playerId: 'quiet' });
    return list.length > 0 ? list : undefined;
  });
  assert.equal(record?.cause, 'heartbeat-loss');
  assert.equal(record?.snapshot.shard, 'eu-2');
  const refresh = await postJson(`${playerUrl}/v1/refresh`, { refreshToken: quiet.refreshToken });
  assert.equal(refresh.body.error.code, 'SESSION_ENDED');
  const rejoin = await postJson(`${playerUrl}/v1/rejoin`, { resumeToken: refresh.body.error.resumeToken });
  assert.equal(rejoin.status, 202, 'it waits for a restore instead of stampeding back');
});

/**
 * A held socket whose session has been taken out of live state behind its node's back (no
 * directive), `revoked` saying whether its grant went too; then the node's next touch, one
 * heartbeat interval on.
 */
async function sessionGoneUntold(t: TestContext, playerId: string, revoked: boolean) {
  const clock = new TestClock();
  const { app, playerUrl } = await startLifeline(t, {
    clock: clock.now,
    overrides: { session: { heartbeatIntervalSeconds: 1, heartbeatTimeoutSeconds: 2 } },
  });
  const player = await login(playerUrl, playerId);
  const client = new Client(playerUrl, player.accessToken);
  t.after(() => client.close());
  await client.welcomed;
  assert.equal((await app.live.endSessions([player.sessionId])).length, 1);
  if (revoked) await app.store.revokeGrants([player.sessionId], clock.now(), 'kick');
  clock.advance(1000);
  await client.ping();
  return { app, client, sessionId: player.sessionId };
}

test('a socket whose session ended without its node being told is closed as ended after a heartbeat interval', async (t) => {
  // A kick whose delivery failed: the session is gone from live state and its grant revoked (as
  // a wave writes it), no directive came.
  const { client } = await sessionGoneUntold(t, 'untold', true);
  assert.equal(await client.closed, closeCodes.revoked);
});

test('a socket whose session left live state while its grant stands is brought back, not closed', async (t) => {
  // A survivor's sweep while this node was taken for lost: the session comes back, held here.
  const { app, client, sessionId } = await sessionGoneUntold(t, 'swept', false);
  const back = await eventually(() => app.live.getSession(sessionId).then((s) => s ?? undefined));
  assert.equal(back.node, app.config.nodeId);
  await client.ping();
  assert.equal(client.closeCode, undefined);
});
