import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { App } from '../../src/app.ts';
import type { CommandRecord } from '../../src/commands/records.ts';
import { addOperatorWithTotp, getJson, login, postJson, startLifeline } from '../helpers.ts';

type Advance = App['store']['advanceCommand'];

/**
 * Runs `before` once, just before the first compare-and-set on a command that `matches`, as if
 * another request had landed between the caller's read and its write.
 */
function interleave(
  app: App,
  matches: (next: CommandRecord) => boolean,
  before: () => Promise<unknown>,
): void {
  const store = app.store;
  const original: Advance = store.advanceCommand.bind(store);
  let armed = true;
  store.advanceCommand = async (next, from, disruptions) => {
    if (armed && matches(next)) {
      armed = false;
      await before();
    }
    return original(next, from, disruptions);
  };
}

async function auditActions(app: App, id: string): Promise<string[]> {
  const entries = await app.audit.list({ limit: 1000 });
  return entries.filter((e) => e.details.commandId === id).map((e) => e.action);
}

test('a halt landing while an inline kick writes its wave: the kick answers 409 COMMAND_HALTED, not 500', async (t) => {
  const { app, playerUrl, adminUrl } = await startLifeline(t);
  const player = await login(playerUrl, 'racer');
  const alice = await addOperatorWithTotp(app, 'alice', 'operator');
  await addOperatorWithTotp(app, 'bob', 'operator');
  const bobOperator = await app.store.findOperator({ name: 'bob' });
  assert.ok(bobOperator);
  let haltedId: string | undefined;
  // The wave's write (running -> done) finds the command halted by bob a moment before.
  interleave(
    app,
    (next) => next.state === 'done',
    async (): Promise<void> => {
      const [running] = await app.store.listCommands(['running']);
      assert.ok(running, 'the inline kick is running');
      haltedId = running.id;
      await app.commands.halt(running.id, bobOperator, 'wrong player');
    },
  );
  const kicked = await postJson(
    `${adminUrl}/admin/v1/commands`,
    { action: 'kick', selector: { playerId: 'racer' }, reason: 'cheating' },
    alice.auth,
  );
  assert.equal(kicked.status, 409, JSON.stringify(kicked.body));
  assert.equal(kicked.body.error.code, 'COMMAND_HALTED');
  assert.equal(kicked.body.error.ended, 0);
  assert.ok(haltedId);
  const command = (await getJson(`${adminUrl}/admin/v1/commands/${haltedId}`, alice.token)).body.command;
  assert.equal(command.state, 'halted');
  assert.equal(command.haltCode, 'COMMAND_HALTED');
  assert.equal(command.haltReason, 'halted by bob: wrong player');
  assert.ok(await app.live.getSession(player.sessionId), 'the wave was undone: the player is still online');
  assert.deepEqual(await auditActions(app, haltedId), ['command.request', 'command.wave', 'command.halt']);
});

test('a halt that loses its compare-and-set writes no audit entry', async (t) => {
  const { app, playerUrl, adminUrl } = await startLifeline(t);
  await login(playerUrl, 'bystander');
  const alice = await addOperatorWithTotp(app, 'alice', 'admin');
  const bob = await addOperatorWithTotp(app, 'bob', 'admin');
  const kick = { action: 'kick', selector: { all: true }, reason: 'maintenance', totp: await alice.totp() };
  // An all-kick waits for a second admin: that wait is what this halt races.
  const requested = await postJson(`${adminUrl}/admin/v1/commands`, kick, alice.auth);
  assert.equal(requested.status, 202, JSON.stringify(requested.body));
  const id = requested.body.command.id as string;
  // Between the halt's read and its write, the command is rejected (as a late approval does).
  interleave(
    app,
    (next) => next.state === 'halted',
    async () => {
      const waiting = await app.store.getCommand(id);
      assert.ok(waiting);
      const rejected = { ...waiting, state: 'rejected' as const, haltCode: 'COMMAND_EXPIRED' as const };
      assert.equal(await app.store.advanceCommand(rejected, ['awaiting-approval']), true);
    },
  );
  const halted = await postJson(
    `${adminUrl}/admin/v1/commands/${id}/halt`,
    { reason: 'not needed' },
    bob.auth,
  );
  assert.equal(halted.status, 409, JSON.stringify(halted.body));
  assert.equal(halted.body.error.code, 'COMMAND_FINISHED');
  assert.deepEqual(await auditActions(app, id), ['command.request']);
});
