import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addOperatorWithTotp, eventually, login, postJson, startLifeline } from '../../../test/helpers.ts';
import { gameBackend } from '../game.ts';
import { Returning } from './returning.ts';

test('returning players rejoin with the resume tokens a restore releases, then join the game; a spent token is an error', async (t) => {
  const game = await gameBackend({ slots: 4, serviceMs: 1 });
  t.after(() => game.close());
  const { app, playerUrl, adminUrl } = await startLifeline(t, {
    overrides: { admin: { rateLimit: { perSecond: 1000, burst: 1000 } }, commands: { holdSeconds: 0 } },
  });
  for (let i = 0; i < 20; i++) await login(playerUrl, `p-${i}`, 'eu', 'eu-1');
  const op = await addOperatorWithTotp(app, 'op', 'operator');
  const kick = await postJson(
    `${adminUrl}/admin/v1/commands`,
    { action: 'kick', selector: { region: 'eu' }, reason: 'test', totp: await op.totp() },
    op.auth,
  );
  assert.equal(kick.body.ended, 20, JSON.stringify(kick.body));

  const returning = new Returning({ playerUrl, gameJoinUrl: game.joinUrl, seed: 5 });
  t.after(() => returning.close());
  const tokens: string[] = [];
  app.events.on('restore.released', (e) => {
    for (const id of e.disruptionIds) {
      const token = app.tokens.issueResume(id, Date.now());
      tokens.push(token);
      returning.add(token, 100);
    }
  });
  const admin = await addOperatorWithTotp(app, 'root', 'admin');
  const restore = await postJson(
    `${adminUrl}/admin/v1/restores`,
    {
      commandId: kick.body.command.id,
      pacing: { mode: 'fixed', batchSize: 10, intervalMs: 100 },
      totp: await admin.totp(),
    },
    admin.auth,
  );
  assert.equal(restore.status, 202, JSON.stringify(restore.body));
  await eventually(async () => (returning.restored === 20 ? true : undefined));
  assert.equal(returning.errors, 0);
  assert.equal(game.stats.snapshot().answered, 20, 'each joined the game once');

  // A token already redeemed is refused: counted as an error, not retried into a success.
  returning.add(tokens[0] as string, 0);
  await eventually(async () => (returning.errors === 1 ? true : undefined));
  assert.equal(returning.restored, 20);
});
