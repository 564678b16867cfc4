/**
 * The server under test, alone in its process: `lifeline` (the real app, embedded SQLite in a
 * temp dir), `fastify` (a bare login route: parse the same JSON, answer a same-size JSON, no
 * signing, no storage), `ws` (a bare `ws` server on node:http that greets each socket once) or
 * `colyseus` (a Colyseus server with one idle room every client joins).
 *
 *   node bench/login/server.ts <lifeline|fastify|ws|colyseus> <dataDir> [hold-idle] [signing-workers=N]
 *
 * `hold-idle` raises Lifeline's heartbeat and idle timeouts so silent bench sockets are kept;
 * without it Lifeline runs with its defaults. `signing-workers=N` sets `tokens.signingWorkers`
 * (its default otherwise).
 *
 * Answers `memory` (after a forced GC when run with --expose-gc), `mark` (CPU and event-loop
 * counters, to work out utilisation over a window), `profile-start` / `profile-stop {file}`
 * (a CPU profile of exactly the window between them) and `stop`.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import Fastify from 'fastify';
import pino from 'pino';
import { WebSocketServer } from 'ws';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/index.ts';
import { announce, serveParent } from './ipc.ts';

const kind = process.argv[2];
const dataDir = process.argv[3];
const extra = process.argv.slice(4);
const holdIdle = extra.includes('hold-idle');
const workersArg = extra.find((a) => a.startsWith('signing-workers='));
const signingWorkers = workersArg === undefined ? undefined : Number(workersArg.split('=')[1]);

interface Running {
  url: string;
  /** Sockets (and, for Lifeline, live sessions) held now. */
  counts(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

// Same lengths as a Lifeline answer (an EdDSA JWT of ~470 characters and a ~70-character
// refresh token), so both servers write the same bytes per response.
const FAKE_ACCESS = `eyJhbGciOiJFZERTQSJ9.${'A'.repeat(380)}.${'B'.repeat(86)}`;
const FAKE_REFRESH = `rt.${'C'.repeat(22)}.0.${'D'.repeat(43)}`;

const unlimited = { ipPerSecond: 1e6, ipBurst: 1e6, playerPerSecond: 1e6, playerBurst: 1e6 };

async function startLifeline(): Promise<Running> {
  if (!dataDir) throw new Error('lifeline needs a data dir');
  const config = loadConfig({
    env: {},
    cwd: dataDir,
    overrides: {
      environment: 'test',
      dataDir,
      // Player-API limits raised out of the way (as in the tests): every bench client logs in
      // from 127.0.0.1. The buckets are still taken on every request, so their cost is measured.
      player: {
        host: '127.0.0.1',
        port: 0,
        rateLimit: { login: unlimited, refresh: unlimited, rejoin: unlimited, upgrade: unlimited },
      },
      admin: { host: '127.0.0.1', port: 0 },
      log: { level: 'silent' },
      ...(signingWorkers === undefined ? {} : { tokens: { signingWorkers } }),
      // Idle bench sockets send no heartbeats: keep them (and their sessions) for the whole run.
      session: {
        maxPerPlayer: 1_000_000,
        ...(holdIdle
          ? { heartbeatIntervalSeconds: 3600, heartbeatTimeoutSeconds: 7200, idleTimeoutSeconds: 7200 }
          : {}),
      },
    },
  });
  const app = await createApp({ config, logger: pino({ level: 'silent' }) });
  const { playerUrl } = await app.listen();
  return {
    url: playerUrl,
    async counts() {
      return { sockets: app.hub.size, liveSessions: (await app.live.countSessions({})).total };
    },
    close: () => app.close(),
  };
}

async function startFastify(): Promise<Running> {
  const app = Fastify({ logger: false });
  app.post('/v1/login', async (request) => {
    const body = request.body as { playerId?: unknown };
    if (typeof body?.playerId !== 'string') throw new Error('playerId missing');
    return { sessionId: randomUUID(), accessToken: FAKE_ACCESS, refreshToken: FAKE_REFRESH, expiresIn: 600 };
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url, counts: async () => ({}), close: () => app.close() };
}

async function startWs(): Promise<Running> {
  const server = createServer();
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket) => {
    socket.send(
      JSON.stringify({
        type: 'welcome',
        sessionId: randomUUID(),
        playerId: 'bare',
        heartbeatIntervalSeconds: 15,
        heartbeatTimeoutSeconds: 45,
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts: async () => ({ sockets: wss.clients.size }),
    close: async () => {
      for (const s of wss.clients) s.terminate();
      await new Promise<void>((resolve) => wss.close(() => server.close(() => resolve())));
    },
  };
}

/**
 * Colyseus (`@colyseus/core` with `@colyseus/ws-transport`), the game-server framework studios
 * use: one room type with nothing in it, every client joining the same room (the matchmaker's
 * `POST /matchmake/joinOrCreate/idle`, then the room's WebSocket), so a socket costs what
 * Colyseus itself keeps per joined client. Its ping-based heartbeat is off, as Lifeline's is
 * raised out of the way with `hold-idle`.
 */
async function startColyseus(): Promise<Running> {
  const { Room, Server, matchMaker } = await import('@colyseus/core');
  const { WebSocketTransport } = await import('@colyseus/ws-transport');
  class IdleRoom extends Room {
    override maxClients = 1_000_000;
    override autoDispose = false;
  }
  const server = createServer();
  const transport = new WebSocketTransport({ server, pingInterval: 0 });
  const game = new Server({ transport, greet: false });
  game.define('idle', IdleRoom);
  await game.listen(0, '127.0.0.1');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts: async () => {
      const rooms = await matchMaker.query({ name: 'idle' });
      return { sockets: rooms.reduce((n, r) => n + r.clients, 0), rooms: rooms.length };
    },
    close: () => game.gracefullyShutdown(false),
  };
}

/** Memory after collecting what can be collected, so deltas count what is held, not garbage. */
async function settledMemory(): Promise<NodeJS.MemoryUsage & { gc: boolean }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { ...process.memoryUsage(), gc: gc !== undefined };
}

/** Write syscalls and bytes sent to storage so far (Linux), to count what a request writes. */
function ioCounters(): Record<string, number> | null {
  try {
    const text = readFileSync('/proc/self/io', 'utf8');
    return Object.fromEntries(
      text
        .trim()
        .split('\n')
        .map((l) => [l.split(':')[0] as string, Number(l.split(':')[1])]),
    );
  } catch {
    return null;
  }
}

const starters: Record<string, () => Promise<Running>> = {
  lifeline: startLifeline,
  fastify: startFastify,
  ws: startWs,
  colyseus: startColyseus,
};

const start = kind ? starters[kind] : undefined;
if (!start) {
  console.error(`usage: server.ts <${Object.keys(starters).join('|')}> <dataDir>`);
  process.exit(2);
}

let running: Running | undefined;
let profiler: Session | undefined;
serveParent(async (cmd, message) => {
  switch (cmd) {
    case 'profile-start':
      profiler = new Session();
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.setSamplingInterval', { interval: 500 });
      await profiler.post('Profiler.start');
      return {};
    case 'profile-stop': {
      if (!profiler) throw new Error('no profile running');
      const { profile } = await profiler.post('Profiler.stop');
      profiler.disconnect();
      profiler = undefined;
      writeFileSync(String(message.file), JSON.stringify(profile));
      return { file: message.file };
    }
    case 'memory':
      return { memory: await settledMemory(), counts: await running?.counts() };
    case 'mark':
      return {
        cpu: process.cpuUsage(),
        // The main thread's own CPU time: what it spends per request holds up under other
        // processes' load, where requests per second do not.
        mainCpu: process.threadCpuUsage(),
        elu: performance.eventLoopUtilization(),
        at: performance.now(),
        io: ioCounters(),
      };
    case 'stop': {
      // A clean exit, so --cpu-prof writes its profile; a server that will not close in time
      // is left to the exit.
      await Promise.race([running?.close(), new Promise((r) => setTimeout(r, 5_000))]);
      process.exit(0);
      return undefined;
    }
    default:
      throw new Error(`unknown command ${cmd}`);
  }
}, 170_000);

try {
  running = await start();
  announce('ready', { url: running.url, pid: process.pid });
} catch (err) {
  announce('fatal', { message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
}
