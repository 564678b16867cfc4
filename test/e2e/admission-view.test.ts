/**
 * The admission queue can be seen (issue 17): GET /admin/v1/admission, `lifeline admission` and
 * the `lifeline_admission_*` gauges give its depth, limit, calls in flight and oldest wait.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { identityUpstream } from '../../src/lab/index.ts';
import { TestClock } from '../clock.ts';
import { addOperator, eventually, getJson, postJson, runCliCaptured, startLifeline } from '../helpers.ts';

test('the admission queue shows its depth, limit, in flight and oldest wait, in the API, the CLI and metrics', async (t) => {
  const idp = await identityUpstream();
  t.after(() => idp.close());
  await idp.faults.set({ kind: 'error', rate: 1, status: 503 });
  const clock = new TestClock();
  const { app, playerUrl, adminUrl, dataDir } = await startLifeline(t, {
    clock: clock.now,
    overrides: {
      identity: { provider: 'http', http: { url: idp.verifyUrl, timeoutMs: 30_000 } },
      admission: { maxLimit: 5, initialLimit: 5 },
    },
  });
  const token = await addOperator(app, 'vera', 'viewer');
  const empty = await getJson(`${adminUrl}/admin/v1/admission`, token);
  assert.equal(empty.status, 200, JSON.stringify(empty.body));
  assert.deepEqual([empty.body.enabled, empty.body.depth, empty.body.oldestWaitSeconds], [true, 0, 0]);

  // The upstream down: logins queue.
  const n = 7;
  const answers = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      postJson(`${playerUrl}/v1/login`, { playerId: `q-${i}`, region: 'na', shard: 'na-1' }),
    ),
  );
  assert.ok(
    answers.every((a) => a.status === 202),
    JSON.stringify(answers.map((a) => a.status)),
  );
  clock.advance(4_000);
  const queue = await eventually(async () => {
    const r = await getJson(`${adminUrl}/admin/v1/admission`, token);
    return r.body.depth > 0 ? r.body : undefined;
  });
  assert.ok(queue.depth <= n);
  assert.equal(queue.lanes.length, 1);
  assert.equal(queue.lanes[0].name, 'login');
  assert.ok(queue.oldestWaitSeconds >= 4, `waited on the virtual clock: ${queue.oldestWaitSeconds}`);
  assert.ok(queue.limit >= 1 && queue.maxDepth > 0);

  const metrics = await (await fetch(`${adminUrl}/metrics`)).text();
  const depth = Number(/^lifeline_admission_queue_depth\{lane="login"\} (\d+)$/m.exec(metrics)?.[1]);
  assert.ok(
    depth > 0,
    metrics
      .split('\n')
      .filter((l) => l.startsWith('lifeline_admission'))
      .join('\n'),
  );
  assert.match(metrics, /^lifeline_admission_limit \d+$/m);
  assert.match(metrics, /^lifeline_admission_in_flight \d+$/m);
  assert.match(metrics, /^lifeline_admission_oldest_wait_seconds\{lane="login"\} [\d.]+$/m);

  const cli = await runCliCaptured(
    ['admission'],
    { LIFELINE_ADMIN_URL: adminUrl, LIFELINE_TOKEN: token },
    dataDir,
  );
  assert.equal(cli.code, 0, cli.out);
  assert.match(cli.out, /^login\t\d+\t\d+\t[\d.]+s$/m, 'piped: a tab-separated line per lane');
  assert.match(cli.out, /^limit \d+, in flight \d+ \(peak \d+\), upstream /m);
});
