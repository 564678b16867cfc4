/**
 * The players of the kick fan-out, alone in their process: logs them in over a cluster's nodes,
 * holds one control socket per player on the node that logged it in, then sends the approval
 * that starts the kick and times each socket's `kicked` message from that moment.
 *
 *   node bench/cluster/clients.ts     (then the parent sends `login`, `open`, `kick`, `stop`)
 *
 * Sending the approval from here keeps the start and every arrival on one clock.
 */
import { performance } from 'node:perf_hooks';
import type WebSocket from 'ws';
import { openGreeted } from '../login/greeting.ts';
import { HttpConnection, postJsonRequest } from '../login/http.ts';
import { announce, serveParent } from '../login/ipc.ts';

const LOGIN_CONCURRENCY = 96;
const OPEN_IN_FLIGHT = 256;
const OPEN_TIMEOUT_MS = 15_000;
const KICKED_CODE = 4001;

interface Player {
  node: number;
  token: string;
  socket?: WebSocket;
  /** ms after the approval was sent that the `kicked` message arrived; NaN until then. */
  kickedMs: number;
  closeCode: number;
}

let nodeUrls: string[] = [];
let players: Player[] = [];
/** Sockets still open; when the kick closes the last, `allClosed` fires. */
let open = 0;
let allClosed: (() => void) | undefined;
let kickStart = 0;
/** Messages other than the greeting and the kick, and sockets closed before any kick. */
let unexpected = 0;
let closedEarly = 0;

const portOf = (url: string) => Number(new URL(url).port);

/**
 * Logs in n players, player i through node i % nodes (so each node issues an equal share), in
 * region na over its three shards.
 */
