/** The live-state contract on a real Redis: each test works under its own key prefix. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createClient } from 'redis';
import { services } from '../../../test/services.ts';
import { liveSession, liveStateContract } from '../contract.ts';
import type { LiveSession } from '../../sessions/records.ts';
import { TcpProxy } from '../../../test/proxy.ts';
import { newClient } from './client.ts';
import { END_CHUNK } from './ending.ts';
import { openRedisLive } from './index.ts';
import { RedisLiveState } from './live-state.ts';

const s = await services('live state contract: redis', ['redis']);
if (s) {
  liveStateContract('redis', async () => openRedisLive({ url: s.redisUrl, prefix: s.prefix() }));

  test('a chunk of ends that fails puts back what the earlier chunks ended, so the call changes nothing', async (t) => {
    const prefix = s.prefix();
    const { live, bus } = await openRedisLive({ url: s.redisUrl, prefix });
    const raw = createClient({ url: s.redisUrl });
    await raw.connect();
    t.after(async () => {
      await raw.close();
      await bus.close();
      await live.close();
    });
    const session = (i: number): LiveSession => liveSession(`s-${i}`, { playerId: `p-${i}`, node: 'n1' });
    const ids = Array.from({ length: END_CHUNK + 10 }, (_, i) => `s-${i}`);
    for (let i = 0; i < ids.length; i++) await live.putSession(session(i));
    // The second chunk's first session has a player index of the wrong type: its script fails.
    await raw.set(`${prefix}{lifeline}:player:p-${END_CHUNK}`, 'not a set');
    await assert.rejects(live.endSessions(ids), { code: 'LIVE_UNAVAILABLE' });
    for (let i = 0; i < END_CHUNK; i++) assert.deepEqual(await live.getSession(`s-${i}`), session(i));
    assert.equal((await live.findSessions({ playerId: 'p-0' }, 10)).length, 1, 'indexes are back too');
    const held = new Set((await live.endNodeSessions('n1', 1_000)).map((x) => x.id));
    assert.ok(
      ids.slice(0, END_CHUNK).every((id) => held.has(id)),
      'and its holder',
    );
  });

  // Without the deadline the call would wait for ever: the test's timeout turns that into a failure.
  test('a Redis that hangs without closing fails the calls waiting on it with LIVE_UNAVAILABLE', {
    timeout: 20_000,
  }, async (t) => {
    const target = new URL(s.redisUrl);
    const proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 6379) });
    const client = newClient(`redis://127.0.0.1:${proxy.port}`, { commandTimeoutMs: 0 });
    client.on('error', () => {});
    await client.connect();
    // A short deadline: what is tested is that the call fails instead of waiting for ever.
    const live = new RedisLiveState(client, s.prefix(), 100);
    t.after(async () => {
      live.deadline.stop();
      client.destroy();
      await proxy.close();
    });
    assert.equal(await live.getSession('nobody'), null, 'answers through the proxy');
    proxy.freeze();
    await assert.rejects(live.getSession('nobody'), { code: 'LIVE_UNAVAILABLE' });
  });
}
