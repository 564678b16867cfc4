/**
 * Routing end to end: a real Lifeline (SQLite, on a virtual clock) sending to loopback receivers
 * shaped like PagerDuty's Events API v2, a Discord webhook and a signed JSON webhook. Nothing
 * here sleeps: the test moves the clock and runs routing's turn (`app.routing.pump()`), which
 * resolves once every attempt of the turn has been answered and recorded.
 */
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import type { App } from '../../src/app.ts';
import type { DeepPartial, Config } from '../../src/config/index.ts';
import type { Signal } from '../../src/signals/records.ts';
import { TestClock } from '../clock.ts';
import { startLifeline, tempDir } from '../helpers.ts';

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  raw: string;
  body: Record<string, unknown>;
}

type Answer = (r: Received) => { status: number; body?: unknown; headers?: Record<string, string> };

/** A loopback receiver that records every request and answers with `answer` (202 by default). */
async function receiver(t: TestContext, answer: Answer = () => ({ status: 202 }), port = 0) {
  const got: Received[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const r = { path: req.url ?? '', headers: req.headers, raw, body: JSON.parse(raw) };
      got.push(r);
      const a = answer(r);
      res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
      res.end(a.body === undefined ? '' : JSON.stringify(a.body));
    });
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => new Promise((r) => server.close(r)));
  return { got, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

function signal(over: Partial<Signal> = {}): Signal {
  return {
    id: '0190a0b0-0000-7000-8000-000000000001',
    source: 'detector',
    detector: 'login-failures',
    severity: 'P1',
    title: '5% of logins failing across 30 shards',
    dimensions: { region: 'eu' },
    fingerprint: 'login-failures|region=eu',
    onsetAt: 1_000,
    startedAt: 2_000,
    resolvedAt: null,
    evidence: { statistic: 9.1, threshold: 5, observed: 0.05, expected: 0.001 },
    localisation: [{ dimension: 'dependency', values: ['identity'], share: 0.94, surprise: 0.7 }],
    incidentId: null,
    ...over,
  };
}

const routingKey = 'R0UT1NGKEY0123456789abcdefabcdef';
const hookSecret = 'webhook-hmac-secret-0123456789';

function routing(destinations: unknown[], over: Record<string, unknown> = {}): DeepPartial<Config> {
  return {
    routing: {
      destinations,
      groupWaitSeconds: 30,
      groupIntervalSeconds: 60,
      repeatIntervalSeconds: 3600,
      quietSeconds: 300,
      // The test runs every turn itself.
      tickMs: 3_600_000,
      ...over,
    },
  } as DeepPartial<Config>;
}

function verifies(r: Received, secret: string): boolean {
  const ts = String(r.headers['x-lifeline-timestamp']);
  const sig = String(r.headers['x-lifeline-signature']);
  const expected = `v1=${createHmac('sha256', secret).update(`${ts}.${r.raw}`).digest('hex')}`;
  return sig.length === expected.length && timingSafeEqual(Buffer.from(sig), Buffer.from(expected));
}

const alerts = (r: Received | undefined) =>
  (r?.body.alerts ?? []) as { action: string; fingerprint: string; signal: Signal }[];

const change = (app: App, s: Signal, c: 'raised' | 'updated' | 'resolved') =>
  app.events.emit('signal.changed', { signal: s, change: c });

test('PagerDuty, Discord and a signed webhook each get the page once, in their shapes, and the resolve once', async (t) => {
  const [pd, discord, hook] = [
    await receiver(t),
    await receiver(t, () => ({ status: 204 })),
    await receiver(t),
  ];
  const clock = new TestClock(1_800_000_000_000);
  const { app } = await startLifeline(t, {
    clock: clock.now,
    overrides: routing([
      { name: 'pd', kind: 'pagerduty', url: `${pd.url}/v2/enqueue`, routingKey },
      { name: 'chat', kind: 'discord', url: `${discord.url}/api/webhooks/1/tok` },
      { name: 'hook', kind: 'webhook', url: `${hook.url}/in`, secret: hookSecret },
    ]),
  });
  change(app, signal(), 'raised');
  await app.routing.pump();
  assert.equal(pd.got.length + discord.got.length + hook.got.length, 0, 'group wait holds the first page');
  clock.advance(30_000);
  await app.routing.pump();
  assert.equal(pd.got.length, 1);
  const ev = pd.got[0]?.body as Record<string, any>;
  assert.equal(pd.got[0]?.path, '/v2/enqueue');
  assert.equal(ev.routing_key, routingKey);
  assert.equal(ev.event_action, 'trigger');
  assert.equal(ev.dedup_key, 'login-failures|region=eu');
  assert.equal(ev.payload.severity, 'critical');
  assert.equal(typeof ev.payload.summary, 'string');
  assert.equal(typeof ev.payload.source, 'string');
  assert.equal(ev.payload.class, 'login-failures');
  assert.equal(ev.payload.group, 'eu');
  assert.ok(!Number.isNaN(Date.parse(ev.payload.timestamp)));
  const msg = discord.got[0]?.body as Record<string, any>;
  assert.equal(discord.got.length, 1);
  assert.ok(typeof msg.content === 'string' && msg.content.length <= 2000);
  assert.equal(msg.embeds.length, 1);
  assert.match(msg.embeds[0].title, /5% of logins failing/);
  assert.equal(hook.got.length, 1);
  assert.ok(verifies(hook.got[0] as Received, hookSecret), 'the HMAC verifies with the shared secret');
  assert.ok(!verifies(hook.got[0] as Received, 'another-secret-000000'), 'and not with another');
  assert.equal(alerts(hook.got[0])[0]?.fingerprint, 'login-failures|region=eu');

  // Updates that change nothing a person reads are not re-sent within the repeat interval.
  for (let i = 0; i < 10; i++) {
    clock.advance(60_000);
    change(
      app,
      signal({ evidence: { statistic: 9 + i, threshold: 5, observed: 0.05, expected: 0 } }),
      'updated',
    );
    await app.routing.pump();
  }
  assert.deepEqual([pd.got.length, discord.got.length, hook.got.length], [1, 1, 1]);

  change(app, signal({ resolvedAt: clock.now() }), 'resolved');
  for (let i = 0; i < 10; i++) {
    clock.advance(60_000);
    await app.routing.pump();
  }
  assert.deepEqual(
    pd.got.map((r) => r.body.event_action),
    ['trigger', 'resolve'],
  );
  assert.equal(pd.got[1]?.body.dedup_key, 'login-failures|region=eu');
  assert.equal(discord.got.length, 2);
  assert.equal(hook.got.length, 2);
  assert.equal((await app.store.listOutbox({ state: 'pending' })).length, 0);
});

test('a flapping signal does not page twice within the quiet period', async (t) => {
  const pd = await receiver(t);
  const clock = new TestClock(1_800_000_000_000);
  const { app } = await startLifeline(t, {
    clock: clock.now,
    overrides: routing([{ name: 'pd', kind: 'pagerduty', url: pd.url, routingKey }], { groupWaitSeconds: 0 }),
  });
  for (let i = 0; i < 20; i++) {
    change(app, signal(), i % 2 === 0 ? 'raised' : 'resolved');
    await app.routing.pump();
    clock.advance(61_000);
  }
  await app.routing.pump();
  assert.deepEqual(
    pd.got.map((r) => r.body.event_action),
    ['trigger'],
  );
});

test('a receiver answering 429 with retry_after is retried after that time and not before', async (t) => {
  let first = true;
  const discord = await receiver(t, () => {
    if (!first) return { status: 204 };
    first = false;
    return { status: 429, body: { message: 'You are being rate limited.', retry_after: 2.5, global: false } };
  });
  const clock = new TestClock(1_800_000_000_000);
  const { app } = await startLifeline(t, {
    clock: clock.now,
    overrides: routing([{ name: 'chat', kind: 'discord', url: discord.url }], { groupWaitSeconds: 0 }),
  });
  change(app, signal(), 'raised');
  assert.equal((await app.routing.pump()).chat?.stopped, 'throttled');
  assert.equal(discord.got.length, 1);
  clock.advance(2_499);
  assert.equal((await app.routing.pump()).chat?.stopped, 'paused');
  assert.equal(discord.got.length, 1, 'not before retry_after');
  clock.advance(1);
  assert.equal((await app.routing.pump()).chat?.sent, 1);
  assert.equal(discord.got.length, 2, 'retried once retry_after passed');
  assert.deepEqual(discord.got[1]?.body, discord.got[0]?.body, 'the same message');
  const [sent] = await app.store.listOutbox({ destination: 'chat', state: 'sent' });
  assert.equal(sent?.attempts, 1);
  const metrics = await app.metrics.registry.metrics();
  assert.match(
    metrics,
    /^lifeline_notification_deliveries_total\{destination="chat",outcome="throttled"\} 1$/m,
  );
  assert.match(
    metrics,
    /^lifeline_notification_deliveries_total\{destination="chat",outcome="delivered"\} 1$/m,
  );
});

test('a receiver down across a Lifeline restart still gets the message once it is back', async (t) => {
  // A free port with nothing listening: the webhook is down.
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const port = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));

  const dataDir = tempDir(t);
  const clock = new TestClock(1_800_000_000_000);
  const overrides = routing(
    [{ name: 'hook', kind: 'webhook', url: `http://127.0.0.1:${port}/in`, secret: hookSecret }],
    {
      groupWaitSeconds: 0,
    },
  );
  const first = await startLifeline(t, { dataDir, clock: clock.now, overrides });
  change(first.app, signal(), 'raised');
  assert.equal((await first.app.routing.pump()).hook?.stopped, 'transient');
  const [pending] = await first.app.store.listOutbox({ destination: 'hook', state: 'pending' });
  assert.equal(pending?.attempts, 1);
  assert.match(String(pending?.lastError), /^network: /);
  await first.app.close();

  const hook = await receiver(t, () => ({ status: 200 }), port);
  const second = await startLifeline(t, { dataDir, clock: clock.now, overrides });
  clock.advance(1_000);
  await second.app.routing.pump();
  assert.equal(hook.got.length, 1, 'delivered by the new instance once the receiver is back');
  assert.ok(verifies(hook.got[0] as Received, hookSecret));
  assert.equal(alerts(hook.got[0])[0]?.signal.title, signal().title);
  await second.app.routing.pump();
  clock.advance(3_600_000);
  await second.app.routing.pump();
  assert.equal(hook.got.length, 1, 'and only once');
});
