import assert from 'node:assert/strict';
import { test } from 'node:test';
import { identityUpstream } from '../../src/lab/index.ts';
import { Client, postJson, startLifeline } from '../helpers.ts';

test('refresh keeps working while the identity provider fails; a reused refresh token revokes its family', async (t) => {
  // The lab's identity verifier, listing every playerId that reaches it (failing or not).
  const idp = await identityUpstream({ recordPlayers: true });
  t.after(() => idp.close());
  const { playerUrl } = await startLifeline(t, {
    overrides: { identity: { provider: 'http', http: { url: idp.verifyUrl, timeoutMs: 1000 } } },
  });

  const first = await postJson(`${playerUrl}/v1/login`, { playerId: 'p-1', region: 'eu', shard: 'eu-2' });
  assert.equal(first.status, 200);
  const client = new Client(playerUrl, first.body.accessToken);
  t.after(() => client.close());
  await client.welcomed;

  await idp.faults.set({ kind: 'error', rate: 1, status: 503 });
  const seenAtOutage = idp.players.length;
  const queued = await postJson(`${playerUrl}/v1/login`, { playerId: 'p-2', region: 'eu', shard: 'eu-2' });
  assert.equal(queued.status, 202, 'a new login during the outage waits in line');
  assert.equal(queued.body.queued, true);

  // Three rotations during the outage; none reaches the identity provider.
  let current = first.body.refreshToken as string;
  const spent: string[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await postJson(`${playerUrl}/v1/refresh`, { refreshToken: current });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.sessionId, first.body.sessionId);
    assert.notEqual(r.body.refreshToken, current);
    spent.push(current);
    current = r.body.refreshToken;
  }
  assert.deepEqual(
    [...new Set(idp.players.slice(seenAtOutage))],
    ['p-2'],
    'only the queued login (probing with backoff) called the identity provider; refreshes never did',
  );
  assert.equal(client.closeCode, undefined, 'the socket stayed open through the outage');

  // Someone replays a spent token: the family is revoked, the live session ends.
  const replay = await postJson(`${playerUrl}/v1/refresh`, { refreshToken: spent[1] });
  assert.equal(replay.status, 401);
  assert.equal(replay.body.error.code, 'REFRESH_REUSED');
  const after = await postJson(`${playerUrl}/v1/refresh`, { refreshToken: current });
  assert.equal(after.status, 401);
  assert.equal(after.body.error.code, 'SESSION_ENDED');
  assert.equal(await client.closed, 4003);
});