async function login(urls: string[], n: number, prefix: string): Promise<Record<string, unknown>> {
  nodeUrls = urls;
  const started = performance.now();
  const out: Player[] = new Array(n);
  let failed = 0;
  let firstError: string | null = null;
  // Per node, the next player index it has not logged in yet (i ≡ node mod nodes).
  const cursor = urls.map((_, node) => node);
  const claim = (node: number): number | undefined => {
    const i = cursor[node] as number;
    if (i >= n) return undefined;
    cursor[node] = i + urls.length;
    return i;
  };
  const worker = async (w: number) => {
    // Each connection stays on one node: worker w serves the players of node w % nodes.
    const node = w % urls.length;
    const port = portOf(urls[node] as string);
    let conn: HttpConnection | undefined;
    for (;;) {
      const i = claim(node);
      if (i === undefined) break;
      try {
        if (!conn?.usable) {
          conn?.destroy();
          conn = await HttpConnection.open(port);
        }
        const shard = `na-${(Math.floor(i / urls.length) % 3) + 1}`;
        const body = JSON.stringify({ playerId: `${prefix}-${i}`, region: 'na', shard });
        const res = await conn.request(postJsonRequest(port, '/v1/login', body));
        if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.body.toString().slice(0, 200)}`);
        const token = (JSON.parse(res.body.toString()) as { accessToken: string }).accessToken;
        out[i] = { node, token, kickedMs: Number.NaN, closeCode: 0 };
      } catch (err) {
        failed++;
        firstError ??= String(err);
        conn?.destroy();
      }
    }
    conn?.destroy();
  };
  await Promise.all(Array.from({ length: LOGIN_CONCURRENCY }, (_, w) => worker(w)));
  players = out.filter((p) => p !== undefined);
  return { ok: players.length, failed, firstError, ms: Math.round(performance.now() - started) };
}

const closeListener = function (this: WebSocket, code: number): void {
  const p = (this as WebSocket & { player?: Player }).player;
  if (!p) return;
  p.closeCode = code;
  if (kickStart === 0) closedEarly++;
  open--;
  if (open === 0) allClosed?.();
};

const messageListener = function (this: WebSocket, data: WebSocket.RawData): void {
  const p = (this as WebSocket & { player?: Player }).player;
  if (!p) return;
  const at = performance.now();
  const message = JSON.parse(String(data)) as { type?: string };
  if (message.type === 'kicked' && kickStart > 0) p.kickedMs = at - kickStart;
  else unexpected++;
};

/** Opens a player's socket on its node; resolves at the greeting. */
async function openOne(p: Player): Promise<void> {
  const url = `${(nodeUrls[p.node] as string).replace(/^http/, 'ws')}/v1/session?access_token=${encodeURIComponent(p.token)}`;
  const socket = await openGreeted(url, OPEN_TIMEOUT_MS);
  // From here two listeners shared by every socket record the kick and the close.
  (socket as WebSocket & { player?: Player }).player = p;
  p.socket = socket;
  open++;
  socket.on('message', messageListener);
  socket.once('close', closeListener);
  socket.on('error', () => {});
}

async function openAll(): Promise<Record<string, unknown>> {
  const started = performance.now();
  let next = 0;
  let ok = 0;
  let failed = 0;
  let firstError: string | null = null;
  const worker = async () => {
    while (next < players.length) {
      const p = players[next++] as Player;
      try {
        await openOne(p);
        ok++;
      } catch (err) {
        failed++;
        firstError ??= String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: OPEN_IN_FLIGHT }, worker));
  return { ok, failed, firstError, ms: Math.round(performance.now() - started), byNode: byNode(() => true) };
}

function byNode(include: (p: Player) => boolean): number[] {
  const counts = nodeUrls.map(() => 0);
  for (const p of players) if (p.socket && include(p)) counts[p.node] = (counts[p.node] as number) + 1;
  return counts;
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((q / 100) * sorted.length) - 1)] as number;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/**
 * Sends the approval and waits until every held socket has closed (or `deadlineMs` passes);
 * reports when each got its kick, measured from just before the approval was sent.
 */
async function kick(url: string, headers: Record<string, string>, body: string, deadlineMs: number) {
  const closed = new Promise<boolean>((resolve) => {
    allClosed = () => resolve(true);
    setTimeout(() => resolve(false), deadlineMs).unref();
  });
  unexpected = 0;
  kickStart = performance.now();
  const sentAtEpochMs = performance.timeOrigin + kickStart;
  const res = await fetch(url, { method: 'POST', headers, body });
  const answer = await res.text();
  const answeredMs = performance.now() - kickStart;
  const allGone = open === 0 || (await closed);
  const waitedMs = performance.now() - kickStart;
  const held = players.filter((p) => p.socket);
  const times = Float64Array.from(held.filter((p) => !Number.isNaN(p.kickedMs)).map((p) => p.kickedMs));
  times.sort();
  const codes: Record<string, number> = {};
  for (const p of held) codes[p.closeCode] = (codes[p.closeCode] ?? 0) + 1;
  const lastByNode = nodeUrls.map(() => 0);
  for (const p of held) {
    if (!Number.isNaN(p.kickedMs)) lastByNode[p.node] = Math.max(lastByNode[p.node] as number, p.kickedMs);
  }
  return {
    status: res.status,
    answer: answer.slice(0, 2_000),
    sentAtEpochMs,
    answeredMs: round(answeredMs),
    allClosed: allGone,
    waitedMs: round(waitedMs),
    held: held.length,
    kicked: times.length,
    kickedWith4001: held.filter((p) => !Number.isNaN(p.kickedMs) && p.closeCode === KICKED_CODE).length,
    stillOpen: open,
    closedBeforeKick: closedEarly,
    unexpectedMessages: unexpected,
    closeCodes: codes,
    kickedByNode: byNode((p) => !Number.isNaN(p.kickedMs)),
    heldByNode: byNode(() => true),
    lastByNodeMs: lastByNode.map(round),
    firstMs: round(times[0] ?? Number.NaN),
    p50Ms: round(percentile(times, 50)),
    p90Ms: round(percentile(times, 90)),
    p99Ms: round(percentile(times, 99)),
    lastMs: round(times[times.length - 1] ?? Number.NaN),
    /** Every arrival, sorted, for the parent to split by wave. */
    times: Array.from(times, round),
  };
}

serveParent(async (cmd, message) => {
  switch (cmd) {
    case 'login':
      return login(message.urls as string[], Number(message.n), String(message.prefix));
    case 'open':
      return openAll();
    case 'kick':
      return kick(
        String(message.url),
        message.headers as Record<string, string>,
        String(message.body),
        Number(message.deadlineMs),
      );
    case 'stop':
      process.exit(0);
      return undefined;
    default:
      throw new Error(`unknown command ${cmd}`);
  }
}, 240_000);
announce('ready');
