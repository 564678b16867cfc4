/**
 * The sender against the real SQLite store and the in-process live state, and a loopback
 * receiver: the run lease gives a destination one sender across nodes, and the token bucket
 * holds a backlog to the destination's published rate. Time is a variable the test moves.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type TestContext, test } from 'node:test';
import pino from 'pino';
import { MemoryLiveState } from '../live/memory.ts';
import { SqliteRecordStore } from '../store/sqlite/index.ts';
import type { DestinationConfig } from '../config/index.ts';
import type { OutboxMessage } from './records.ts';
import { DestinationSender } from './sender.ts';

async function receiver(
  t: TestContext,
  status: (n: number) => number = () => 204,
): Promise<{ url: string; got: unknown[] }> {
  const got: unknown[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      got.push(JSON.parse(body));
      res.writeHead(status(got.length)).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => new Promise((r) => server.close(r)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, got };
}

function message(destination: string, n: number, at: number): OutboxMessage {
  return {
    id: `m-${n}`,
    destination,
    dedupKey: `k-${n}`,
    payload: { n },
    createdAt: at + n,
    version: 1,
    attempts: 0,
    nextAttemptAt: at,
    lastError: null,
    sentAt: null,
    deadAt: null,
  };
}

function setup(t: TestContext, destination: DestinationConfig) {
  const store = new SqliteRecordStore(':memory:');
  t.after(() => store.close());
  const live = new MemoryLiveState();
  let now = 1_000_000;
  const sender = (nodeId: string) =>
    new DestinationSender({
      destination,
      store,
      leases: live,
      nodeId,
      clock: () => now,
      logger: pino({ level: 'silent' }),
      timeoutMs: 5000,
      maxBackoffMs: 300_000,
      random: () => 0.5,
    });
  return { store, live, sender, at: () => now, advance: (ms: number) => (now += ms) };
}

test("a Discord backlog goes out at 5 per 2 s, the webhook's published limit, never faster", async (t) => {
  const r = await receiver(t);
  const s = setup(t, { name: 'chat', kind: 'discord', url: r.url });
  for (let n = 0; n < 12; n++) await s.store.enqueueOutbox(message('chat', n, s.at()));
  const sender = s.sender('a');
  assert.deepEqual(await sender.round(), { sent: 5, failed: 0, stopped: 'rate' }, 'the burst of 5');
  s.advance(399);
  assert.equal((await sender.round()).sent, 0);
  s.advance(1);
  assert.equal((await sender.round()).sent, 1, 'one more every 400 ms');
  s.advance(2000);
  assert.equal((await sender.round()).sent, 5);
  s.advance(400);
  assert.deepEqual(await sender.round(), { sent: 1, failed: 0 });
  assert.deepEqual(
    r.got.map((b) => (b as { n: number }).n),
    Array.from({ length: 12 }, (_, n) => n),
    'oldest first, each once',
  );
});

test('with two nodes, one sends a destination at a time; a lost node’s destination passes to the other', async (t) => {
  const r = await receiver(t);
  const s = setup(t, { name: 'pd', kind: 'pagerduty', url: r.url, routingKey: 'k'.repeat(32) });
  await s.store.enqueueOutbox(message('pd', 1, s.at()));
  const [a, b] = [s.sender('node-a'), s.sender('node-b')];
  await s.live.announceNode('node-a', 15_000, s.at());
  await s.live.announceNode('node-b', 15_000, s.at());
  assert.equal((await a.round()).sent, 1);
  await s.store.enqueueOutbox(message('pd', 2, s.at()));
  assert.deepEqual(await b.round(), { sent: 0, failed: 0, stopped: 'not-runner' });
  // node-a stops announcing; node-b does, and takes the destination once node-a's presence lapses.
  s.advance(15_000);
  await s.live.announceNode('node-b', 15_000, s.at());
  assert.equal((await b.round()).sent, 1);
  assert.equal((await a.round()).stopped, 'not-runner', 'node-a, back, does not send beside node-b');
  assert.equal(r.got.length, 2);
  assert.deepEqual((r.got[0] as { routing_key: string }).routing_key, 'k'.repeat(32));
});

test('a 503 backs the message off and holds the destination, so the message keeps its place', async (t) => {
  const r = await receiver(t, (n) => (n === 1 ? 503 : 204));
  const s = setup(t, { name: 'hook', kind: 'webhook', url: r.url, secret: 's'.repeat(32) });
  await s.store.enqueueOutbox(message('hook', 0, s.at()));
  await s.store.enqueueOutbox(message('hook', 1, s.at()));
  const sender = s.sender('a');
  assert.deepEqual(await sender.round(), { sent: 0, failed: 1, stopped: 'transient' });
  // The first retry waits between 500 and 1000 ms (here, with the jitter at its middle, 750).
  s.advance(749);
  assert.equal((await sender.round()).stopped, 'paused', 'the newer message does not overtake');
  s.advance(1);
  assert.deepEqual(await sender.round(), { sent: 2, failed: 0 });
  assert.deepEqual(
    r.got.map((b) => (b as { n: number }).n),
    [0, 0, 1],
  );
  const [first] = await s.store.listOutbox({ destination: 'hook', state: 'sent' });
  assert.equal(first?.attempts, 1);
  assert.equal(first?.lastError, 'HTTP 503');
});

test('a 400 is refused for good: the message is dead, and the next one goes', async (t) => {
  const r = await receiver(t, (n) => (n === 1 ? 400 : 202));
  const s = setup(t, { name: 'pd', kind: 'pagerduty', url: r.url, routingKey: 'k'.repeat(32) });
  await s.store.enqueueOutbox(message('pd', 0, s.at()));
  await s.store.enqueueOutbox(message('pd', 1, s.at()));
  assert.deepEqual(await s.sender('a').round(), { sent: 1, failed: 1 });
  assert.deepEqual(
    (await s.store.listOutbox({ destination: 'pd', state: 'dead' })).map((m) => [m.id, m.lastError]),
    [['m-0', 'HTTP 400']],
  );
});

test('a redirect is not followed: the routing key never goes to another address', async (t) => {
  const elsewhere = await receiver(t);
  const server = createServer((_req, res) => res.writeHead(307, { location: elsewhere.url }).end());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => new Promise((r) => server.close(r)));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const s = setup(t, { name: 'pd', kind: 'pagerduty', url, routingKey: 'k'.repeat(32) });
  await s.store.enqueueOutbox(message('pd', 0, s.at()));
  assert.deepEqual(await s.sender('a').round(), { sent: 0, failed: 1 });
  assert.equal(elsewhere.got.length, 0);
  assert.equal((await s.store.listOutbox({ destination: 'pd', state: 'dead' }))[0]?.lastError, 'HTTP 307');
});
