/**
 * Acceptance (issue 17): each CLI error case of the walkthrough (unknown region, overlap, missing
 * TOTP, too-short reason, busy port, wrong admin URL) prints a coded error with its details in
 * CLI terms; and `lifeline restore status --watch --json | head` streams JSON lines off a
 * terminal (a child process whose reader stops after three lines, as `head -3` does).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import {
  addOperatorWithTotp,
  fastAdmin,
  kickHeldPlayers,
  postJson,
  runCliCaptured,
  startLifeline,
  startRestore,
  tempDir,
} from '../helpers.ts';

const root = join(import.meta.dirname, '../..');

/** The output's `error CODE: message` line and the detail lines under it. */
function coded(out: string, code: string): string {
  const at = out.indexOf(`error ${code}: `);
  assert.ok(at >= 0, `expected error ${code}, got:\n${out}`);
  return out.slice(at);
}

/** A port nothing listens on: bound, then let go. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `lifeline <args>` in a child process, its stdout piped, until it exits by itself. */
function child(args: string[], env: Record<string, string>, cwd: string) {
  return spawn(process.execPath, [join(root, 'src/main.ts'), ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function exited(p: ReturnType<typeof child>): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  p.stderr?.on('data', (c) => {
    stderr += c;
  });
  const code = await new Promise<number | null>((resolve) => p.once('exit', resolve));
  return { code, stderr };
}

test("the walkthrough's CLI errors are coded, with their details in CLI terms", async (t) => {
  const running = await startLifeline(t, {
    overrides: fastAdmin,
  });
  const { app, playerUrl, adminUrl, dataDir } = running;
  const alice = await addOperatorWithTotp(app, 'alice', 'admin');
  const carol = await addOperatorWithTotp(app, 'carol', 'admin');
  const env = { LIFELINE_DATA_DIR: dataDir, LIFELINE_ADMIN_URL: adminUrl, LIFELINE_TOKEN: alice.token };
  const cli = (...args: string[]) => runCliCaptured(args, env, dataDir);

  const region = await cli('kick', '--region', 'mars', '--reason', 'bad deploy', '--dry-run');
  assert.equal(region.code, 1);
  assert.match(
    coded(region.out, 'UNKNOWN_REGION'),
    /\n {2}known: \w+(, \w+)*\n {2}HTTP status: 400\n {2}admin URL: http:\/\/127\.0\.0\.1:\d+/,
  );

  const short = await cli('ban', 'p-1', '--reason', 'ab');
  assert.match(
    coded(short.out, 'VALIDATION_FAILED'),
    /^error VALIDATION_FAILED: --reason must be at least 3 characters$/m,
  );
  assert.doesNotMatch(short.out, /body\//, 'no request-body path');
  const json = await cli('ban', 'p-1', '--reason', 'ab', '--json');
  assert.deepEqual(
    { code: json.json.error.code, status: json.json.error.status, adminUrl: json.json.error.adminUrl },
    { code: 'VALIDATION_FAILED', status: 400, adminUrl },
  );

  // Two players kicked, then a restore of them: without TOTP, then overlapping a running one.
  const { commandId } = await kickHeldPlayers(t, { playerUrl, adminUrl }, alice, ['e-1', 'e-2'], {
    region: 'eu',
    shard: 'eu-1',
  });
  const noTotp = await cli('restore', 'start', '--command', commandId);
  assert.match(coded(noTotp.out, 'TOTP_REQUIRED'), /\n {2}HTTP status: 401/);
  const restoreId = await startRestore(adminUrl, carol, {
    commandId,
    pacing: { mode: 'fixed', batchSize: 1, intervalMs: 60_000 },
  });
  const paused = await postJson(
    `${adminUrl}/admin/v1/restores/${restoreId}/pause`,
    { reason: 'hold on' },
    carol.auth,
  );
  assert.equal(paused.status, 200);
  const overlap = await cli('restore', 'start', '--command', commandId);
  assert.match(coded(overlap.out, 'RESTORE_OVERLAP'), /\n {2}overlapping: \d+ disruption\(s\) already owned/);

  // Aimed wrongly: at the player port, and at a port nothing listens on.
  const wrong = await runCliCaptured(['commands'], { ...env, LIFELINE_ADMIN_URL: playerUrl }, dataDir);
  assert.match(coded(wrong.out, 'ADMIN_URL_WRONG'), new RegExp(`admin URL: ${playerUrl}`));
  const port = await closedPort();
  const gone = await runCliCaptured(
    ['commands'],
    { ...env, LIFELINE_ADMIN_URL: `http://127.0.0.1:${port}` },
    dataDir,
  );
  assert.match(coded(gone.out, 'ADMIN_UNREACHABLE'), /ECONNREFUSED/);
  const context = await cli('context');
  assert.match(
    context.out,
    new RegExp(`^admin URL: ${adminUrl} \\(from LIFELINE_ADMIN_URL\\); answers as alice \\(admin\\)$`, 'm'),
  );
  assert.match(context.out, /^store: {5}sqlite \S+lifeline\.db$/m);

  // The busy port: the running node's admin port.
  const workDir = tempDir(t);
  const serve = child(
    ['serve'],
    {
      LIFELINE_DATA_DIR: workDir,
      LIFELINE_PLAYER__HOST: '127.0.0.1',
      LIFELINE_ADMIN__HOST: '127.0.0.1',
      LIFELINE_PLAYER__PORT: String(await closedPort()),
      LIFELINE_ADMIN__PORT: new URL(adminUrl).port,
    },
    workDir,
  );
  t.after(() => serve.kill('SIGKILL'));
  const served = await exited(serve);
  assert.equal(served.code, 1);
  assert.match(
    coded(served.stderr, 'LISTEN_ADDRESS_IN_USE'),
    /\n {2}listener: admin\n {2}host: 127\.0\.0\.1\n {2}port: \d+/,
  );

  // --watch --json off a terminal: a JSON line per poll; the reader stops after three.
  const watch = child(
    ['restore', 'status', restoreId, '--watch', '--json', '--interval', '50ms'],
    env,
    dataDir,
  );
  t.after(() => watch.kill('SIGKILL'));
  const done = exited(watch);
  const lines: string[] = [];
  for await (const line of createInterface({ input: watch.stdout })) {
    lines.push(line);
    if (lines.length === 3) break;
  }
  watch.stdout.destroy();
  const { code, stderr } = await done;
  assert.equal(lines.length, 3, stderr);
  for (const line of lines) assert.equal(JSON.parse(line).restore.id, restoreId);
  assert.equal(JSON.parse(lines[0] as string).restore.state, 'paused');
  assert.equal(code, 0, `the watcher ends quietly once its reader is gone: ${stderr}`);
  assert.equal(stderr, '');
});
