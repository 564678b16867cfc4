/**
 * In-game notices across three Lifeline processes on one PostgreSQL and one Redis: an update
 * posted on one node reaches every socket of its region on all three (the broadcast on the Redis
 * bus), and no socket outside it; the same update posted again sends nothing anywhere; every
 * node's status page shows the same incident. Waits on frames, never on a sleep.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { enrol, freshSpec, startCluster, stopCluster } from '../cluster.ts';
import { announcements, Client, getJson, login, nextAnnouncement, postJson } from '../helpers.ts';
import { type Services, services } from '../services.ts';

const s = await services('comms across nodes', ['postgres', 'redis']);

if (s) {
  test('an update reaches every eu socket on three nodes and none outside eu; unchanged, it sends nothing', async (t) => {
    const spec = freshSpec(s as Services, {
      LIFELINE_COMMS__NOTICE_INTERVAL_SECONDS: '0',
      LIFELINE_COMMS__STATUS_CACHE_SECONDS: '0',
      LIFELINE_ADMIN__RATE_LIMIT__PER_SECOND: '100000',
      LIFELINE_ADMIN__RATE_LIMIT__BURST: '100000',
    });
    const nodes = await startCluster(spec, 3);
    t.after(() => stopCluster(nodes));
    const carol = await enrol(spec, 'carol', 'operator');
    // Four eu and two na players on each node.
    const held = await Promise.all(
      nodes.flatMap((node, n) =>
        (['eu', 'eu', 'eu', 'eu', 'na', 'na'] as const).map(async (region, i) => {
          const p = await login(node.playerUrl, `${region}-${n}-${i}`, region, `${region}-${(i % 3) + 1}`);
          const client = new Client(node.playerUrl, p.accessToken);
          return { region, client };
        }),
      ),
    );
    t.after(() => {
      for (const h of held) h.client.close();
    });
    await Promise.all(held.map((h) => h.client.welcomed));
    const eu = held.filter((h) => h.region === 'eu').map((h) => h.client);
    const na = held.filter((h) => h.region === 'na').map((h) => h.client);
    const [n1, n2, n3] = nodes as [(typeof nodes)[0], (typeof nodes)[0], (typeof nodes)[0]];

    // Declared on node 1: the announcement reaches every socket on every node.
    const first = held.map((h) => nextAnnouncement(h.client));
    const declared = await postJson(
      `${n1.adminUrl}/admin/v1/incidents`,
      { title: 'Europe cannot log in', severity: 'P0' },
      carol.auth,
    );
    assert.equal(declared.status, 201, JSON.stringify(declared.body));
    const id = declared.body.incident.id as string;
    const all = await Promise.all(first);
    assert.equal(new Set(all.map((m) => m.id)).size, 1, 'one notice, heard once on each socket');

    // An update for eu, posted on node 2.
    const euGot = eu.map(nextAnnouncement);
    const url = `${n2.adminUrl}/admin/v1/incidents/${id}/updates`;
    const body = { message: 'Logins are being restored in Europe.', regions: ['eu'] };
    const posted = await postJson(url, body, carol.auth);
    assert.equal(posted.status, 201, JSON.stringify(posted.body));
    const got = await Promise.all(euGot);
    assert.ok(got.every((m) => m.text.includes('Logins are being restored in Europe.')));
    assert.equal(eu.length, 12);
    for (const c of na) assert.equal((await announcements(c)).length, 1, 'no na socket heard the eu update');

    // The same update again, on node 3: nothing is sent to anyone.
    const again = await postJson(`${n3.adminUrl}/admin/v1/incidents/${id}/updates`, body, carol.auth);
    assert.equal(again.status, 200);
    assert.equal(again.body.sent, false);
    for (const c of eu) assert.equal((await announcements(c)).length, 2, 'an unchanged state sends nothing');
    for (const c of na) assert.equal((await announcements(c)).length, 1);

    // Every node's status page tells the same story.
    for (const node of nodes) {
      const summary = (await getJson(`${node.playerUrl}/status/summary.json`)).body;
      const states = Object.fromEntries(summary.components.map((c: any) => [c.id, c.status]));
      assert.equal(states['sessions-eu'], 'major_outage', node.nodeId);
      assert.equal(states['sessions-na'], 'operational', node.nodeId);
      assert.equal(summary.incidents[0].incident_updates.length, 2, node.nodeId);
    }
  });
}
