/**
 * Lifeline nodes as separate processes (`node src/main.ts serve`) sharing one PostgreSQL schema
 * and one Redis prefix: the scale-out tests and bench/cluster.ts start them here.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'otplib';
import { raisedPlayerLimitsEnv, removeAnchor, runCliCaptured } from './helpers.ts';
import type { Services } from './services.ts';

const root = join(import.meta.dirname, '..');

export interface ClusterSpec {
  pgUrl: string;
  schema: string;
  redisUrl: string;
  prefix: string;
  /** More LIFELINE_* variables, the same for every node. */
  env?: Record<string, string>;
  /**
   * The nodes' log level. At `info` (the default) a node logs every request and says "Lifeline
   * is serving" with its ports; above it (`warn`, `silent`, ...) it says nothing when ready, so
   * it is started on ports picked here beforehand and polled on `/ready` instead.
   */
  logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export interface NodeProcess {
  nodeId: string;
  playerUrl: string;
  adminUrl: string;
  child: ChildProcessWithoutNullStreams;
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<number | string>;
  /** What the node wrote to stderr, for a failing test's message. */
  stderr(): string;
  /** What the node logged to stdout, kept only at a log level above `info` (at info it is every request). */
  stdout(): string;
}

/** One random KEK per cluster (its schema): the nodes share the store, so they share the key that seals it. */
const keks = new Map<string, string>();

/** The environment every node of the cluster shares (and the CLI, for direct commands). */
export function clusterEnv(spec: ClusterSpec, dataDir: string): Record<string, string> {
  let kek = keks.get(spec.schema);
  if (kek === undefined) {
    kek = randomBytes(32).toString('base64');
    keks.set(spec.schema, kek);
  }
  return {
    ...raisedPlayerLimitsEnv,
    LIFELINE_DATA_DIR: dataDir,
    LIFELINE_SECRETS__KEY: kek,
    LIFELINE_STORE__KIND: 'postgres',
    LIFELINE_STORE__POSTGRES__URL: spec.pgUrl,
    LIFELINE_STORE__POSTGRES__SCHEMA: spec.schema,
    LIFELINE_LIVE__KIND: 'redis',
    LIFELINE_LIVE__REDIS__URL: spec.redisUrl,
    LIFELINE_LIVE__REDIS__PREFIX: spec.prefix,
    // Each node (and each CLI run) has its own anchor beside its own data directory here, so no
    // one anchor sees every writer's checkpoints.
    LIFELINE_AUDIT__ANCHOR__SHARED: 'false',
    // As testConfig: a restore started seconds after its node (every test's) would otherwise wait
    // out the 15-s start-up grace before releasing anyone; a test of the grace sets it.
    LIFELINE_RESTORE__STARTUP_GRACE_SECONDS: '0',
    ...spec.env,
  };
}

/** Ports handed out to nodes by this process, so two nodes starting together never get the same one. */
const handedOut = new Set<number>();

/** A loopback port free right now, for a node that will not say which port it took. */
async function freePort(): Promise<number> {
  for (;;) {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

const chatty = new Set(['info', 'debug', 'trace']);

/** Starts one node process on loopback ports; resolves once it is serving. */
export async function startNode(spec: ClusterSpec, nodeId: string): Promise<NodeProcess> {
  const quiet = spec.logLevel !== undefined && !chatty.has(spec.logLevel);
  const [playerPort, adminPort] = quiet ? [await freePort(), await freePort()] : [0, 0];
  const dataDir = mkdtempSync(join(tmpdir(), `lifeline-${nodeId}-`));
  const child = spawn(process.execPath, [join(root, 'src/main.ts'), 'serve'], {
    cwd: dataDir,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      ...clusterEnv(spec, dataDir),
      ...(spec.logLevel === undefined ? {} : { LIFELINE_LOG__LEVEL: spec.logLevel }),
      LIFELINE_NODE_ID: nodeId,
      LIFELINE_PLAYER__HOST: '127.0.0.1',
      LIFELINE_PLAYER__PORT: String(playerPort),
      LIFELINE_ADMIN__HOST: '127.0.0.1',
      LIFELINE_ADMIN__PORT: String(adminPort),
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => {
      rmSync(dataDir, { recursive: true, force: true });
      removeAnchor(`${dataDir}.anchor`);
      resolve(code ?? signal ?? 'unknown');
    }),
  );
  const failed = exited.then((code) => {
    throw new Error(`${nodeId} exited with ${code} before serving: ${stderr}`);
  });
  failed.catch(() => {});
  const serve = async (): Promise<{ playerUrl: string; adminUrl: string }> => {
    if (quiet) {
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
      });
      return Promise.race([
        untilReady(
          `http://127.0.0.1:${playerPort}`,
          `http://127.0.0.1:${adminPort}`,
          nodeId,
          () => child.exitCode !== null || child.signalCode !== null,
        ),
        failed,
      ]);
    }
    return new Promise<{ playerUrl: string; adminUrl: string }>((resolve, reject) => {
      let buffered = '';
      child.stdout.on('data', (chunk) => {
        buffered += chunk;
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) {
          if (line.includes('Lifeline is serving')) resolve(JSON.parse(line));
        }
      });
      void failed.catch(reject);
      setTimeout(
        () => reject(new Error(`${nodeId} did not log "Lifeline is serving" within 30 s`)),
        30_000,
      ).unref();
    });
  };
  let serving: { playerUrl: string; adminUrl: string };
  try {
    serving = await serve();
  } catch (err) {
    // A node that never became ready is not left behind.
    child.kill('SIGKILL');
    throw err;
  }
  return { nodeId, ...serving, child, exited, stderr: () => stderr, stdout: () => stdout };
}

