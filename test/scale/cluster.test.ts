/**
 * Three Lifeline processes on one PostgreSQL and one Redis: the guarantees of one node hold
 * across nodes. A kick planned on node 1 reaches sockets on nodes 2 and 3; the kick breaker's
 * cap and the admission limit are global; there is one audit chain; and when node 3 dies its
 * players come back to the same sessions through nodes 1 and 2, each node-loss record settling
 * as its session is revived.
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { identityUpstream } from '../../src/lab/index.ts';
import { closeCodes } from '../../src/sessions/index.ts';
import { clusterCli, enrol, freshSpec, startCluster, stopCluster } from '../cluster.ts';
import { Client, eventually, getJson, login, postJson } from '../helpers.ts';
import { type Services, services } from '../services.ts';

const s = await services('cluster e2e', ['postgres', 'redis']);

/** A fast admin plane: the runaway script must meet the breaker, not the rate limit. */
const baseEnv = {
  LIFELINE_ADMIN__RATE_LIMIT__PER_SECOND: '100000',
  LIFELINE_ADMIN__RATE_LIMIT__BURST: '100000',
  LIFELINE_COMMANDS__HOLD_SECONDS: '0',
  LIFELINE_LIVE__PRESENCE_TTL_SECONDS: '3',
};

/** `n` nodes on a fresh schema and key prefix, stopped when the test ends. */
async function cluster(t: TestContext, n: number, env: Record<string, string> = {}) {
  const spec = freshSpec(s as Services, { ...baseEnv, ...env });
  const nodes = await startCluster(spec, n);
  t.after(() => stopCluster(nodes));
  return { spec, nodes };
}

