/**
 * Shared test scaffolding: a real Lifeline on loopback ports with its own temporary data dir,
 * real WebSocket clients, and operators created the way the CLI creates them.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { generate } from 'otplib';
import pino from 'pino';
import WebSocket from 'ws';
import { type App, createApp } from '../src/app.ts';
import { runCli } from '../src/cli/index.ts';
import { type DeepPartial, loadConfig, type Config } from '../src/config/index.ts';

export interface Running {
  app: App;
  config: Config;
  dataDir: string;
  playerUrl: string;
  adminUrl: string;
}

export function tempDir(t: TestContext, prefix = 'lifeline-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
    // The key-encryption key Lifeline creates beside its data directory by default.
    rmSync(`${dir}.kek`, { force: true });
    // The audit anchor, beside it too.
    removeAnchor(`${dir}.anchor`);
  });
  return dir;
}

/**
 * Removes an audit anchor directory. Lifeline makes its checkpoint file append-only with
 * `chattr +a` where it may (as root), and such a file cannot be deleted until that is undone.
 */
export function removeAnchor(dir: string): void {
  try {
    execFileSync('chattr', ['-a', join(dir, 'checkpoints.jsonl')], { stdio: 'ignore' });
  } catch {
    // Not set, not supported, or no file: nothing to undo.
  }
  rmSync(dir, { recursive: true, force: true });
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object'
        ? merge(b as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

const unlimited = { ipPerSecond: 1e6, ipBurst: 1e6, playerPerSecond: 1e6, playerBurst: 1e6 };

/**
 * Player-API limits no test meets: tests (and benches) log thousands of players in from
 * 127.0.0.1, and some one player many times. A test of the limits themselves sets them back
 * (`defaultConfig().player.rateLimit`, `session.maxPerPlayer: 5`).
 */
export const raisedPlayerLimits = {
  player: { rateLimit: { login: unlimited, refresh: unlimited, rejoin: unlimited, upgrade: unlimited } },
  session: { maxPerPlayer: 1_000_000 },
} as const;

/** raisedPlayerLimits as LIFELINE_* variables, for tests and benches that start `serve` processes. */
export const raisedPlayerLimitsEnv: Readonly<Record<string, string>> = {
  LIFELINE_SESSION__MAX_PER_PLAYER: '1000000',
  ...Object.fromEntries(
    ['LOGIN', 'REFRESH', 'REJOIN', 'UPGRADE'].flatMap((route) =>
      ['IP_PER_SECOND', 'IP_BURST', 'PLAYER_PER_SECOND', 'PLAYER_BURST'].map((key) => [
        `LIFELINE_PLAYER__RATE_LIMIT__${route}__${key}`,
        '1000000',
      ]),
    ),
  ),
};

/**
 * The admin API's rate limit raised out of the way, for tests that drive it harder than an
 * operator would (the limit has its own tests); `fastCommands` also drops a bulk command's hold.
 */
export const fastAdmin: DeepPartial<Config> = {
  admin: { rateLimit: { perSecond: 100_000, burst: 100_000 } },
};
export const fastCommands: DeepPartial<Config> = { ...fastAdmin, commands: { holdSeconds: 0 } };

/**
 * Loopback listeners on ephemeral ports, silent logs, the data dir given, player-API limits
 * raised out of the way (raisedPlayerLimits); overrides merge in deep.
 */
export function testConfig(dataDir: string, overrides: DeepPartial<Config> = {}): Config {
  const base = {
    environment: 'test',
    dataDir,
    player: { host: '127.0.0.1', port: 0, rateLimit: raisedPlayerLimits.player.rateLimit },
    session: raisedPlayerLimits.session,
    admin: { host: '127.0.0.1', port: 0 },
    log: { level: 'silent' },
    // Tests start restores moments after start, often on a held clock; the grace has its own test.
    restore: { startupGraceSeconds: 0 },
  };
  return loadConfig({
    env: {},
    cwd: dataDir,
    overrides: merge(base, overrides as Record<string, unknown>) as DeepPartial<Config>,
  });
}

/**
 * Starts a Lifeline on ephemeral ports; closes it when the test ends (or earlier, by hand).
 * `clock` (a TestClock's `now`) puts it on a virtual clock.
 */
export async function startLifeline(
  t: TestContext,
  options: {
    dataDir?: string;
    overrides?: DeepPartial<Config>;
    clock?: () => number;
    /** A logger to read what the node logs (silent otherwise). */
    logger?: pino.Logger;
  } = {},
): Promise<Running> {
  const dataDir = options.dataDir ?? tempDir(t);
  const config = testConfig(dataDir, options.overrides);
  const app = await createApp({
    config,
    logger: options.logger ?? pino({ level: 'silent' }),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const { playerUrl, adminUrl } = await app.listen();
  let closed = false;
  const close = app.close.bind(app);
  (app as { close: () => Promise<void> }).close = async () => {
    if (closed) return;
    closed = true;
    await close();
  };
  t.after(() => app.close());
  return { app, config, dataDir, playerUrl, adminUrl };
}

export async function addOperator(app: App, name: string, role: string): Promise<string> {
  const { token } = await app.operators.add({ name, role }, 'cli:test');
  return token;
}

/** An operator with a way to read their authenticator: `totp()` is the code for now. */
export async function addOperatorWithTotp(
  app: App,
  name: string,
  role: string,
): Promise<{ token: string; totp: () => Promise<string>; auth: Record<string, string> }> {
  const { token, otpauthUri } = await app.operators.add({ name, role }, 'cli:test');
  const secret = new URL(otpauthUri).searchParams.get('secret') as string;
  return { token, totp: () => generate({ secret }), auth: { authorization: `Bearer ${token}` } };
}

/** Polls until `check` returns a value (not undefined), or fails after `ms`. */
export async function eventually<T>(check: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json().catch(() => null), headers: res.headers };
}

export async function getJson(url: string, token?: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, body: await res.json().catch(() => null) };
}

export interface LoggedIn {
  playerId: string;
  sessionId: string;
  accessToken: string;
  refreshToken: string;
}

export async function login(
  playerUrl: string,
  playerId: string,
  region = 'na',
  shard = `${region}-1`,
): Promise<LoggedIn> {
  const res = await postJson(`${playerUrl}/v1/login`, { playerId, region, shard });
  if (res.status !== 200)
    throw new Error(`login ${playerId} answered ${res.status} ${JSON.stringify(res.body)}`);
  return { playerId, ...res.body };
}

/** A control-socket client that records every message and the close code. */
export class Client {
  readonly socket: WebSocket;
  readonly messages: any[] = [];
  closeCode: number | undefined;
  readonly closed: Promise<number>;
  readonly welcomed: Promise<any>;

  constructor(playerUrl: string, accessToken: string) {
    this.socket = new WebSocket(
      `${playerUrl.replace(/^http/, 'ws')}/v1/session?access_token=${encodeURIComponent(accessToken)}`,
    );
    this.closed = new Promise((resolve) => {
      this.socket.once('close', (code) => {
        this.closeCode = code;
        resolve(code);
      });
    });
    this.welcomed = new Promise((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c;
        });
        res.on('end', () => reject(new Error(`upgrade refused: ${res.statusCode} ${body}`)));
        res.on('error', () => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      });
      this.socket.on('message', (data) => {
        const message = JSON.parse(String(data));
        this.messages.push(message);
        if (message.type === 'welcome') resolve(message);
      });
    });
  }

  /**
   * Sends a ping and resolves with the next pong, however long a busy node takes to answer;
   * rejects if the socket closes first.
   */
  ping(): Promise<any> {
    return new Promise((resolve, reject) => {
      const onMessage = (data: unknown) => {
        const message = JSON.parse(String(data));
        if (message.type !== 'pong') return;
        this.socket.off('message', onMessage);
        resolve(message);
      };
      this.socket.on('message', onMessage);
      void this.closed.then((code) => {
        this.socket.off('message', onMessage);
        reject(new Error(`socket closed with ${code} before its pong`));
      });
      this.socket.send(JSON.stringify({ type: 'ping' }));
    });
  }

  /**
   * Sends a WebSocket ping frame every `everyMs`, as a client's heartbeat does, until the
   * returned function is called: a test that waits on something else meanwhile does not let
   * the node take the socket for silent.
   */
  heartbeat(everyMs: number): () => void {
    const timer = setInterval(() => {
      if (this.socket.readyState === WebSocket.OPEN) this.socket.ping();
    }, everyMs);
    return () => clearInterval(timer);
  }

  close(): void {
    this.socket.close();
  }
}

