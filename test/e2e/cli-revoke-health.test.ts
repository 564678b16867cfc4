/**
 * Two runbook steps the operator guide once did with curl, now with the CLI against a real node:
 * revoking an operator through the admin API (one admin, a reason, audited as that admin), and
 * reading the node's /health and /ready with `lifeline health`.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { eventually, fastAdmin, runCliCaptured, startLifeline } from '../helpers.ts';
import { TcpProxy } from '../proxy.ts';
import { services } from '../services.ts';

function cliIn(dataDir: string, env: Record<string, string> = {}) {
  return (...args: string[]) => runCliCaptured(args, { LIFELINE_DATA_DIR: dataDir, ...env }, dataDir);
}

/** A loopback port nothing listens on: bound, read, closed. */
/** CLI calls back to back on a quiet machine outrun the admin listener's default rate (5/s). */

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('operators revoke with a token goes through the admin API: admin only, a reason, audited, the token dead at once', async (t) => {
  const running = await startLifeline(t, { overrides: fastAdmin });
  const cli = cliIn(running.dataDir, { LIFELINE_ADMIN_URL: running.adminUrl });
  const root = (await cli('operators', 'add', 'root', '--role', 'admin', '--json')).json;
  const alice = (await cli('operators', 'add', 'alice', '--role', 'admin', '--break-glass', '--json')).json;
  const viewer = (await cli('operators', 'add', 'vic', '--role', 'viewer', '--break-glass', '--json')).json;
  assert.match(alice.token, /^llo_/);

  // A reason is required through the API, and said in the CLI's flag names; nothing changes.
  const noReason = await cli('operators', 'revoke', 'alice', '--token', root.token);
  assert.equal(noReason.code, 1);
  assert.match(noReason.stderr, /^error VALIDATION_FAILED: --reason is required$/m);
  const short = await cli('operators', 'revoke', 'alice', '--reason', 'x', '--token', root.token);
  assert.match(short.stderr, /^error VALIDATION_FAILED: --reason must be at least 3 characters$/m);
  const byViewer = await cli(
    'operators',
    'revoke',
    'alice',
    '--reason',
    'not mine',
    '--json',
    '--token',
    viewer.token,
  );
  assert.equal(byViewer.json.error.code, 'OPERATOR_FORBIDDEN');
  assert.equal((await cli('sessions', '--json', '--token', alice.token)).code, 0, 'alice still works');

  const revoked = await cli(
    'operators',
    'revoke',
    'alice',
    '--reason',
    'left the team',
    '--token',
    root.token,
  );
  assert.equal(revoked.code, 0, revoked.out);
  assert.equal(revoked.stdout, 'operator alice revoked\n');
  assert.equal(
    revoked.stderr,
    `admin API: ${running.adminUrl} (from LIFELINE_ADMIN_URL)\n`,
    'the admin URL it talked to, on stderr; no break-glass alert: one admin through the API',
  );
  assert.equal(
    (await cli('sessions', '--json', '--token', alice.token)).json.error.code,
    'OPERATOR_UNAUTHENTICATED',
  );

  const audit = await cli('audit', 'list', '--action', 'operator.revoke', '--json', '--token', root.token);
  assert.equal(audit.code, 0, audit.out);
  assert.deepEqual(
    audit.json.entries.map((e: any) => [e.actor, e.target, e.details.reason]),
    [['root', 'operator:alice', 'left the team']],
  );
  assert.equal(
    (await cli('operators', 'revoke', 'alice', '--reason', 'again', '--json', '--token', root.token)).json
      .error.code,
    'OPERATOR_NOT_FOUND',
  );

  // Without a token the CLI writes the store directly: refused while admins exist, unless
  // --break-glass, which writes directly even with a token, and names the store it wrote.
  const direct = await cli('operators', 'revoke', 'vic');
  assert.match(direct.stderr, /^error OPERATOR_DIRECT_WRITE_REFUSED:/m);
  const glass = await cli(
    'operators',
    'revoke',
    'vic',
    '--reason',
    'lost laptop',
    '--break-glass',
    '--token',
    root.token,
  );
  assert.equal(glass.code, 0, glass.out);
  assert.match(glass.stderr, /^SECURITY ALERT: break-glass operators revoke vic by cli:/m);
  assert.match(glass.stderr, new RegExp(`^store: sqlite ${running.dataDir}/lifeline\\.db$`, 'm'));
  assert.doesNotMatch(glass.stderr, /admin API:/);
  const entries = (await cli('audit', 'list', '--action', 'operator.revoke', '--json', '--token', root.token))
    .json.entries;
  assert.deepEqual(entries.at(-1).details.reason, 'lost laptop');
  assert.match(entries.at(-1).actor, /^cli:/);
});

