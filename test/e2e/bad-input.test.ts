import assert from 'node:assert/strict';
import { test } from 'node:test';
import WebSocket from 'ws';
import type { App } from '../../src/app.ts';
import { TestClock } from '../clock.ts';
import { addOperator, login, postJson, startLifeline } from '../helpers.ts';

/** Everything a bad request must leave untouched. */
async function snapshot(app: App) {
  return {
    sessions: await app.live.countSessions({}),
    disruptions: (await app.store.listDisruptions({})).length,
    auditHead: (await app.store.auditHead())?.seq ?? 0,
    operators: (await app.store.listOperators()).length,
  };
}

/** Tries to open the control socket; resolves with the HTTP refusal, if any. */
function upgrade(playerUrl: string, token: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${playerUrl.replace(/^http/, 'ws')}/v1/session`, {
      headers: { authorization: `Bearer ${token}` },
    });
    ws.once('open', () => {
      ws.close();
      resolve({ status: 101, body: null });
    });
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (c) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    ws.once('error', reject);
  });
}

test('bad input gets a coded 4xx and changes nothing', async (t) => {
  // Held still, so that the one-second token below lives until the test moves the clock.
  const clock = new TestClock();
  const { app, playerUrl, adminUrl } = await startLifeline(t, {
    clock: clock.now,
    overrides: { tokens: { accessTtlSeconds: 1 } },
  });
  const someone = await login(playerUrl, 'p-1', 'na', 'na-1');
  const operator = await addOperator(app, 'ops', 'operator');
  const viewer = await addOperator(app, 'watcher', 'viewer');
  const before = await snapshot(app);

  const expect = async (name: string, res: { status: number; body: any }, status: number, code: string) => {
    assert.equal(res.status, status, `${name}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body?.error?.code, code, name);
    assert.equal(typeof res.body.error.message, 'string', name);
    assert.deepEqual(await snapshot(app), before, `${name} changed state`);
  };
  const kick = (body: unknown, token = operator) =>
    postJson(`${adminUrl}/admin/v1/commands`, body, { authorization: `Bearer ${token}` });

  await expect(
    'malformed JSON',
    await postJson(`${playerUrl}/v1/login`, '{"playerId": "p-2",'),
    400,
    'MALFORMED_JSON',
  );
  await expect('malformed JSON (admin)', await kick('{nope'), 400, 'MALFORMED_JSON');
  await expect(
    'unknown field',
    await postJson(`${playerUrl}/v1/login`, { playerId: 'p-2', region: 'na', shard: 'na-1', level: 99 }),
    400,
    'VALIDATION_FAILED',
  );
  await expect(
    'unknown selector field',
    await kick({ action: 'kick', selector: { playerId: 'p-1', everyone: true }, reason: 'test' }),
    400,
    'VALIDATION_FAILED',
  );
  await expect(
    'oversized body',
    await postJson(`${playerUrl}/v1/login`, {
      playerId: 'p-2',
      region: 'na',
      shard: 'na-1',
      clientVersion: 'x'.repeat(40_000),
    }),
    413,
    'BODY_TOO_LARGE',
  );
  await expect(
    'unknown region',
    await postJson(`${playerUrl}/v1/login`, { playerId: 'p-2', region: 'mars', shard: 'mars-1' }),
    400,
    'UNKNOWN_REGION',
  );
  await expect(
    'shard of another region',
    await postJson(`${playerUrl}/v1/login`, { playerId: 'p-2', region: 'na', shard: 'eu-1' }),
    400,
    'UNKNOWN_SHARD',
  );
  const [h, p, s] = someone.accessToken.split('.') as [string, string, string];
  const forgedPayload = Buffer.from(
    JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), sub: 'admin' }),
  ).toString('base64url');
  await expect(
    'forged access token',
    await upgrade(playerUrl, `${h}.${forgedPayload}.${s}`),
    401,
    'TOKEN_INVALID',
  );
  await expect(
    'forged refresh token',
    await postJson(`${playerUrl}/v1/refresh`, { refreshToken: `${someone.refreshToken.slice(0, -3)}AAA` }),
    401,
    'TOKEN_INVALID',
  );
  await expect(
    'a viewer trying to kick (refused; only the refusal is audited)',
    await kick({ action: 'kick', selector: { playerId: 'p-1' }, reason: 'test' }, viewer).then(async (r) => {
      // The refusal is evidence and lands in the audit log; nothing else may change.
      const head = await app.store.auditHead();
      assert.equal(head?.result, 'denied');
      assert.equal(head?.actor, 'watcher');
      before.auditHead = head?.seq ?? 0;
      return r;
    }),
    403,
    'OPERATOR_FORBIDDEN',
  );
  await expect(
    'an empty selector',
    await kick({ action: 'kick', selector: {}, reason: 'test' }),
    400,
    'SELECTOR_EMPTY',
  );
  await expect(
    'no operator token',
    await postJson(`${adminUrl}/admin/v1/commands`, {
      action: 'kick',
      selector: { playerId: 'p-1' },
      reason: 'x',
    }),
    401,
    'OPERATOR_UNAUTHENTICATED',
  );
  await expect(
    'kicking nobody',
    await kick({ action: 'kick', selector: { playerId: 'nobody' }, reason: 'test' }),
    404,
    'NO_MATCHING_SESSIONS',
  );

  // An expired access token: the TTL here is one second; the clock moves past it.
  clock.advance(2100);
  await expect('expired access token', await upgrade(playerUrl, someone.accessToken), 401, 'TOKEN_EXPIRED');
});
