/**
 * Compensation and the post-mortem on a real SQLite node, through the CLI: kicks inside a
 * resolved incident's window; a dry run counts, a run grants one per affected player, a second
 * run (another admin) grants nobody; the CSV has a row per grant. The 5-whys and an action item
 * are set by the CLI and every post-mortem section renders.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { postmortemSections } from '../../src/incidents/index.ts';
import {
  addOperator,
  addOperatorWithTotp,
  Client,
  fastCommands,
  login,
  postJson,
  runCliCaptured,
  startLifeline,
  tempDir,
} from '../helpers.ts';

test('compensate twice grants once, the dry run counts the grants made; the post-mortem renders every section', async (t) => {
  const { app, playerUrl, adminUrl, dataDir } = await startLifeline(t, { overrides: fastCommands });
  const carol = await addOperator(app, 'carol', 'operator');
  const alice = await addOperatorWithTotp(app, 'alice', 'admin');
  const bob = await addOperatorWithTotp(app, 'bob', 'admin');
  const cli = (token: string, ...args: string[]) =>
    runCliCaptured([...args, '--token', token, '--json'], { LIFELINE_ADMIN_URL: adminUrl }, dataDir);
  const declared = await cli(carol, 'incident', 'declare', 'players kicked', '--severity', 'P0');
  assert.equal(declared.code, 0, declared.out);
  const id = declared.json.incident.id as string;
  const players = [
    ['p-1', 'eu'],
    ['p-2', 'na'],
    ['p-3', 'na'],
  ] as const;
  for (const [player, region] of players) {
    const session = await login(playerUrl, player, region, `${region}-1`);
    const client = new Client(playerUrl, session.accessToken);
    t.after(() => client.close());
    await client.welcomed;
    const kicked = await postJson(
      `${adminUrl}/admin/v1/commands`,
      { action: 'kick', selector: { sessionId: session.sessionId }, reason: 'drill' },
      { authorization: `Bearer ${carol}` },
    );
    assert.equal(kicked.status, 200, JSON.stringify(kicked.body));
    await client.closed;
  }
  const early = await cli(alice.token, 'incident', 'compensate', id, '--grant', '7 days', '--dry-run');
  assert.notEqual(early.code, 0);
  assert.match(early.out, /INCIDENT_NOT_RESOLVED/);
  assert.equal((await cli(carol, 'incident', 'status', id, 'resolved')).code, 0);

  const byOperator = await cli(carol, 'incident', 'compensate', id, '--grant', '7 days', '--dry-run');
  assert.match(byOperator.out, /OPERATOR_FORBIDDEN/, 'an operator may not compensate: admin only');
  const noTotp = await cli(alice.token, 'incident', 'compensate', id, '--grant', '7 days');
  assert.notEqual(noTotp.code, 0, 'a real run needs the TOTP step-up');
  const dry = await cli(alice.token, 'incident', 'compensate', id, '--grant', '7 days', '--dry-run');
  assert.equal(dry.code, 0, dry.out);
  const impact = await cli(carol, 'incident', 'impact', id);
  assert.equal(dry.json.run.granted, impact.json.impact.players.affected);
  const csv = join(tempDir(t, 'lifeline-grants-'), 'grants.csv');
  const first = await cli(
    alice.token,
    'incident',
    'compensate',
    id,
    '--grant',
    '7 days',
    '--totp',
    await alice.totp(),
    '--csv',
    csv,
  );
  assert.equal(first.code, 0, first.out);
  assert.equal(first.json.run.granted, dry.json.run.granted, "the dry run's count equals the grants made");
  const second = await cli(
    bob.token,
    'incident',
    'compensate',
    id,
    '--grant',
    '7 days',
    '--totp',
    await bob.totp(),
  );
  assert.equal(second.code, 0, second.out);
  assert.equal(second.json.run.granted, 0, 'twice grants once');
  assert.equal(readFileSync(csv, 'utf8').trimEnd().split('\r\n').length, first.json.run.granted + 1);

  const rc = await cli(
    carol,
    'incident',
    'rootcause',
    id,
    '--why',
    'players were kicked',
    'a script looped',
    '--root-cause',
    'no kick rate limit',
    '--went-well',
    'breaker tripped',
  );
  assert.equal(rc.code, 0, rc.out);
  const added = await cli(
    carol,
    'incident',
    'actions',
    'add',
    id,
    'cap kicks per minute',
    '--owner',
    'dave',
    '--due',
    String(Date.now() + 86_400_000),
  );
  assert.equal(added.code, 0, added.out);
  const listed = await cli(carol, 'incident', 'actions', id);
  assert.equal(listed.json.actions.length, 1);
  assert.equal(listed.json.actions[0].overdue, false);
  const pm = await cli(carol, 'incident', 'postmortem', id);
  assert.equal(pm.code, 0, pm.out);
  const markdown = pm.json.markdown as string;
  for (const s of postmortemSections) assert.ok(markdown.includes(`## ${s}\n`), s);
  assert.match(markdown, /2\. Why\? a script looped/);
  assert.match(markdown, /cap kicks per minute/);
  assert.match(markdown, new RegExp(`Users affected: ${impact.json.impact.players.affected} `));
  const done = await cli(carol, 'incident', 'actions', 'set', id, added.json.action.id, '--status', 'done');
  assert.equal(done.json.action.status, 'done');
  assert.equal((await cli(carol, 'incident', 'actions', 'rm', id, added.json.action.id)).code, 0);
});
