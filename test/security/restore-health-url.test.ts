/**
 * Issue 12, finding 9: a restore's `thresholds.healthUrl` is fetched by the server on every tick,
 * and any http(s) URL was taken: an operator (or a stolen operator token) could make the server
 * fetch cloud metadata or an internal admin port from inside the network (SSRF). The host must now
 * be on `restore.healthUrlHosts` (loopback by default); any other is a coded 400 and nothing is
 * created or fetched.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { type TestContext, test } from 'node:test';
import { restoreStates } from '../../src/restore/records.ts';
import { addOperator, login, postJson, startLifeline } from '../helpers.ts';

/** An "internal" HTTP service that counts every request the server makes to it. */
async function internalService(t: TestContext): Promise<{ port: number; hits: () => number }> {
  let hits = 0;
  const server = createServer((_req, res) => {
    hits++;
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  return { port: (server.address() as { port: number }).port, hits: () => hits };
}

/** One kicked player, so that there is something a restore could start on. */
async function kickedOne(t: TestContext, healthUrlHosts?: string[]) {
  const running = await startLifeline(t, {
    overrides: {
      admin: { rateLimit: { perSecond: 1000, burst: 1000 } },
      ...(healthUrlHosts === undefined ? {} : { restore: { healthUrlHosts } }),
    },
  });
  const operator = await addOperator(running.app, 'ops', 'operator');
  const auth = { authorization: `Bearer ${operator}` };
  await login(running.playerUrl, 'kicked', 'na', 'na-1');
  const kick = await postJson(
    `${running.adminUrl}/admin/v1/commands`,
    { action: 'kick', selector: { playerId: 'kicked' }, reason: 'test kick' },
    auth,
  );
  assert.equal(kick.status, 200, JSON.stringify(kick.body));
  const start = (healthUrl: string) =>
    postJson(
      `${running.adminUrl}/admin/v1/restores`,
      {
        commandId: kick.body.command.id,
        pacing: { mode: 'fixed', batchSize: 10, intervalMs: 100 },
        thresholds: { healthUrl },
      },
      auth,
    );
  return { ...running, start };
}

test('a health URL off the allow-list is refused with RESTORE_HEALTH_URL_FORBIDDEN, and nothing is created or fetched', async (t) => {
  const internal = await internalService(t);
  // The internal service listens on 127.0.0.1; this deployment allows only `localhost`.
  const { app, start } = await kickedOne(t, ['localhost']);
  const before = (await app.audit.head())?.seq;
  for (const url of [
    `http://127.0.0.1:${internal.port}/admin`,
    'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
    'http://10.0.0.1:8081/admin/v1/operators',
    'http://localhost.attacker.example/health',
    `http://localhost@127.0.0.1:${internal.port}/`,
    `http://user:secret@localhost:${internal.port}/`,
  ]) {
    const res = await start(url);
    assert.equal(res.status, 400, `${url}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.error.code, 'RESTORE_HEALTH_URL_FORBIDDEN');
    assert.equal(res.body.error.field, 'thresholds.healthUrl');
    assert.deepEqual(res.body.error.allowed, ['localhost']);
  }
  assert.equal((await app.store.listRestores(restoreStates)).length, 0, 'no restore was created');
  assert.equal((await app.audit.head())?.seq, before, 'nothing was audited');
  assert.equal(internal.hits(), 0, 'the server never fetched the internal URL');

  const allowed = await start(`http://localhost:${internal.port}/health`);
  assert.equal(allowed.status, 202, JSON.stringify(allowed.body));
});

test('by default only loopback hosts are allowed', async (t) => {
  const internal = await internalService(t);
  const { app, start } = await kickedOne(t);
  const refused = await start('http://metadata.google.internal/computeMetadata/v1/');
  assert.equal(refused.status, 400);
  assert.equal(refused.body.error.code, 'RESTORE_HEALTH_URL_FORBIDDEN');
  assert.deepEqual(refused.body.error.allowed, ['127.0.0.1', '::1', 'localhost']);
  assert.equal((await app.store.listRestores(restoreStates)).length, 0);
  const ok = await start(`http://127.0.0.1:${internal.port}/health`);
  assert.equal(ok.status, 202, JSON.stringify(ok.body));
});
