/**
 * Losing Redis for a few seconds: open sockets stay open and answered, what needs live state
 * fails with LIVE_UNAVAILABLE and changes nothing, and the node recovers by itself when Redis
 * is back. Redis is taken away by cutting a TCP proxy in front of it; the server is untouched.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { closeCodes } from '../../src/sessions/index.ts';
import { addOperator, Client, eventually, getJson, login, postJson, startLifeline } from '../helpers.ts';
import { TcpProxy } from '../proxy.ts';
import { services } from '../services.ts';

const s = await services('redis outage e2e', ['postgres', 'redis']);

/** How long the node may take to find Redis again: a bound for a hang, not a measure. */
const RECOVERY_MS = 60_000;

/**
 * Pings every client, round after round, for at least `ms` of wall-clock time: each must answer.
 * The wait is a lower bound (Redis expires the presence keys on its own clock), never a window
 * something must fit in: a busy machine only makes it longer.
 */
async function pingForAtLeast(clients: Client[], ms: number): Promise<void> {
  const from = performance.now();
  do {
    await Promise.all(clients.map((c) => c.ping()));
    await new Promise((r) => setTimeout(r, 500));
  } while (performance.now() - from < ms);
}

if (s) {
  test('a Redis outage ends no socket, refuses what needs Redis with a code, and heals by itself', async (t) => {
    const target = new URL(s.redisUrl);
    const proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 6379) });
    t.after(() => proxy.close());
    const shared = {
      store: { kind: 'postgres', postgres: { url: s.pgUrl, schema: s.schema() } },
      live: {
        kind: 'redis',
        redis: { url: `redis://127.0.0.1:${proxy.port}`, prefix: s.prefix() },
        presenceTtlSeconds: 3,
      },
      session: { heartbeatIntervalSeconds: 1, heartbeatTimeoutSeconds: 3 },
      // Two nodes on one store share the key that seals its secrets.
      secrets: { key: randomBytes(32).toString('base64') },
    } as const;
    const { app, playerUrl, adminUrl } = await startLifeline(t, {
      overrides: { ...shared, nodeId: 'node-1' },
    });
    // A second node through the same Redis: after an outage longer than the presence TTL, every
    // node's presence has lapsed at once, and neither may take the other for lost.
    const other = await startLifeline(t, { overrides: { ...shared, nodeId: 'node-2' } });
    const theirs = await Promise.all(Array.from({ length: 5 }, (_, i) => login(other.playerUrl, `q-${i}`)));
    const theirClients = theirs.map((p) => new Client(other.playerUrl, p.accessToken));
    t.after(() => {
      for (const c of theirClients) c.close();
    });
    await Promise.all(theirClients.map((c) => c.welcomed));
    const operator = await addOperator(app, 'ops', 'operator');
    const auth = { authorization: `Bearer ${operator}` };
    const players = await Promise.all(Array.from({ length: 20 }, (_, i) => login(playerUrl, `p-${i}`)));
    const clients = players.map((p) => new Client(playerUrl, p.accessToken));
    t.after(() => {
      for (const c of clients) c.close();
    });
    await Promise.all(clients.map((c) => c.welcomed));
    // Every client keeps its heartbeat (1 s) while the test waits on anything, as a real client
    // does: a busy machine makes Redis's return and the kick after it take longer than the 3-s
    // heartbeat timeout, and a client that went quiet meanwhile was rightly dropped with 4002.
    const stops = [...clients, ...theirClients].map((c) => c.heartbeat(1000));
    t.after(() => {
      for (const stop of stops) stop();
    });

    // Both nodes have been present a whole TTL, so either would sweep a node it found lost.
    await pingForAtLeast([...clients, ...theirClients], 3_500);

    await proxy.cut();
    // Longer than the heartbeat timeout and the presence TTL: neither may end anything.
    await pingForAtLeast([...clients, ...theirClients], 4_000);
    assert.ok(
      clients.every((c) => c.closeCode === undefined),
      'every socket is still open',
    );
    assert.equal(app.hub.size, 20);

    const kick = await postJson(
      `${adminUrl}/admin/v1/commands`,
      { action: 'kick', selector: { playerId: 'p-3' }, reason: 'during the outage' },
      auth,
    );
    assert.equal(kick.status, 503, JSON.stringify(kick.body));
    assert.equal(kick.body.error.code, 'LIVE_UNAVAILABLE');
    const newcomer = await postJson(`${playerUrl}/v1/login`, {
      playerId: 'late',
      region: 'na',
      shard: 'na-1',
    });
    assert.equal(newcomer.status, 503);
    assert.equal(newcomer.body.error.code, 'LIVE_UNAVAILABLE');
    const ready = await getJson(`${playerUrl}/ready`);
    assert.equal(ready.status, 503);
    assert.match(ready.body.checks.live, /^unreachable/);

    // Nothing half-applied: no command ran, no disruption was written.
    assert.deepEqual(await app.store.listCommands(['running', 'done']), [], 'no command ran or finished');
    assert.equal((await app.store.listDisruptions({ limit: 100 })).length, 0);

    await proxy.restore();
    await eventually(
      async () => ((await getJson(`${playerUrl}/ready`)).status === 200 ? true : undefined),
      RECOVERY_MS,
    );
    const again = await eventually(async () => {
      const r = await postJson(
        `${adminUrl}/admin/v1/commands`,
        { action: 'kick', selector: { playerId: 'p-3' }, reason: 'after the outage' },
        auth,
      );
      return r.status === 200 ? r : undefined;
    }, RECOVERY_MS);
    assert.equal(again.body.ended, 1);
    assert.equal(
      await clients[3]?.closed,
      closeCodes.kicked,
      'the bus re-subscribed: the kick reached the socket',
    );
    const others = clients.filter((_, i) => i !== 3);
    await Promise.all(others.map((c) => c.ping()));
    assert.ok(others.every((c) => c.closeCode === undefined));
    assert.equal((await login(playerUrl, 'late')).playerId, 'late');
    // Two presence TTLs after Redis returned (the clients pinging meanwhile): nobody was taken for lost.
    await pingForAtLeast([...others, ...theirClients], 6_000);
    assert.equal((await app.live.countSessions({})).total, 25, '19 who stayed, the newcomer, and node 2’s 5');
    assert.equal((await app.store.listDisruptions({ limit: 100 })).length, 1, 'only the kick’s');
    await Promise.all([...others, ...theirClients].map((c) => c.ping()));
    assert.ok([...others, ...theirClients].every((c) => c.closeCode === undefined));
  });
}
