/**
 * Acceptance (issue 17): a restore's start, each pause with its reason and its end appear as
 * `info` log lines (pino JSON, with the restore's id); access lines do not, at the default level.
 * The node logs at `debug` into memory, so the test also sees that access lines exist, one level
 * below what an `info` log shows.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import {
  addOperatorWithTotp,
  eventually,
  fastAdmin,
  kickHeldPlayers,
  postJson,
  startLifeline,
  startRestore,
} from '../helpers.ts';

interface Line {
  level: number;
  msg: string;
  event?: string;
  restoreId?: string;
  commandId?: string;
  reason?: string | null;
  req?: unknown;
}

const INFO = 30;

test('a restore tells its story at info; access lines stay at debug', async (t) => {
  const lines: Line[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Line) });
  const { app, playerUrl, adminUrl } = await startLifeline(t, {
    logger,
    overrides: fastAdmin,
  });
  const alice = await addOperatorWithTotp(app, 'alice', 'admin');
  // A TOTP code is spent once: the restore is carol's, the kick alice's.
  const carol = await addOperatorWithTotp(app, 'carol', 'admin');
  const { clients, commandId } = await kickHeldPlayers(
    t,
    { playerUrl, adminUrl },
    alice,
    ['log-1', 'log-2'],
    { region: 'eu', shard: 'eu-1' },
  );
  await Promise.all(clients.map((c) => c.closed));
  const resumeTokens = clients.map((c) => c.messages.at(-1).resumeToken as string);

  const id = await startRestore(adminUrl, carol, {
    commandId,
    pacing: { mode: 'fixed', batchSize: 1, intervalMs: 100 },
  });
  const control = async (verb: string, reason: string) => {
    const r = await postJson(`${adminUrl}/admin/v1/restores/${id}/${verb}`, { reason }, carol.auth);
    assert.equal(r.status, 200, JSON.stringify(r.body));
  };
  await control('pause', 'watching the login graphs');
  await control('resume', 'graphs are calm');
  for (const resumeToken of resumeTokens)
    await eventually(async () => {
      const r = await postJson(`${playerUrl}/v1/rejoin`, { resumeToken });
      return r.status === 200 ? true : undefined;
    });
  await eventually(async () => (lines.some((l) => l.event === 'restore.finished') ? true : undefined));

  const info = lines.filter((l) => l.level >= INFO);
  const story = info.filter((l) => l.restoreId === id).map((l) => l.event);
  assert.deepEqual(story, ['restore.started', 'restore.paused', 'restore.resumed', 'restore.finished']);
  const paused = info.find((l) => l.event === 'restore.paused');
  assert.equal(paused?.reason, 'operator carol: watching the login graphs');
  assert.match(paused?.msg ?? '', /watching the login graphs/);
  assert.ok(
    info.every((l) => l.level === INFO || l.event === undefined),
    'domain events are info',
  );
  assert.ok(
    info.some((l) => l.event === 'command.requested' && l.commandId === commandId),
    'the kick is in the story too',
  );

  const access = (l: Line) => l.req !== undefined || /^(incoming request|request completed)$/.test(l.msg);
  assert.deepEqual(info.filter(access), [], 'no access line at info');
  assert.ok(
    lines.some((l) => l.level < INFO && access(l)),
    'access lines exist, at debug',
  );
});