test('lifeline health prints /health and /ready of the node and exits 0 only when it is alive and ready', async (t) => {
  const running = await startLifeline(t, { overrides: fastAdmin });
  const cli = cliIn(running.dataDir);

  const ok = await cli('health', '--url', running.playerUrl);
  assert.equal(ok.code, 0, ok.out);
  assert.match(ok.stdout, new RegExp(`^${running.playerUrl} \\(from --url\\): alive, ready$`, 'm'));
  assert.match(ok.stdout, /^ {2}checks: {7}draining no, store ok, live ok/m);

  const json = await runCliCaptured(
    ['health', '--json'],
    { LIFELINE_PLAYER_URL: running.playerUrl },
    running.dataDir,
  );
  assert.equal(json.code, 0, json.out);
  assert.equal(json.json.urlFrom, 'LIFELINE_PLAYER_URL');
  assert.equal(json.json.alive, true);
  assert.equal(json.json.ready, true);
  assert.equal(json.json.health.status, 'alive');
  assert.equal(json.json.readiness.status, 'ready');
  assert.equal(json.json.readiness.httpStatus, 200);
  assert.equal(
    (await cli('health', '--url', running.playerUrl, '--jq', '.readiness.checks.store')).stdout,
    'ok\n',
  );

  // Aimed at the admin port, or at nothing: a coded error naming the URL, exit 1.
  const wrong = await cli('health', '--url', running.adminUrl);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /^error NODE_URL_WRONG: .* not as Lifeline's player listener/m);
  assert.match(wrong.stderr, new RegExp(`^ {2}url: ${running.adminUrl}$`, 'm'));
  const nowhere = `http://127.0.0.1:${await closedPort()}`;
  const unreachable = await cli('health', '--url', nowhere, '--json');
  assert.equal(unreachable.code, 1);
  assert.equal(unreachable.json.error.code, 'NODE_UNREACHABLE');
  assert.equal(unreachable.json.error.url, nowhere);
});

const s = await services('lifeline health on a node that lost Redis', ['postgres', 'redis']);
if (s) {
  test('lifeline health exits 1 and says why while the node is not ready (Redis cut), 0 once it is back', async (t) => {
    const target = new URL(s.redisUrl);
    const proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 6379) });
    t.after(() => proxy.close());
    const running = await startLifeline(t, {
      overrides: {
        store: { kind: 'postgres', postgres: { url: s.pgUrl, schema: s.schema() } },
        live: { kind: 'redis', redis: { url: `redis://127.0.0.1:${proxy.port}`, prefix: s.prefix() } },
      },
    });
    const cli = cliIn(running.dataDir, { LIFELINE_PLAYER_URL: running.playerUrl });
    assert.equal((await cli('health')).code, 0);

    await proxy.cut();
    const down = await cli('health');
    assert.equal(down.code, 1, down.out);
    assert.match(down.stdout, /: alive, not-ready$/m);
    assert.match(down.stdout, /live unreachable/);
    assert.equal((await cli('health', '--json')).json.ready, false);

    await proxy.restore();
    await eventually(async () => ((await cli('health')).code === 0 ? true : undefined), 60_000);
  });
}
