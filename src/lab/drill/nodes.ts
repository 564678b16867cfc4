/**
 * Lifeline nodes as processes of their own (`src/main.ts serve` with a generated config file), so
 * a drill measures them alone and can kill one (SIGKILL, by PID) and start it again on the same
 * ports and data directory, as a supervisor would.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { type DrillConfigInput, type NodeSpec, nodeConfig } from './config.ts';

const mainTs = join(import.meta.dirname, '..', '..', 'main.ts');
/**
 * Only there so that a node that hangs cannot hang the drill (one that exits is seen at once): a
 * machine at load 20+ has taken over a minute to start a node, which is not a failure.
 */
const readyWithinMs = 300_000;

export interface DrillNode extends NodeSpec {
  configFile: string;
  playerUrl: string;
  adminUrl: string;
  child: ChildProcess | null;
  /** The last lines the node wrote to stderr, for an error message. */
  stderr: string;
}

/** A loopback port free right now; kept for the node's whole drill, across restarts. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Writes node-1 … node-n's config files under `root`; starts nothing. */
export async function planNodes(input: DrillConfigInput, root: string, count: number): Promise<DrillNode[]> {
  const nodes: DrillNode[] = [];
  for (let i = 1; i <= count; i++) {
    const nodeId = `node-${i}`;
    const dataDir = join(root, nodeId);
    mkdirSync(dataDir, { recursive: true });
    const spec: NodeSpec = {
      nodeId,
      dataDir,
      anchorDir: join(root, `${nodeId}.anchor`),
      playerPort: await freePort(),
      adminPort: await freePort(),
    };
    const configFile = join(root, `${nodeId}.config.json`);
    writeFileSync(configFile, JSON.stringify(nodeConfig(input, spec), null, 2), { mode: 0o600 });
    nodes.push({
      ...spec,
      configFile,
      playerUrl: `http://127.0.0.1:${spec.playerPort}`,
      adminUrl: `http://127.0.0.1:${spec.adminPort}`,
      child: null,
      stderr: '',
    });
  }
  return nodes;
}

/** The environment for `main.ts` with a node's config: nothing of the drill's own environment leaks in. */
export function nodeEnv(node: DrillNode): Record<string, string> {
  return { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LIFELINE_CONFIG: node.configFile };
}

/** Starts (or restarts) a node's process; resolves once it is ready on both listeners. */
export async function startNode(node: DrillNode): Promise<void> {
  const child = spawn(process.execPath, [mainTs, 'serve'], {
    cwd: node.dataDir,
    env: nodeEnv(node),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  node.child = child;
  node.stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    node.stderr = (node.stderr + chunk.toString()).slice(-4000);
  });
  child.on('error', () => {});
  await untilReady(node, child);
}

async function answers(url: string, ok: (status: number) => boolean): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return ok(res.status);
  } catch {
    return false;
  }
}

async function untilReady(node: DrillNode, child: ChildProcess): Promise<void> {
  const until = Date.now() + readyWithinMs;
  while (Date.now() < until) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `${node.nodeId} exited (${child.exitCode ?? child.signalCode}) before serving: ${node.stderr}`,
      );
    }
    if (
      (await answers(`${node.playerUrl}/ready`, (s) => s === 200)) &&
      (await answers(`${node.adminUrl}/admin/v1/whoami`, () => true))
    ) {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${node.nodeId} was not ready within ${readyWithinMs / 1000} s: ${node.stderr}`);
}

function running(child: ChildProcess | null): child is ChildProcess {
  return child !== null && child.exitCode === null && child.signalCode === null;
}

/** Ends a node's process with `signal` and waits for it to be gone. */
export async function stopNode(node: DrillNode, signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
  const child = node.child;
  if (!running(child)) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  if (signal === 'SIGTERM') {
    // A node that will not drain in time is killed: a drill never leaves a process behind.
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await gone;
    clearTimeout(timer);
  } else await gone;
}

export function isRunning(node: DrillNode): boolean {
  return running(node.child);
}
