import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { addOperatorWithTotp, eventually, postJson, startLifeline } from '../../../test/helpers.ts';
import { Holders, maxHolders } from './holders.ts';

async function kickRegion(app: Parameters<typeof addOperatorWithTotp>[0], adminUrl: string, region: string) {
  const op = await addOperatorWithTotp(app, 'op', 'operator');
  const kick = await postJson(
    `${adminUrl}/admin/v1/commands`,
    { action: 'kick', selector: { region }, reason: 'holders test', totp: await op.totp() },
    op.auth,
  );
  assert.equal(kick.status, 200, JSON.stringify(kick.body));
  return kick.body.ended as number;
}

const lifeline = (t: Parameters<typeof startLifeline>[0]) =>
  startLifeline(t, {
    overrides: { admin: { rateLimit: { perSecond: 1000, burst: 1000 } }, commands: { holdSeconds: 0 } },
  });

test('holders log in over the nodes, hold a socket each, and time each socket’s kicked message from the mark', async (t) => {
  const { app, playerUrl, adminUrl } = await lifeline(t);
  // The same node twice: players alternate between the two entries, as over two nodes.
  const holders = new Holders({
    nodes: [playerUrl, playerUrl],
    prefix: 'h',
    region: 'na',
    shards: ['na-1', 'na-2'],
  });
  t.after(() => holders.close());
  const login = await holders.login(7);
  assert.deepEqual([login.ok, login.failed, login.firstError], [7, 0, null]);
  const opened = await holders.openAll();
  assert.deepEqual([opened.ok, opened.failed, opened.byNode], [7, 0, [4, 3]]);
  assert.equal(app.hub.size, 7, 'Lifeline holds a socket per holder');
  assert.equal(holders.open, 7);

  const sentAt = holders.mark();
  assert.ok(Math.abs(sentAt - Date.now()) < 60_000, 'the mark is on the wall clock');
  const closed = holders.allClosed(30_000);
  assert.equal(await kickRegion(app, adminUrl, 'na'), 7);
  assert.equal(await closed, true);
  const waited = holders.sinceMark();
  assert.equal(holders.open, 0);
  for (const h of holders.holders) {
    assert.equal(h.closeCode, 4001);
    assert.ok(h.timedMs >= 0 && h.timedMs <= waited, `timed within the wait: ${h.timedMs} of ${waited}`);
  }
  assert.deepEqual(
    holders.byNode((h) => !Number.isNaN(h.timedMs)),
    [4, 3],
  );
  assert.equal(holders.unexpected, 0);
  assert.equal(holders.closedBeforeMark, 0);
});

test('a kick before the mark is counted as early closes and unexpected messages, never timed', async (t) => {
  const { app, adminUrl, playerUrl } = await lifeline(t);
  const holders = new Holders({ nodes: [playerUrl], prefix: 'e', region: 'eu', shards: ['eu-1'] });
  t.after(() => holders.close());
  assert.equal((await holders.login(3)).ok, 3);
  assert.equal((await holders.openAll()).ok, 3);
  assert.equal(await kickRegion(app, adminUrl, 'eu'), 3);
  await eventually(async () => (holders.open === 0 ? true : undefined));
  assert.equal(await holders.allClosed(1), true, 'nothing left open');
  assert.equal(holders.closedBeforeMark, 3);
  assert.equal(holders.unexpected, 3);
  assert.ok(holders.holders.every((h) => Number.isNaN(h.timedMs)));
});

test('failed logins and refused sockets are counted with the first error, and the size is bounded', async (t) => {
  const { playerUrl } = await lifeline(t);
  // A port that was free a moment ago: nothing listens, so every login is refused.
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const down = new Holders({
    nodes: [`http://127.0.0.1:${port}`],
    prefix: 'd',
    region: 'na',
    shards: ['na-1'],
  });
  t.after(() => down.close());
  const login = await down.login(4);
  assert.deepEqual([login.ok, login.failed], [0, 4]);
  assert.match(String(login.firstError), /ECONNREFUSED/);
  await assert.rejects(down.login(maxHolders + 1), { code: 'VALIDATION_FAILED', message: /from 1 to 18000/ });
  assert.throws(() => new Holders({ nodes: [], prefix: 'x', region: 'na', shards: ['na-1'] }), {
    code: 'VALIDATION_FAILED',
  });

  const bad = new Holders({ nodes: [playerUrl], prefix: 'b', region: 'na', shards: ['na-1'] });
  t.after(() => bad.close());
  assert.equal((await bad.login(2)).ok, 2);
  for (const h of bad.holders) h.token = 'not-a-token';
  const opened = await bad.openAll();
  assert.deepEqual([opened.ok, opened.failed], [0, 2]);
  assert.match(String(opened.firstError), /upgrade refused: 401/);
  assert.equal(bad.open, 0);
});
