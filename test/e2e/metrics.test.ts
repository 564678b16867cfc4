import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addOperator, Client, login, postJson, startLifeline } from '../helpers.ts';

function sample(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

test('/metrics shows sessions by region and shard, logins by outcome, kicks, sockets and event-loop lag', async (t) => {
  const { app, playerUrl, adminUrl } = await startLifeline(t);
  const a = await login(playerUrl, 'm-1', 'na', 'na-1');
  await login(playerUrl, 'm-2', 'na', 'na-1');
  await login(playerUrl, 'm-3', 'ap', 'ap-2');
  await postJson(`${playerUrl}/v1/login`, { playerId: 'm-4', region: 'mars', shard: 'x' });
  const client = new Client(playerUrl, a.accessToken);
  t.after(() => client.close());
  await client.welcomed;

  let text = await (await fetch(`${adminUrl}/metrics`)).text();
  assert.equal(sample(text, 'lifeline_sessions_active', 'region="na",shard="na-1"'), 2);
  assert.equal(sample(text, 'lifeline_sessions_active', 'region="ap",shard="ap-2"'), 1);
  assert.equal(sample(text, 'lifeline_logins_total', 'outcome="ok"'), 3);
  assert.equal(sample(text, 'lifeline_logins_total', 'outcome="invalid"'), 1);
  assert.equal(sample(text, 'lifeline_websocket_connections'), 1);
  assert.ok((sample(text, 'lifeline_event_loop_delay_p99_seconds') ?? -1) >= 0);
  assert.ok(sample(text, 'nodejs_eventloop_lag_seconds') !== undefined);

  const operator = await addOperator(app, 'ops', 'operator');
  await postJson(
    `${adminUrl}/admin/v1/commands`,
    { action: 'kick', selector: { sessionId: a.sessionId }, reason: 'metrics' },
    { authorization: `Bearer ${operator}` },
  );
  await client.closed;
  text = await (await fetch(`${adminUrl}/metrics`)).text();
  assert.equal(sample(text, 'lifeline_kicks_total', 'source="api"'), 1);
  assert.equal(sample(text, 'lifeline_sessions_active', 'region="na",shard="na-1"'), 1);
  assert.equal(sample(text, 'lifeline_websocket_connections'), 0);
  assert.equal(sample(text, 'lifeline_websocket_closes_total', 'code="4001"'), 1);
});
