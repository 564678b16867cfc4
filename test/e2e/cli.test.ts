import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { generate } from 'otplib';
import { Client, eventually, login, runCliCaptured, startLifeline, tempDir } from '../helpers.ts';

const root = join(import.meta.dirname, '../..');

function cliIn(dataDir: string, env: Record<string, string> = {}) {
  return (...args: string[]) => runCliCaptured(args, { LIFELINE_DATA_DIR: dataDir, ...env }, dataDir);
}

/**
 * Creates admins through the CLI, keeping each one's TOTP at hand. Past the first, a direct add
 * is break-glass (an operator would request them through the API and a second admin).
 */
function enrolAdmin(cli: ReturnType<typeof cliIn>) {
  return async (name: string) => {
    const r = await cli('operators', 'add', name, '--role', 'admin', '--break-glass', '--json');
    assert.match(r.json.otpauthUri, /^otpauth:\/\/totp\/Lifeline:/);
    const secret = new URL(r.json.otpauthUri).searchParams.get('secret') as string;
    return { token: r.json.token as string, totp: () => generate({ secret }) };
  };
}

test('operators are bootstrapped on the store directly; sessions and kick go through the admin API', async (t) => {
  const running = await startLifeline(t);
  const cli = cliIn(running.dataDir, { LIFELINE_ADMIN_URL: running.adminUrl });

  const added = await cli('operators', 'add', 'root', '--role', 'admin', '--json');
  assert.equal(added.code, 0, added.out);
  const token = added.json.token as string;
  assert.match(token, /^llo_/);
  assert.equal(
    (await cli('operators', 'add', 'root', '--role', 'admin', '--json')).json.error.code,
    'OPERATOR_EXISTS',
  );
  const badRole = await cli('operators', 'add', 'eve', '--role', 'god');
  assert.notEqual(badRole.code, 0);
  assert.deepEqual(
    (await cli('operators', 'list', '--json')).json.operators.map((o: any) => [o.name, o.role]),
    [['root', 'admin']],
  );

  const p = await login(running.playerUrl, 'cli-player', 'eu', 'eu-3');
  const client = new Client(running.playerUrl, p.accessToken);
  t.after(() => client.close());
  await client.welcomed;

  const sessions = await cli('sessions', '--region', 'eu', '--json', '--token', token);
  assert.equal(sessions.code, 0, sessions.out);
  assert.equal(sessions.json.counts.total, 1);
  assert.equal(sessions.json.sessions[0].playerId, 'cli-player');
  const noToken = await cli('sessions', '--json');
  assert.equal(noToken.json.error.code, 'OPERATOR_UNAUTHENTICATED');

  const kicked = await cli(
    'kick',
    '--player',
    'cli-player',
    '--reason',
    'cli drill',
    '--json',
    '--token',
    token,
  );
  assert.equal(kicked.code, 0, kicked.out);
  assert.equal(kicked.json.ended, 1);
  assert.equal(await client.closed, 4001);
  const again = await cli(
    'kick',
    '--player',
    'cli-player',
    '--reason',
    'cli drill',
    '--json',
    '--token',
    token,
  );
  assert.equal(again.code, 1);
  assert.equal(again.json.error.code, 'NO_MATCHING_SESSIONS');

  // Revoking takes effect at once, even against the running server.
  const revoked = await cli('operators', 'revoke', 'root', '--break-glass', '--json');
  assert.equal(revoked.code, 0, revoked.out);
  assert.equal(
    (await cli('sessions', '--json', '--token', token)).json.error.code,
    'OPERATOR_UNAUTHENTICATED',
  );

  // Export: JSONL plus a manifest whose head matches the last line.
  const outDir = tempDir(t);
  const exported = await cli('audit', 'export', '--out', outDir, '--json');
  assert.equal(exported.code, 0, exported.out);
  const lines = readFileSync(exported.json.file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.ok(lines.length >= 4, 'operator add, kick accepted, kick done, revoke');
  assert.equal(exported.json.manifest.count, lines.length);
  assert.equal(exported.json.manifest.lastHash, lines.at(-1).hash);
  assert.ok(existsSync(exported.json.manifestFile));
  const verified = await cli(
    'audit',
    'verify',
    '--json',
    '--checkpoint',
    `${lines.at(-1).seq}:${lines.at(-1).hash}`,
  );
  assert.equal(verified.code, 0, verified.out);
});

test('bad CLI input: an unknown config key is named and nothing starts', async (t) => {
  const dir = tempDir(t);
  const cli = cliIn(dir, { LIFELINE_PLAYER__PROT: '1' });
  const res = await cli('operators', 'list', '--json');
  assert.equal(res.code, 1);
  assert.equal(res.json.error.code, 'CONFIG_INVALID');
  assert.match(res.json.error.message, /LIFELINE_PLAYER__PROT/);
  assert.equal(existsSync(join(dir, 'data')), false, 'no store was created');
});

test('`npm start` (node src/main.ts serve) serves both listeners and drains on SIGTERM', async (t) => {
  const dir = tempDir(t);
  const child = spawn(process.execPath, [join(root, 'src/main.ts'), 'serve'], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      LIFELINE_PLAYER__PORT: '0',
      LIFELINE_PLAYER__HOST: '127.0.0.1',
      LIFELINE_ADMIN__PORT: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => child.kill('SIGKILL'));
  const serving = await new Promise<{ playerUrl: string; adminUrl: string }>((resolve, reject) => {
    let buffered = '';
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      for (const line of buffered.split('\n')) {
        if (line.includes('Lifeline is serving')) resolve(JSON.parse(line));
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
  });
  assert.match(serving.adminUrl, /^http:\/\/127\.0\.0\.1:/, 'the admin listener stays on loopback');
  const health = await fetch(`${serving.playerUrl}/health`);
  assert.equal(health.status, 200);
  const ready = await fetch(`${serving.playerUrl}/ready`);
  assert.equal(ready.status, 200);
  assert.deepEqual(((await ready.json()) as { checks: unknown }).checks, {
    draining: 'no',
    store: 'ok',
    live: 'ok',
  });
  assert.ok(existsSync(join(dir, 'data', 'lifeline.db')), 'data lives under ./data by default');
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
});

test('the guarded path from the CLI: dry run, request with TOTP, approval by another admin, flags, breaker', async (t) => {
  const running = await startLifeline(t, { overrides: { commands: { holdSeconds: 0 } } });
  const cli = cliIn(running.dataDir, { LIFELINE_ADMIN_URL: running.adminUrl });
  const enrol = enrolAdmin(cli);
  const alice = await enrol('alice');
  const bob = await enrol('bob');
  for (let i = 0; i < 60; i++) await login(running.playerUrl, `c-${i}`, 'ap', 'ap-1');

  const dry = await cli(
    'kick',
    '--region',
    'ap',
    '--reason',
    'bad patch',
    '--dry-run',
    '--json',
    '--token',
    alice.token,
  );
  assert.equal(dry.code, 0, dry.out);
  assert.equal(dry.json.plan.count, 60);
  assert.equal(dry.json.policy.approvals, 1);
  const human = await cli(
    'kick',
    '--region',
    'ap',
    '--reason',
    'bad patch',
    '--dry-run',
    '--token',
    alice.token,
  );
  assert.match(human.out, /dry run: 60 session\(s\) of 60 online/);

  const asked = await cli(
    'kick',
    '--region',
    'ap',
    '--reason',
    'bad patch',
    '--totp',
    await alice.totp(),
    '--json',
    '--token',
    alice.token,
  );
  assert.equal(asked.code, 0, asked.out);
  assert.equal(asked.json.command.state, 'awaiting-approval');
  // Kept, to be replayed below: asking for "the current code" again could land in the next
  // 30-s step on a loaded machine, and a fresh code is rightly accepted.
  const bobsCode = await bob.totp();
  const approved = await cli(
    'approve',
    asked.json.command.id,
    '--totp',
    bobsCode,
    '--json',
    '--token',
    bob.token,
  );
  assert.equal(approved.code, 0, approved.out);
  await running.app.commands.settle();
  const shown = await cli('command', asked.json.command.id, '--json', '--token', alice.token);
  assert.equal(shown.json.command.state, 'done');
  assert.equal(shown.json.command.progress.ended, 60);

  const set = await cli(
    'flags',
    'set',
    'kicks.enabled',
    'false',
    '--reason',
    'freeze',
    '--json',
    '--token',
    alice.token,
  );
  assert.equal(set.code, 0, set.out);
  const bad = await cli(
    'flags',
    'set',
    'kicks.enabled',
    'maybe',
    '--reason',
    'freeze',
    '--json',
    '--token',
    alice.token,
  );
  assert.equal(bad.json.error.code, 'FLAG_VALUE_INVALID');
  const list = await cli('flags', 'list', '--json', '--token', alice.token);
  assert.equal(list.json.flags.find((f: any) => f.key === 'kicks.enabled').value, false);
  const status = await cli('breaker', 'status', '--json', '--token', alice.token);
  assert.equal(status.json.breaker.state, 'closed');
  const reset = await cli(
    'breaker',
    'reset',
    '--totp',
    bobsCode,
    '--reason',
    'x-y',
    '--json',
    '--token',
    bob.token,
  );
  assert.equal(reset.json.error.code, 'TOTP_REPLAYED', 'bob spent this step’s code on the approval');
});

test('restore from the CLI: plan, start with the seed playbook flags, status, pause, resume, cancel', async (t) => {
  const running = await startLifeline(t, { overrides: { commands: { holdSeconds: 0 } } });
  const cli = cliIn(running.dataDir, { LIFELINE_ADMIN_URL: running.adminUrl });
  const enrol = enrolAdmin(cli);
  const alice = await enrol('alice');
  const bob = await enrol('bob');
  const carol = await enrol('carol');
  for (let i = 0; i < 60; i++) await login(running.playerUrl, `r-${i}`, 'eu', 'eu-2');
  const asked = await cli(
    'kick',
    '--region',
    'eu',
    '--reason',
    'bad patch',
    '--totp',
    await alice.totp(),
    '--json',
    '--token',
    alice.token,
  );
  await cli('approve', asked.json.command.id, '--totp', await bob.totp(), '--json', '--token', bob.token);
  await running.app.commands.settle();
  const commandId = asked.json.command.id as string;

  const plan = await cli('restore', 'plan', '--command', commandId, '--json', '--token', carol.token);
  assert.equal(plan.code, 0, plan.out);
  assert.equal(plan.json.plan.restorable, 60);
  const badInterval = await cli(
    'restore',
    'start',
    '--command',
    commandId,
    '--interval',
    'soon',
    '--json',
    '--token',
    carol.token,
  );
  assert.equal(badInterval.json.error.code, 'VALIDATION_FAILED');
  const started = await cli(
    'restore',
    'start',
    '--command',
    commandId,
    '--batch-size',
    '20',
    '--interval',
    '5s',
    '--max-cpu',
    '500',
    '--totp',
    await carol.totp(),
    '--json',
    '--token',
    carol.token,
  );
  assert.equal(started.code, 0, started.out);
  const id = started.json.restore.id as string;
  const status = await eventually(async () => {
    const s = await cli('restore', 'status', id, '--json', '--token', carol.token);
    return s.json.counts.ticketed > 0 ? s : undefined;
  });
  assert.equal(status.json.restore.state, 'running');
  assert.equal(status.json.counts.ticketed, 20, 'the first batch of 20 went out at once; the next waits 5 s');
  const paused = await cli('restore', 'pause', id, '--reason', 'looking', '--json', '--token', carol.token);
  assert.equal(paused.json.restore.state, 'paused');
  const resumed = await cli('restore', 'resume', id, '--reason', 'fine', '--json', '--token', carol.token);
  assert.equal(resumed.json.restore.state, 'running');
  const cancelled = await cli(
    'restore',
    'cancel',
    id,
    '--reason',
    'done here',
    '--json',
    '--token',
    carol.token,
  );
  assert.equal(cancelled.json.restore.state, 'cancelled');
  const human = await cli('restore', 'status', id, '--token', carol.token);
  assert.match(human.out, /: cancelled \(done here\); restored 0, ticketed 20, pending 40/);
});

test('operators from the CLI: one admin requests, another approves and gets the enrolment token, the new operator enrols', async (t) => {
  const running = await startLifeline(t);
  const cli = cliIn(running.dataDir, { LIFELINE_ADMIN_URL: running.adminUrl });
  const enrol = enrolAdmin(cli);
  const [alice, bob, carol, dave] = [
    await enrol('alice'),
    await enrol('bob'),
    await enrol('carol'),
    await enrol('dave'),
  ];

  const asked = await cli(
    'operators',
    'request',
    'newbie',
    '--role',
    'viewer',
    '--totp',
    await alice.totp(),
    '--json',
    '--token',
    alice.token,
  );
  assert.equal(asked.code, 0, asked.out);
  assert.equal(asked.json.command.state, 'awaiting-approval');
  const requesterPart = asked.json.enrolment.requesterPart as string;
  const approved = await cli(
    'approve',
    asked.json.command.id,
    '--totp',
    await bob.totp(),
    '--token',
    bob.token,
  );
  assert.equal(approved.code, 0, approved.out);
  const token = /^(lle_\S+)$/m.exec(approved.out)?.[1];
  assert.ok(token, approved.out);

  const enrolled = await cli('operators', 'enrol', token, '--requester-part', requesterPart, '--json');
  assert.equal(enrolled.code, 0, enrolled.out);
  assert.match(enrolled.json.token, /^llo_/);
  assert.match(enrolled.json.otpauthUri, /^otpauth:\/\/totp\/Lifeline:newbie\?/);
  assert.equal(
    (await cli('operators', 'enrol', token, '--requester-part', requesterPart, '--json')).json.error.code,
    'ENROLMENT_INVALID',
  );
  assert.equal(
    (await cli('sessions', '--json', '--token', enrolled.json.token)).code,
    0,
    'a viewer reads sessions',
  );

  const promote = await cli(
    'operators',
    'set-role',
    'newbie',
    'operator',
    '--totp',
    await carol.totp(),
    '--json',
    '--token',
    carol.token,
  );
  assert.equal(promote.code, 0, promote.out);
  const done = await cli(
    'approve',
    promote.json.command.id,
    '--totp',
    await dave.totp(),
    '--json',
    '--token',
    dave.token,
  );
  assert.equal(done.json.command.state, 'done', done.out);
  const { lastSeenAt, ...newbie } = (await cli('operators', 'list', '--json')).json.operators.find(
    (o: { name: string }) => o.name === 'newbie',
  );
  assert.deepEqual(newbie, {
    id: enrolled.json.operator.id,
    name: 'newbie',
    role: 'operator',
    revoked: false,
  });
  assert.equal(typeof lastSeenAt, 'number', 'newbie used their token: their last use is kept');
});