/** Logs `n` players in, 100 at a time, spread over the region's three shards. */
export async function loginMany(
  playerUrl: string,
  prefix: string,
  n: number,
  region = 'na',
): Promise<Awaited<ReturnType<typeof login>>[]> {
  const out: Awaited<ReturnType<typeof login>>[] = [];
  for (let i = 0; i < n; i += 100) {
    out.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(100, n - i) }, (_, j) =>
          login(playerUrl, `${prefix}-${i + j}`, region, `${region}-${((i + j) % 3) + 1}`),
        ),
      )),
    );
  }
  return out;
}

/**
 * Runs the CLI in this process, as an operator at a shell would; its output is captured: `out`
 * is stdout and stderr interleaved, as a terminal shows them; `stdout` and `stderr` apart; `json`
 * is stdout parsed (what a script piping the command reads), undefined if it is not JSON.
 */
export async function runCliCaptured(
  args: string[],
  env: Record<string, string>,
  cwd: string,
  opts: { tty?: boolean } = {},
): Promise<{ code: number; out: string; stdout: string; stderr: string; json: any }> {
  let out = '';
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    env,
    cwd,
    out: (s) => {
      out += `${s}\n`;
      stdout += `${s}\n`;
    },
    err: (s) => {
      out += `${s}\n`;
      stderr += `${s}\n`;
    },
    ...(opts.tty === undefined ? {} : { tty: opts.tty }),
  });
  let json: any;
  try {
    json = JSON.parse(stdout);
  } catch {
    json = undefined;
  }
  return { code, out, stdout, stderr, json };
}