/** Polls a quiet node until its player listener says ready and its admin listener answers. */
async function untilReady(
  playerUrl: string,
  adminUrl: string,
  nodeId: string,
  gone: () => boolean,
): Promise<{ playerUrl: string; adminUrl: string }> {
  const until = Date.now() + 30_000;
  const answers = async (url: string, ok: (status: number) => boolean) => {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      return ok(res.status);
    } catch {
      return false;
    }
  };
  while (Date.now() < until && !gone()) {
    // The admin listener opens just after the player one; any answer means it is listening.
    if (
      (await answers(`${playerUrl}/ready`, (s) => s === 200)) &&
      (await answers(`${adminUrl}/admin/v1/whoami`, () => true))
    ) {
      return { playerUrl, adminUrl };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${nodeId} was not ready on ${playerUrl}/ready within 30 s`);
}

/** A cluster on a fresh schema and key prefix of `services`, its nodes sharing `env`. */
export function freshSpec(services: Services, env: Record<string, string> = {}): ClusterSpec {
  const { pgUrl, redisUrl } = services;
  return { pgUrl, schema: services.schema(), redisUrl, prefix: services.prefix(), env };
}

/** Starts nodes `node-1` … `node-n` together, as a deployment would. */
export async function startCluster(spec: ClusterSpec, n: number): Promise<NodeProcess[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => startNode(spec, `node-${i + 1}`)));
}

/** Drains every node still running (SIGTERM) and waits for them to exit. */
export async function stopCluster(nodes: readonly NodeProcess[]): Promise<void> {
  await Promise.all(
    nodes.map(async (n) => {
      if (n.child.exitCode === null && n.child.signalCode === null) n.child.kill('SIGTERM');
      await n.exited;
    }),
  );
}

/** Runs a CLI command against the cluster's store, as an operator at a shell would. */
export async function clusterCli(
  spec: ClusterSpec,
  ...args: string[]
): Promise<{ code: number; out: string; json: any }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'lifeline-cli-'));
  try {
    const { code, out, json } = await runCliCaptured(args, clusterEnv(spec, dataDir), dataDir);
    return { code, out, json: json ?? null };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    removeAnchor(`${dataDir}.anchor`);
  }
}

/** An operator enrolled with the CLI on the shared store: its token and authenticator. */
export async function enrol(
  spec: ClusterSpec,
  name: string,
  role: string,
): Promise<{ token: string; totp: () => Promise<string>; auth: Record<string, string> }> {
  // Past the first admin a direct add is break-glass: the cluster tests want several at once.
  const r = await clusterCli(spec, 'operators', 'add', name, '--role', role, '--break-glass', '--json');
  if (r.code !== 0) throw new Error(`operators add ${name}: ${r.out}`);
  const secret = new URL(r.json.otpauthUri).searchParams.get('secret') as string;
  return {
    token: r.json.token,
    totp: () => generate({ secret }),
    auth: { authorization: `Bearer ${r.json.token}` },
  };
}
