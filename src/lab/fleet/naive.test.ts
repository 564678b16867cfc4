import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import { LifelineClient } from '../../sdk/index.ts';
import { naiveOptions } from './naive.ts';

/** A player API that queues the first login (202, a ticket, Retry-After 5), then is overloaded once (503, Retry-After 30), then lets in. */
async function queueingServer(t: { after: (fn: () => void) => void }) {
  const paths: string[] = [];
  const answers = [
    {
      status: 202,
      headers: { 'retry-after': '5' },
      body: { queued: true, ticket: 'tk', position: 1, etaSeconds: 5 },
    },
    { status: 503, headers: { 'retry-after': '30' }, body: { error: { code: 'LOGIN_QUEUE_FULL' } } },
    {
      status: 200,
      headers: {},
      body: { sessionId: 's', accessToken: 'a.b.c', refreshToken: 'r', expiresIn: 600 },
    },
  ];
  const server = createServer((req, res) => {
    paths.push(req.url ?? '');
    req.resume();
    const a = answers[Math.min(paths.length - 1, answers.length - 1)] as (typeof answers)[number];
    res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers }).end(JSON.stringify(a.body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  return { paths, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
}

test("naive options make the SDK the seed's client: the same pause every time, no Retry-After, no ticket polls", async (t) => {
  const { paths, url } = await queueingServer(t);
  const waits: number[] = [];
  const client = new LifelineClient({
    baseUrl: url,
    sleep: async (ms) => void waits.push(ms),
    ...naiveOptions(globalThis.fetch, 100),
  });
  t.after(() => client.close());
  await client.login({ playerId: 'p', region: 'na', shard: 'na-1' });
  assert.deepEqual(paths, ['/v1/login', '/v1/login', '/v1/login'], 'the ticket is never polled');
  assert.deepEqual(waits, [100, 100], 'Retry-After 5 and 30 ignored, no jitter');
});

test('the same server with the SDK as it ships: it polls its ticket and waits at least Retry-After', async (t) => {
  const { paths, url } = await queueingServer(t);
  const waits: number[] = [];
  const client = new LifelineClient({ baseUrl: url, sleep: async (ms) => void waits.push(ms) });
  t.after(() => client.close());
  await client.login({ playerId: 'p', region: 'na', shard: 'na-1' });
  assert.deepEqual(paths, ['/v1/login', '/v1/login/poll', '/v1/login/poll']);
  assert.equal(waits[0], 5000);
  assert.ok((waits[1] as number) >= 30_000);
});
