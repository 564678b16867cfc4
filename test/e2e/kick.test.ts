import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { closeCodes } from '../../src/sessions/index.ts';
import {
  addOperator,
  addOperatorWithTotp,
  Client,
  getJson,
  kickHeldPlayers,
  login,
  postJson,
  runCliCaptured,
  startLifeline,
} from '../helpers.ts';

async function cli(dataDir: string, args: string[]): Promise<{ code: number; out: string; stdout: string }> {
  return runCliCaptured(args, { LIFELINE_DATA_DIR: dataDir }, dataDir);
}

test('200 players hold sockets; one is kicked, the other 199 stay; the chain verifies until a row is edited', async (t) => {
  const { app, dataDir, playerUrl, adminUrl } = await startLifeline(t);
  const regions = ['na', 'eu', 'ap'];
  const players = await Promise.all(
    Array.from({ length: 200 }, (_, i) => {
      const region = regions[i % 3] as string;
      return login(playerUrl, `player-${String(i).padStart(3, '0')}`, region, `${region}-${(i % 3) + 1}`);
    }),
  );
  const clients = players.map((p) => new Client(playerUrl, p.accessToken));
  t.after(() => {
    for (const c of clients) c.close();
  });
  await Promise.all(clients.map((c) => c.welcomed));
  assert.equal(app.hub.size, 200);

  const operator = await addOperator(app, 'ops-alice', 'operator');
  const auditor = await addOperator(app, 'audit-bob', 'auditor');
  const target = players[7]!;
  const kicked = clients[7]!;

  const res = await postJson(
    `${adminUrl}/admin/v1/commands`,
    { action: 'kick', selector: { playerId: target.playerId }, reason: 'cheating report #4411' },
    { authorization: `Bearer ${operator}` },
  );
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.ended, 1);
  const commandId = res.body.command.id as string;

  assert.equal(await kicked.closed, closeCodes.kicked);
  const last = kicked.messages.at(-1);
  assert.equal(last.type, 'kicked');
  assert.equal(last.reason, 'cheating report #4411');
  assert.equal(last.commandId, commandId);
  assert.match(last.resumeToken, /^rs\./);

  // The other 199 are still connected and answered.
  const others = clients.filter((c) => c !== kicked);
  const pongs = await Promise.all(others.map((c) => c.ping()));
  assert.equal(pongs.length, 199);
  assert.ok(others.every((c) => c.closeCode === undefined));
  assert.equal(app.hub.size, 199);
  const sessions = await getJson(`${adminUrl}/admin/v1/sessions`, operator);
  assert.equal(sessions.body.counts.total, 199);

  // The kicked session cannot refresh or reconnect.
  const refreshed = await postJson(`${playerUrl}/v1/refresh`, { refreshToken: target.refreshToken });
  assert.equal(refreshed.status, 401);
  assert.equal(refreshed.body.error.code, 'SESSION_ENDED');
  assert.match(
    refreshed.body.error.resumeToken,
    /^rs\./,
    'a client that missed the socket message still learns how to come back',
  );

  const disruptions = await getJson(`${adminUrl}/admin/v1/disruptions?commandId=${commandId}`, auditor);
  assert.equal(disruptions.status, 200);
  assert.equal(disruptions.body.disruptions.length, 1);
  const d = disruptions.body.disruptions[0];
  assert.equal(d.sessionId, target.sessionId);
  assert.equal(d.cause, 'kick');
  assert.equal(d.outcome, 'pending');
  assert.deepEqual(d.snapshot, {
    region: 'eu',
    shard: 'eu-2',
    zone: null,
    clientVersion: null,
    licence: 'standard',
    provisional: false,
  });

  const audit = await getJson(`${adminUrl}/admin/v1/audit`, auditor);
  const trail = audit.body.entries.filter(
    (e: { details: { commandId?: string } }) => e.details.commandId === commandId,
  );
  assert.deepEqual(
    trail.map((e: { actor: string; action: string; result: string }) => [e.actor, e.action, e.result]),
    [
      ['ops-alice', 'command.request', 'running'],
      ['ops-alice', 'command.wave', 'accepted'],
      ['ops-alice', 'command.done', 'done'],
    ],
  );
  assert.ok(
    trail[0].seq < trail[1].seq && trail[1].seq < trail[2].seq,
    'request, then the wave, audited before it took effect, then the result',
  );
  const verified = await getJson(`${adminUrl}/admin/v1/audit/verify`, auditor);
  assert.equal(verified.body.ok, true);

  await app.close();
  const ok = await cli(dataDir, ['audit', 'verify', '--json']);
  assert.equal(ok.code, 0, ok.out);
  assert.equal(JSON.parse(ok.stdout).ok, true);

  // Someone edits one audit row in the SQLite file by hand.
  const editedSeq = trail[0].seq as number;
  const db = new DatabaseSync(
    app.config.store.sqlite.file === ':memory:' ? ':memory:' : `${dataDir}/lifeline.db`,
  );
  db.prepare('UPDATE audit SET details = ? WHERE seq = ?').run(
    JSON.stringify({ commandId, reason: 'routine' }),
    editedSeq,
  );
  db.close();
  const broken = await cli(dataDir, ['audit', 'verify', '--json']);
  assert.equal(broken.code, 1);
  const result = JSON.parse(broken.stdout);
  assert.equal(result.ok, false);
  assert.equal(result.firstBadSeq, editedSeq);
  assert.equal(result.reason, 'hash-mismatch');
});

test('a kick whose deliveries fail at first still tells every socket, and the command ends done', async (t) => {
  const { app, playerUrl, adminUrl } = await startLifeline(t);
  // The bus refuses each session's first delivery, as a Redis too busy to take a publish would.
  const deliver = app.bus.deliver.bind(app.bus);
  const refused = new Set<string>();
  app.bus.deliver = async (node, directive) => {
    if (!refused.has(directive.sessionId)) {
      refused.add(directive.sessionId);
      throw new Error('publish refused');
    }
    return deliver(node, directive);
  };
  const admin = await addOperatorWithTotp(app, 'ops-ada', 'admin');
  const ids = Array.from({ length: 6 }, (_, i) => `untold-${i}`);
  const { clients, commandId } = await kickHeldPlayers(t, { playerUrl, adminUrl }, admin, ids, {
    region: 'eu',
    shard: 'eu-1',
  });
  assert.deepEqual(
    await Promise.all(clients.map((c) => c.closed)),
    ids.map(() => closeCodes.kicked),
  );
  assert.equal(refused.size, 6);
  await app.commands.settle();
  assert.equal((await app.store.getCommand(commandId))?.state, 'done');
});
