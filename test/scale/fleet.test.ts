/**
 * The fleet against two Lifeline processes on one PostgreSQL and one Redis: when the node a
 * player is pinned to dies, the player fails over to the other node and its session moves with
 * it, and the fleet measures each outage from the drop to the welcome on the survivor.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startFleet } from '../../src/lab/fleet/index.ts';
import { Seconds, smallPlan } from '../../src/lab/fleet/testing.ts';
import { freshSpec, startCluster, stopCluster } from '../cluster.ts';
import { type Services, services } from '../services.ts';

const s = await services('fleet node loss', ['postgres', 'redis']);

if (s) {
  test('a node dies: its players fail over to the survivor and reconnect there, each outage measured', async (t) => {
    const spec = freshSpec(s as Services, {
      // Long enough that node 2's sessions are still live when its players reach node 1, so they
      // move over (sessions swept first, recorded and revived, are test/scale/cluster.test.ts's).
      LIFELINE_LIVE__PRESENCE_TTL_SECONDS: '60',
    });
    const nodes = await startCluster(spec, 2);
    t.after(() => stopCluster(nodes));
    const [n1, n2] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];

    const seconds = new Seconds();
    const fleet = startFleet(smallPlan([n1.playerUrl, n2.playerUrl], { players: 12 }), seconds.add);
    t.after(() => fleet.stop());
    await seconds.until((x) => x.online === 12);

    const killedAt = Date.now();
    n2.child.kill('SIGKILL');
    await n2.exited;
    await seconds.until((_, all) => all.total('closes', '1006') + all.total('closes', '1001') >= 6);
    await seconds.until((x) => x.online === 12, 120);

    const summary = await fleet.stop();
    const out = summary.outages.filter((o) => o.outAt * 1000 >= killedAt - fleet.startedAtMs - 1000);
    assert.equal(out.length, 6, 'the six players pinned to node 2 went out');
    assert.ok(
      out.every((o) => o.backAt !== null && o.backAt > o.outAt),
      JSON.stringify(out),
    );
    assert.equal(summary.sessionsLost, 0, 'every session moved over, none lost');
    assert.ok(
      seconds.all.reduce((n, x) => n + x.reconnects, 0) >= 6,
      'they came back by reconnecting, not by logging in again',
    );
    assert.equal(summary.requests['/v1/login'], 12);
  });
}
