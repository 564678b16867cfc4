import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import { Upstream } from '../../src/lab/index.ts';
import { LifelineClient, RetryBudgetExhausted } from '../../src/sdk/index.ts';
import { addOperatorWithTotp, eventually, postJson, startLifeline } from '../helpers.ts';

test('2,000 SDK clients against an overloaded endpoint: each honours Retry-After and its retry budget', async (t) => {
  // Each client waits on its own virtual clock (the SDK's `now` and `sleep`), and the endpoint
  // stamps an arrival with the clock of the client that sent it: gaps and rates are measured on
  // the timeline the client decides on, not on a wall clock a busy machine stretches.
  const t0 = Date.now();
  const clocks = new Map<string, { at: number }>();
  // An endpoint that is overloaded for good: every answer is 503 with Retry-After: 1.
  const arrivals = new Map<string, number[]>();
  const perSecond = new Map<number, number>();
  const server = createServer((req, res) => {
    const id = String(req.headers['x-client']);
    const now = (clocks.get(id) as { at: number }).at;
    arrivals.set(id, [...(arrivals.get(id) ?? []), now]);
    const second = Math.floor((now - t0) / 1000);
    perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
    req.resume();
    req.on('end', () =>
      res.writeHead(503, { 'retry-after': '1', 'content-type': 'application/json' }).end('{}'),
    );
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

  const budget = { burst: 3, perSecond: 0.5 };
  const outcomes = await Promise.all(
    Array.from({ length: 2000 }, (_, i) => {
      const clock = { at: t0 };
      clocks.set(`c${i}`, clock);
      const client = new LifelineClient({
        baseUrl,
        retryBudget: budget,
        backoff: { baseMs: 100, capMs: 2000 },
        // What is measured is Retry-After: a request that a loaded machine keeps past the SDK's
        // default timeout would be retried as a network error, without one.
        requestTimeoutMs: 120_000,
        headers: { 'x-client': `c${i}` },
        now: () => clock.at,
        sleep: async (ms) => {
          clock.at += ms;
        },
      });
      return client.login({ playerId: `p${i}`, region: 'na', shard: 'na-1' }).then(
        () => 'in',
        (err: unknown) => (err instanceof RetryBudgetExhausted ? 'budget' : String(err)),
      );
    }),
  );
  assert.ok(
    outcomes.every((o) => o === 'budget'),
    'every client gave up on its budget, none retried forever',
  );

  for (const [id, times] of arrivals) {
    const gaps = times.slice(1).map((at, i) => at - (times[i] as number));
    assert.ok(
      gaps.every((g) => g >= 990),
      `${id} retried after ${Math.min(...gaps)} ms, sooner than Retry-After`,
    );
    const span = ((times.at(-1) as number) - (times[0] as number)) / 1000;
    assert.ok(
      times.length - 1 <= budget.burst + budget.perSecond * span + 1e-9,
      `${id} made ${times.length - 1} retries in ${span}s`,
    );
  }
  // No second saw more arrivals than there are clients: with Retry-After honoured, each client
  // comes at most once a second (the server's cap on arrivals is one per client per second).
  const peak = Math.max(...perSecond.values());
  assert.ok(peak <= 2000, `peak ${peak} arrivals in one second`);
});

test('the SDK logs in, holds its socket, learns its resume token from a kick and rejoins through a restore', async (t) => {
  const { app, playerUrl, adminUrl } = await startLifeline(t, {
    overrides: { admin: { rateLimit: { perSecond: 1000, burst: 1000 } }, commands: { holdSeconds: 0 } },
  });
  const client = new LifelineClient({ baseUrl: playerUrl });
  t.after(() => client.close());
  const tokens = await client.login({ playerId: 'sdk-player', region: 'ap', shard: 'ap-2' });
  const messages: string[] = [];
  let closed: number | undefined;
  client.connect({ onMessage: (m) => messages.push(String(m.type)), onClose: (code) => (closed = code) });
  await eventually(async () => (messages.includes('welcome') ? true : undefined));
  const refreshed = await client.refresh();
  assert.equal(refreshed.sessionId, tokens.sessionId);

  const op = await addOperatorWithTotp(app, 'op', 'operator');
  const kick = await postJson(
    `${adminUrl}/admin/v1/commands`,
    { action: 'kick', selector: { playerId: 'sdk-player' }, reason: 'test' },
    op.auth,
  );
  await eventually(async () => (closed === 4001 ? true : undefined));
  assert.match(client.resumeToken ?? '', /^rs\./);

  const admin = await addOperatorWithTotp(app, 'root', 'admin');
  const started = await postJson(
    `${adminUrl}/admin/v1/restores`,
    { commandId: kick.body.command.id, pacing: { mode: 'fixed', batchSize: 1, intervalMs: 100 } },
    admin.auth,
  );
  assert.equal(started.status, 202, JSON.stringify(started.body));
  const back = await client.rejoin();
  assert.notEqual(back.sessionId, tokens.sessionId, 'a new session, in the same place');
  assert.equal(
    JSON.parse(Buffer.from(back.accessToken.split('.')[1] as string, 'base64url').toString()).shard,
    'ap-2',
  );
});

test('a request that never gets an answer times out and is retried from the budget, instead of hanging', async (t) => {
  // The lab's upstream with a timeout fault: it reads each request and never answers.
  const silent = await Upstream.start({ name: 'silent', handler: () => ({ status: 200 }) });
  t.after(() => silent.close());
  await silent.faults.set({ kind: 'timeout' });
  const client = new LifelineClient({
    baseUrl: silent.url,
    retryBudget: { burst: 1, perSecond: 0 },
    requestTimeoutMs: 50,
    sleep: async () => {},
  });
  await assert.rejects(client.login({ playerId: 'p', region: 'na', shard: 'na-1' }), RetryBudgetExhausted);
  // Both reached it (on a busy loop the client's timer can fire before the server reads the retry).
  await silent.stats.until((s) => s.requests >= 2);
  assert.equal(silent.stats.snapshot().requests, 2, 'the first try, then the one retry the budget allowed');
});
