/**
 * The idle-socket client, alone in its process: logs players in (Lifeline only), opens one
 * WebSocket per player, waits for each greeting, then holds them all silent until told to stop.
 *
 *   node bench/login/sockets.ts <lifeline|ws|colyseus> <port>
 *
 * Colyseus clients join its room as its SDK does: a seat from the matchmaker
 * (`POST /matchmake/joinOrCreate/idle`), the room's WebSocket with that seat, the JOIN_ROOM frame
 * it greets with, and the JOIN_ROOM byte that confirms the join.
 *
 * Commands: `login {n, prefix}`, `open {n}` (Lifeline: with the tokens of the last login),
 * `warm {n}` (login, open and close n, so one-time costs are paid before the baseline),
 * `status`, `stop`.
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { openWelcomed as openGreeted } from '../../src/lab/fleet/holders.ts';
import { HttpConnection, postJsonRequest } from './http.ts';
import { announce, serveParent } from './ipc.ts';

const kind = process.argv[2];
const port = Number(process.argv[3]);
if ((kind !== 'lifeline' && kind !== 'ws' && kind !== 'colyseus') || !Number.isInteger(port)) {
  console.error('usage: sockets.ts <lifeline|ws|colyseus> <port>');
  process.exit(2);
}

const LOGIN_CONCURRENCY = 64;
const OPEN_IN_FLIGHT = 256;
const OPEN_TIMEOUT_MS = 15_000;

let tokens: string[] = [];
const held: WebSocket[] = [];
let closedAfterOpen = 0;

/** Logs in n new players; keeps their access tokens for `open`. */
async function login(n: number, prefix: string): Promise<Record<string, unknown>> {
  const started = performance.now();
  const out: string[] = new Array(n);
  let next = 0;
  let failed = 0;
  let firstError: string | null = null;
  const worker = async () => {
    let conn: HttpConnection | undefined;
    while (next < n) {
      const i = next++;
      try {
        if (!conn?.usable) {
          conn?.destroy();
          conn = await HttpConnection.open(port);
        }
        const body = JSON.stringify({ playerId: `${prefix}-${i}`, region: 'na', shard: 'na-1' });
        const res = await conn.request(postJsonRequest(port, '/v1/login', body));
        if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.body.toString().slice(0, 200)}`);
        out[i] = (JSON.parse(res.body.toString()) as { accessToken: string }).accessToken;
      } catch (err) {
        failed++;
        firstError ??= String(err);
        conn?.destroy();
      }
    }
    conn?.destroy();
  };
  await Promise.all(Array.from({ length: LOGIN_CONCURRENCY }, worker));
  tokens = out.filter((t) => typeof t === 'string');
  return { ok: tokens.length, failed, firstError, ms: Math.round(performance.now() - started) };
}

/** Colyseus's protocol code for joining a room (its JOIN_ROOM frame, and the client's confirmation). */
const COLYSEUS_JOIN_ROOM = 10;

/** A Colyseus seat in the idle room, reserved over a keep-alive connection; the room's socket URL. */
async function colyseusSeat(conn: HttpConnection): Promise<string> {
  const res = await conn.request(postJsonRequest(port, '/matchmake/joinOrCreate/idle', '{}'));
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.body.toString().slice(0, 200)}`);
  const seat = JSON.parse(res.body.toString()) as { processId: string; roomId: string; sessionId: string };
  return `ws://127.0.0.1:${port}/${seat.processId}/${seat.roomId}?sessionId=${encodeURIComponent(seat.sessionId)}`;
}

/** Opens one socket and resolves when its first message (the greeting) arrives. */
async function openOne(token: string | undefined, seatConn?: HttpConnection): Promise<WebSocket> {
  let socket: WebSocket;
  if (kind === 'colyseus') {
    const url = await colyseusSeat(seatConn as HttpConnection);
    socket = await openGreeted(url, OPEN_TIMEOUT_MS, (data) => data[0] === COLYSEUS_JOIN_ROOM);
    socket.send(Buffer.from([COLYSEUS_JOIN_ROOM]));
  } else {
    const query = token === undefined ? '' : `?access_token=${encodeURIComponent(token)}`;
    const path = kind === 'lifeline' ? '/v1/session' : '/';
    socket = await openGreeted(`ws://127.0.0.1:${port}${path}${query}`, OPEN_TIMEOUT_MS);
  }
  // Idle from here: the only thing the bench listens for is an unexpected close.
  socket.once('close', () => closedAfterOpen++);
  socket.on('error', () => {});
  return socket;
}

/** Opens n sockets, at most OPEN_IN_FLIGHT at a time. */
async function open(n: number, into: WebSocket[]): Promise<Record<string, unknown>> {
  if (kind === 'lifeline' && tokens.length < n)
    throw new Error(`only ${tokens.length} tokens for ${n} sockets`);
  const started = performance.now();
  let next = 0;
  let failed = 0;
  let firstError: string | null = null;
  const worker = async () => {
    let conn: HttpConnection | undefined;
    while (next < n) {
      const i = next++;
      try {
        if (kind === 'colyseus' && !conn?.usable) {
          conn?.destroy();
          conn = await HttpConnection.open(port);
        }
        into.push(await openOne(kind === 'lifeline' ? tokens[i] : undefined, conn));
      } catch (err) {
        failed++;
        firstError ??= String(err);
        conn?.destroy();
      }
    }
    conn?.destroy();
  };
  await Promise.all(Array.from({ length: Math.min(OPEN_IN_FLIGHT, n) }, worker));
  return { ok: into.length, failed, firstError, ms: Math.round(performance.now() - started) };
}

serveParent(async (cmd, message) => {
  switch (cmd) {
    case 'login':
      return login(Number(message.n), String(message.prefix));
    case 'open':
      return open(Number(message.n), held);
    case 'warm': {
      const n = Number(message.n);
      const closedBefore = closedAfterOpen;
      if (kind === 'lifeline') await login(n, String(message.prefix));
      const sockets: WebSocket[] = [];
      const result = await open(n, sockets);
      for (const s of sockets) s.close();
      await new Promise((r) => setTimeout(r, 500));
      closedAfterOpen = closedBefore;
      tokens = [];
      return result;
    }
    case 'status':
      return { open: held.filter((s) => s.readyState === WebSocket.OPEN).length, closedAfterOpen };
    case 'stop':
      // Exiting closes every socket at once; the server sees them go.
      process.exit(0);
      return undefined;
    default:
      throw new Error(`unknown command ${cmd}`);
  }
}, 170_000);
announce('ready');