if (s) {
  test('kicks, the breaker, the audit chain and node loss across three node processes', async (t) => {
    // The ap players hold their sockets without pinging: a heartbeat timeout longer than the test
    // keeps them "connected" however slowly a busy machine gets to node 3's death, so each of
    // their sessions is recorded as disrupted.
    const { spec, nodes } = await cluster(t, 3, { LIFELINE_SESSION__HEARTBEAT_TIMEOUT_SECONDS: '3600' });
    const [n1, n2, n3] = nodes as [(typeof nodes)[0], (typeof nodes)[0], (typeof nodes)[0]];
    const alice = await enrol(spec, 'alice', 'admin');
    const bob = await enrol(spec, 'bob', 'admin');
    const bot = await enrol(spec, 'ci-bot', 'operator');

    // 30 players in eu, ten logged in and connected on each node.
    const eu = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const node = nodes[i % 3] as (typeof nodes)[0];
        const p = await login(node.playerUrl, `eu-${i}`, 'eu', `eu-${(i % 3) + 1}`);
        return { node, p, client: new Client(node.playerUrl, p.accessToken) };
      }),
    );
    // 30 players in ap held by node 3 alone: they will outlive it.
    const ap = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const p = await login(n3.playerUrl, `ap-${i}`, 'ap', 'ap-1');
        return { p, client: new Client(n3.playerUrl, p.accessToken) };
      }),
    );
    // A session opened through node 1 whose socket lands on node 2 (a load balancer's choice):
    // node 2 holds it from then on, so the kick must find it there.
    const roamer = await login(n1.playerUrl, 'eu-roamer', 'eu', 'eu-1');
    const roaming = new Client(n2.playerUrl, roamer.accessToken);
    // 300 players in na for the runaway script, through nodes 1 and 2.
    const na = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        login((nodes[i % 2] as (typeof nodes)[0]).playerUrl, `na-${i}`, 'na', `na-${(i % 3) + 1}`),
      ),
    );
    const clients = [...eu.map((e) => e.client), ...ap.map((a) => a.client), roaming];
    t.after(() => {
      for (const c of clients) c.close();
    });
    await Promise.all(clients.map((c) => c.welcomed));

    // 1. A runaway script of single kicks, spread over the three nodes, stops at one global cap.
    const queue = na.map((p) => p.sessionId);
    const answers: { status: number; code?: string; node: string }[] = [];
    await Promise.all(
      nodes.map(async (node) => {
        for (let id = queue.shift(); id !== undefined && answers.length < 150; id = queue.shift()) {
          const res = await postJson(
            `${node.adminUrl}/admin/v1/commands`,
            { action: 'kick', selector: { sessionId: id }, reason: 'cleanup' },
            bot.auth,
          );
          answers.push({ status: res.status, code: res.body?.error?.code, node: node.nodeId });
        }
      }),
    );
    const kicked = answers.filter((a) => a.status === 200);
    // The budget is one atomic window in Redis: exactly the cap was granted, whichever node asked.
    const breaker = await getJson(`${n2.adminUrl}/admin/v1/breaker`, alice.token);
    assert.equal(breaker.body.breaker.cap, 50, 'max(50, 0.5% of ~360 online)');
    assert.equal(breaker.body.breaker.usedInWindow, 50);
    const odd = answers.filter((a) => a.status !== 200 && a.code !== 'KICK_BREAKER_OPEN');
    assert.ok(kicked.length <= 50, `never past the cap: ${kicked.length} kicked`);
    assert.equal(
      kicked.length + odd.length,
      50,
      `every granted kick ran or said why: ${JSON.stringify(odd)}`,
    );
    assert.equal(new Set(kicked.map((a) => a.node)).size, 3, 'each node kicked some');
    assert.ok(
      answers
        .filter((a) => a.status !== 200)
        .every((a) => a.status === 503 && a.code === 'KICK_BREAKER_OPEN'),
      JSON.stringify(answers.filter((a) => a.status !== 200 && a.code !== 'KICK_BREAKER_OPEN')),
    );
    for (const node of nodes) {
      const b = await getJson(`${node.adminUrl}/admin/v1/breaker`, alice.token);
      assert.equal(b.body.breaker.state, 'open', `${node.nodeId} sees the breaker open`);
    }
    const online = await getJson(`${n2.adminUrl}/admin/v1/sessions?region=na`, alice.token);
    assert.equal(online.body.counts.total, 300 - kicked.length);

    // An admin resets it through another node; the window starts afresh for every node.
    const reset = await postJson(
      `${n3.adminUrl}/admin/v1/breaker/reset`,
      { totp: await bob.totp(), reason: 'script stopped' },
      bob.auth,
    );
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    assert.equal(
      (await getJson(`${n1.adminUrl}/admin/v1/breaker`, alice.token)).body.breaker.state,
      'closed',
    );

    // 2. A bulk kick planned through node 1 ends sessions held by all three.
    const requested = await postJson(
      `${n1.adminUrl}/admin/v1/commands`,
      { action: 'kick', selector: { region: 'eu' }, reason: 'exploit in eu', totp: await alice.totp() },
      alice.auth,
    );
    // 31 of ~360 online is a small kick: the operator's TOTP is the guard, no second approval.
    assert.equal(requested.status, 200, JSON.stringify(requested.body));
    assert.equal(requested.body.command.plan.count, 31, 'node 1 sees every node’s sessions');
    assert.equal(requested.body.ended, 31);
    const commandId = requested.body.command.id as string;
    const codes = await Promise.all([...eu.map((e) => e.client.closed), roaming.closed]);
    assert.deepEqual(new Set(codes), new Set([closeCodes.kicked]), 'all 31 sockets got the kick');
    for (const e of eu) {
      const last = e.client.messages.at(-1);
      assert.equal(last.type, 'kicked');
      assert.equal(last.commandId, commandId);
      assert.match(last.resumeToken, /^rs\./);
    }
    const done = await eventually(async () => {
      const c = (await getJson(`${n3.adminUrl}/admin/v1/commands/${commandId}`, alice.token)).body.command;
      return c.state === 'done' ? c : undefined;
    });
    assert.equal(done.progress.ended, 31);

    // 3. One audit chain, written by every node, verifies from any node and from the CLI.
    const actors = new Set(
      (await getJson(`${n1.adminUrl}/admin/v1/audit?limit=1000`, alice.token)).body.entries.map(
        (e: { actor: string }) => e.actor,
      ),
    );
    assert.ok(actors.has('alice') && actors.has('bob') && actors.has('ci-bot'), [...actors].join(','));
    for (const node of nodes) {
      const v = await getJson(`${node.adminUrl}/admin/v1/audit/verify`, alice.token);
      assert.equal(v.body.ok, true, `verify from ${node.nodeId}: ${JSON.stringify(v.body)}`);
    }
    const cliVerify = await clusterCli(spec, 'audit', 'verify', '--json');
    assert.equal(cliVerify.code, 0, cliVerify.out);

    // 4. Node 3 dies. Its sockets drop; a survivor records its sessions as node-loss disruptions.
    n3.child.kill('SIGKILL');
    await n3.exited;
    await Promise.all(ap.map((a) => a.client.closed));
    const lost = await eventually(async () => {
      const d = (await getJson(`${n1.adminUrl}/admin/v1/disruptions?region=ap`, alice.token)).body
        .disruptions as { cause: string; outcome: string }[];
      return d.length === 30 ? d : undefined;
    }, 20_000);
    assert.ok(lost.every((d) => d.cause === 'node-loss' && d.outcome === 'pending'));
    // The audit entry is written after the records it describes: wait for it too (read once, it
    // was missing in one clean-clone run, 2026-12-02).
    const audit = await eventually(async () => {
      const e = (await getJson(`${n2.adminUrl}/admin/v1/audit?action=node.lost`, alice.token)).body.entries;
      return e.length > 0 ? e : undefined;
    }, 20_000);
    assert.equal(audit.length, 1, 'one survivor recorded the loss, once');
    assert.equal(audit[0].details.node, 'node-3');
    assert.equal(audit[0].details.sessions, 30);

    // 5. Only the sockets died with the node: each player comes back to the same session through
    // node 1 or 2, with its own tokens (half refresh first, half only reconnect the socket), no
    // operator and no restore needed; each record settles as its session is revived.
    const survivors = [n1, n2];
    const back = await Promise.all(
      ap.map(async (a, i) => {
        const node = survivors[i % 2] as (typeof nodes)[0];
        let accessToken = a.p.accessToken as string;
        if (i % 4 < 2) {
          const refreshed = await postJson(`${node.playerUrl}/v1/refresh`, {
            refreshToken: a.p.refreshToken,
          });
          assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
          assert.equal(refreshed.body.sessionId, a.p.sessionId, 'the same session');
          accessToken = refreshed.body.accessToken;
        }
        const c = new Client(node.playerUrl, accessToken);
        clients.push(c);
        const welcome = await c.welcomed;
        assert.equal(welcome.sessionId, a.p.sessionId, 'the same session');
        return node.nodeId;
      }),
    );
    assert.deepEqual(new Set(back), new Set(['node-1', 'node-2']));
    const apOnline = await getJson(`${n1.adminUrl}/admin/v1/sessions?region=ap`, alice.token);
    assert.equal(apOnline.body.counts.total, 30);
    const settled = (await getJson(`${n2.adminUrl}/admin/v1/disruptions?region=ap`, alice.token)).body
      .disruptions as {
      outcome: string;
      outcomeReason: string;
      restoredSessionId: string;
      sessionId: string;
    }[];
    assert.equal(settled.length, 30);
    for (const d of settled) {
      assert.equal(d.outcome, 'restored', JSON.stringify(d));
      assert.equal(d.outcomeReason, 'reconnected');
      assert.equal(d.restoredSessionId, d.sessionId);
    }
  });

  test('the admission limit is global: logins storming three nodes never exceed it upstream', async (t) => {
    // The lab's identity upstream, slowed to 50 ms an answer; its stats count the calls it holds at once.
    const upstream = await identityUpstream();
    t.after(() => upstream.close());
    await upstream.faults.set({ kind: 'latency', ms: 50 });
    const limit = 4;
    const { nodes } = await cluster(t, 3, {
      LIFELINE_IDENTITY__PROVIDER: 'http',
      LIFELINE_IDENTITY__HTTP__URL: upstream.verifyUrl,
      LIFELINE_ADMISSION__INITIAL_LIMIT: String(limit),
      LIFELINE_ADMISSION__MAX_LIMIT: String(limit),
    });

    // 240 logins at once, 80 on each node; queued ones poll their ticket until done.
    const results = await Promise.all(
      Array.from({ length: 240 }, async (_, i) => {
        const node = nodes[i % 3] as (typeof nodes)[0];
        let r = await postJson(`${node.playerUrl}/v1/login`, {
          playerId: `s-${i}`,
          region: 'na',
          shard: 'na-1',
        });
        while (r.status === 202) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          r = await postJson(`${node.playerUrl}/v1/login/poll`, { ticket: r.body.ticket });
        }
        return r.status;
      }),
    );
    assert.deepEqual(new Set(results), new Set([200]), 'every login got in');
    const { requests: calls, peakInFlight: peak } = upstream.stats.snapshot();
    // A call the upstream was too slow to answer (a loaded machine) is retried: at least one each.
    assert.ok(calls >= 240, `${calls} upstream calls`);
    assert.ok(peak <= limit, `the upstream saw ${peak} calls at once; the global limit is ${limit}`);
    assert.ok(peak >= 2, `the nodes did share the limit (peak ${peak})`);
  });
}