/** An operator as the tests hold one: its bearer header and its authenticator. */
export interface TotpOperator {
  auth: Record<string, string>;
  totp: () => Promise<string>;
}

/** Starts a restore over the admin API with the operator's TOTP; returns its id, or throws. */
export async function startRestore(
  adminUrl: string,
  operator: TotpOperator,
  body: Record<string, unknown>,
): Promise<string> {
  const started = await postJson(
    `${adminUrl}/admin/v1/restores`,
    { ...body, totp: await operator.totp() },
    operator.auth,
  );
  if (started.status !== 202) throw new Error(`restore not started: ${JSON.stringify(started.body)}`);
  return started.body.restore.id as string;
}

/**
 * Logs `playerIds` in on `shard` of `region`, holds their sockets (closed after the test), and
 * kicks the region with `admin`'s TOTP (a small kick, no approval): the players and the command.
 */
export async function kickHeldPlayers(
  t: TestContext,
  urls: { playerUrl: string; adminUrl: string },
  admin: { totp: () => Promise<string>; auth: Record<string, string> },
  playerIds: readonly string[],
  where: { region: string; shard: string },
): Promise<{ clients: Client[]; commandId: string }> {
  const players = await Promise.all(
    playerIds.map((id) => login(urls.playerUrl, id, where.region, where.shard)),
  );
  const clients = players.map((p) => new Client(urls.playerUrl, p.accessToken));
  t.after(() => {
    for (const c of clients) c.close();
  });
  await Promise.all(clients.map((c) => c.welcomed));
  const kicked = await postJson(
    `${urls.adminUrl}/admin/v1/commands`,
    { action: 'kick', selector: { region: where.region }, reason: 'bad shard', totp: await admin.totp() },
    admin.auth,
  );
  assert.equal(kicked.status, 200, JSON.stringify(kicked.body));
  return { clients, commandId: kicked.body.command.id as string };
}

/** Resolves with the next `announcement` frame the client receives. */
export function nextAnnouncement(c: Client): Promise<any> {
  return new Promise((resolve) => {
    const onMessage = (data: unknown) => {
      const m = JSON.parse(String(data));
      if (m.type !== 'announcement') return;
      c.socket.off('message', onMessage);
      resolve(m);
    };
    c.socket.on('message', onMessage);
  });
}

/**
 * The announcements a client has received so far, proven complete: a pong is sent after every
 * frame the node queued before it, so whatever was sent to this socket has arrived.
 */
export async function announcements(c: Client): Promise<string[]> {
  await c.ping();
  return c.messages.filter((m) => m.type === 'announcement').map((m) => m.id as string);
}
