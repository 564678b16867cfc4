/**
 * Issue 12, finding 7: a listener that could not bind left the process serving players with
 * `/ready` 200 and no admin plane, and every storage failure at start was the same vague
 * STORE_UNAVAILABLE. Each failure is now its own code, and `lifeline serve` exits non-zero leaving
 * nothing listening. The server runs as a real child process (`src/main.ts serve`); as root it runs
 * as `nobody`, so that permission denials are real (root bypasses mode bits).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { type TestContext, test } from 'node:test';
import pino from 'pino';
import { createApp } from '../../src/app.ts';
import { isLifelineError } from '../../src/errors/index.ts';
import { tempDir, testConfig } from '../helpers.ts';

const root = join(import.meta.dirname, '../..');
const isRoot = process.getuid?.() === 0;
const nobody = 65534;

/** A directory the (possibly unprivileged) child may work in. */
function workDir(t: TestContext): string {
  const dir = tempDir(t, 'lifeline-startup-');
  if (isRoot) chownSync(dir, nobody, nobody);
  return dir;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Holds a port the way another process would, until the test ends. */
async function occupy(t: TestContext): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  return (server.address() as { port: number }).port;
}

async function refuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

interface Ports {
  player: number;
  admin: number;
}

/** Runs `lifeline serve` until it exits (it must: each case here is a failed start). */
async function serve(
  t: TestContext,
  cwd: string,
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string; ports: Ports }> {
  const ports = {
    player: Number(env.LIFELINE_PLAYER__PORT ?? (await freePort())),
    admin: Number(env.LIFELINE_ADMIN__PORT ?? (await freePort())),
  };
  const child = spawn(process.execPath, [join(root, 'src/main.ts'), 'serve'], {
    cwd,
    env: {
      PATH: process.env.PATH,
      LIFELINE_PLAYER__HOST: '127.0.0.1',
      LIFELINE_ADMIN__HOST: '127.0.0.1',
      LIFELINE_PLAYER__PORT: String(ports.player),
      LIFELINE_ADMIN__PORT: String(ports.admin),
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
    ...(isRoot ? { uid: nobody, gid: nobody } : {}),
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  let deadline: NodeJS.Timeout | undefined;
  t.after(() => {
    clearTimeout(deadline);
    child.kill('SIGKILL');
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('exit', (exitCode) => resolve(exitCode));
    deadline = setTimeout(
      () => reject(new Error(`serve is still running after 60 s: it must exit on a failed start\n${stderr}`)),
      60_000,
    );
  });
  clearTimeout(deadline);
  return { code, stderr, ports };
}

function assertCoded(result: { code: number | null; stderr: string }, code: string): void {
  assert.notEqual(result.code, 0, 'serve exits non-zero');
  assert.notEqual(result.code, null, 'serve exits by itself, not by a signal');
  assert.match(
    result.stderr,
    new RegExp(`^error ${code}: .+`, 'm'),
    `stderr names ${code}:\n${result.stderr}`,
  );
}

test('the admin port in use: serve exits with LISTEN_ADDRESS_IN_USE and closes the player listener it had opened', async (t) => {
  const admin = await occupy(t);
  const result = await serve(t, workDir(t), { LIFELINE_ADMIN__PORT: String(admin) });
  assertCoded(result, 'LISTEN_ADDRESS_IN_USE');
  assert.match(result.stderr, /admin listener/);
  assert.match(result.stderr, /admin\.port/, 'the message names the key to change');
  assert.ok(await refuses(result.ports.player), 'no player listener is left behind');
});

test('the player port in use: LISTEN_ADDRESS_IN_USE, and no admin listener starts', async (t) => {
  const player = await occupy(t);
  const result = await serve(t, workDir(t), { LIFELINE_PLAYER__PORT: String(player) });
  assertCoded(result, 'LISTEN_ADDRESS_IN_USE');
  assert.match(result.stderr, /player listener/);
  assert.ok(await refuses(result.ports.admin));
});

test('a host that is not an address of this machine, or does not resolve: LISTEN_ADDRESS_INVALID', async (t) => {
  // 203.0.113.0/24 is TEST-NET-3: never assigned to a local interface (EADDRNOTAVAIL).
  const foreign = await serve(t, workDir(t), { LIFELINE_ADMIN__HOST: '203.0.113.7' });
  assertCoded(foreign, 'LISTEN_ADDRESS_INVALID');
  assert.ok(await refuses(foreign.ports.player));
  // .invalid never resolves (RFC 6761): ENOTFOUND, or EAI_AGAIN without a resolver.
  const unknown = await serve(t, workDir(t), { LIFELINE_PLAYER__HOST: 'no-such-host.invalid' });
  assertCoded(unknown, 'LISTEN_ADDRESS_INVALID');
  assert.ok(await refuses(unknown.ports.admin));
});

test('a privileged port as an unprivileged user: LISTEN_PERMISSION', async (t) => {
  let firstUnprivileged = 1024;
  try {
    firstUnprivileged = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'));
  } catch {}
  if (firstUnprivileged <= 80) {
    t.skip('this kernel lets anyone bind port 80 (net.ipv4.ip_unprivileged_port_start)');
    return;
  }
  const result = await serve(t, workDir(t), { LIFELINE_PLAYER__PORT: '80' });
  assertCoded(result, 'LISTEN_PERMISSION');
  assert.ok(await refuses(result.ports.admin));
});

test('a data directory this user may not write: DATA_DIR_PERMISSION', async (t) => {
  const dir = workDir(t);
  mkdirSync(join(dir, 'data'));
  // Owned by the test's user, r-x for the owner and nothing for others: the child (this user when
  // not root, nobody when root) cannot create the database in it.
  chmodSync(join(dir, 'data'), 0o500);
  const result = await serve(t, dir, {});
  assertCoded(result, 'DATA_DIR_PERMISSION');
  assert.match(result.stderr, /data/);
  assert.ok(await refuses(result.ports.player));
});

test('a file where the data directory should be: DATA_DIR_CONFLICT (EEXIST and ENOTDIR)', async (t) => {
  const dir = workDir(t);
  writeFileSync(join(dir, 'data'), 'not a directory');
  const atFile = await serve(t, dir, {});
  assertCoded(atFile, 'DATA_DIR_CONFLICT');
  const underFile = await serve(t, dir, { LIFELINE_DATA_DIR: './data/inner' });
  assertCoded(underFile, 'DATA_DIR_CONFLICT');
  assert.ok(await refuses(underFile.ports.player));
});

test('a read-only database file: STORE_READ_ONLY', async (t) => {
  const dir = workDir(t);
  mkdirSync(join(dir, 'data'));
  if (isRoot) chownSync(join(dir, 'data'), nobody, nobody);
  const file = join(dir, 'data', 'lifeline.db');
  const db = new DatabaseSync(file);
  db.exec('CREATE TABLE kept (a INTEGER)');
  db.close();
  chmodSync(file, 0o444);
  const result = await serve(t, dir, {});
  assertCoded(result, 'STORE_READ_ONLY');
  assert.ok(await refuses(result.ports.player));
});

test('a file that is not a SQLite database: STORE_CORRUPT, and the file is left as it was', async (t) => {
  const dir = workDir(t);
  mkdirSync(join(dir, 'data'));
  if (isRoot) chownSync(join(dir, 'data'), nobody, nobody);
  const file = join(dir, 'data', 'lifeline.db');
  const text = 'these are somebody else’s notes, not a database\n'.repeat(100);
  writeFileSync(file, text);
  if (isRoot) chownSync(file, nobody, nobody);
  const result = await serve(t, dir, {});
  assertCoded(result, 'STORE_CORRUPT');
  assert.equal(readFileSync(file, 'utf8'), text, 'Lifeline never rewrites a file it cannot read');
  assert.ok(await refuses(result.ports.player));
});

test('in process: app.listen() rejects with the coded error and closes the player listener it opened', async (t) => {
  const admin = await occupy(t);
  const player = await freePort();
  const config = testConfig(tempDir(t), { player: { port: player }, admin: { port: admin } });
  const app = await createApp({ config, logger: pino({ level: 'silent' }) });
  t.after(() => app.close());
  await assert.rejects(
    app.listen(),
    (err) =>
      isLifelineError(err, 'LISTEN_ADDRESS_IN_USE') &&
      err.details?.listener === 'admin' &&
      err.details?.port === admin,
  );
  assert.ok(await refuses(player), 'the player listener was closed again');
});