if (s) {
  test('a restore outlives the node running it: a survivor adopts it and finishes it', async (t) => {
    const { spec, nodes } = await cluster(t, 2);
    const [n1, n2] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    const alice = await enrol(spec, 'alice', 'admin');
    const carol = await enrol(spec, 'carol', 'admin');
    const players = await Promise.all(Array.from({ length: 20 }, (_, i) => login(n2.playerUrl, `r-${i}`)));
    const kick = await postJson(
      `${n2.adminUrl}/admin/v1/commands`,
      { action: 'kick', selector: { region: 'na' }, reason: 'bad build', totp: await alice.totp() },
      alice.auth,
    );
    assert.equal(kick.status, 200, JSON.stringify(kick.body));
    const commandId = kick.body.command.id as string;

    // Node 1 runs the restore, slowly: two players every 300 ms.
    const started = await postJson(
      `${n1.adminUrl}/admin/v1/restores`,
      { commandId, pacing: { mode: 'fixed', batchSize: 2, intervalMs: 300 }, totp: await carol.totp() },
      carol.auth,
    );
    assert.ok(started.status < 300, JSON.stringify(started.body));
    const restoreId = started.body.restore.id as string;
    const status = async () =>
      (await getJson(`${n2.adminUrl}/admin/v1/restores/${restoreId}`, alice.token)).body;
    await eventually(async () => ((await status()).counts.ticketed >= 2 ? true : undefined));
    n1.child.kill('SIGKILL');
    await n1.exited;
    const atDeath = (await status()).restore.released as number;
    assert.ok(atDeath < 20, 'node 1 died before the restore was through');

    // Every player comes back through node 2, which must have taken the restore over.
    await Promise.all(
      players.map(async (p) => {
        const refreshed = await postJson(`${n2.playerUrl}/v1/refresh`, { refreshToken: p.refreshToken });
        const resumeToken = refreshed.body.error.resumeToken as string;
        for (const until = Date.now() + 30_000; ; ) {
          const r = await postJson(`${n2.playerUrl}/v1/rejoin`, { resumeToken });
          if (r.status === 200) return;
          if (Date.now() > until) throw new Error(`still waiting after 30 s: ${JSON.stringify(r.body)}`);
          assert.equal(r.status, 202, JSON.stringify(r.body));
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }),
    );
    const done = await eventually(async () => {
      const b = await status();
      return b.restore.state === 'done' ? b : undefined;
    }, 20_000);
    assert.equal(done.counts.restored, 20);
  });
}
