/**
 * What every player shares (the plan, the meter, the HTTP pool, the timers, the open sockets),
 * and the instrumented fetch and WebSocket each player's client is given: every request to
 * Lifeline is counted by endpoint and by outcome as it is answered, whichever client sent it.
 */
import WebSocket from 'ws';
import type { HttpPool } from './http.ts';
import type { NodeHealth } from './nodes.ts';
import { toResponse } from './http.ts';
import type { Family, Meter } from './meter.ts';
import type { Timers } from './timers.ts';
import type { FleetPlan } from './types.ts';

export interface World {
  readonly plan: FleetPlan;
  readonly meter: Meter;
  readonly pool: HttpPool;
  readonly timers: Timers;
  /** Which nodes players found dead, as a load balancer would know it. */
  readonly nodes: NodeHealth;
  /** Sockets not yet closed, so that stopping can cut them all. */
  readonly sockets: Set<WebSocket>;
  /** Players holding a session with an open control socket (welcomed). */
  readonly online: Set<{ ping(): void; rank: number }>;
  /** Seconds between pings the nodes asked for in their welcome (their heartbeat interval). */
  heartbeatSeconds: number;
  stopped: boolean;
}

/** What the wire tells a player about each answer. */
export interface WireListener {
  /** The node this player talks to now (plan.nodes index). */
  readonly nodeUrl: string;
  readonly homeUrl: string;
  /** `sentAt`: when the request went out (the meter's scenario seconds). */
  answered(family: Family | null, outcome: string, sentAt: number): void;
  /** A login was queued and quoted this ETA (seconds, as Lifeline said it). */
  quoted(etaSeconds: number): void;
  /** A control socket's upgrade request went out at `sentAt` (scenario seconds). */
  upgrading(sentAt: number): void;
}

const families: Record<string, Family> = {
  '/v1/login': 'logins',
  '/v1/login/poll': 'logins',
  '/v1/refresh': 'refreshes',
  '/v1/rejoin': 'rejoins',
};

/** `ok`, `queued` (a login's 202), `waiting` (a rejoin's 202), an error code, or `HTTP_<status>`. */
function outcomeOf(family: Family | null, status: number, body: unknown): string {
  if (status >= 200 && status < 300)
    return status === 202 ? (family === 'rejoins' ? 'waiting' : 'queued') : 'ok';
  const code = (body as { error?: { code?: unknown } } | null)?.error?.code;
  return typeof code === 'string' ? code : `HTTP_${status}`;
}

function parse(buf: Buffer): unknown {
  try {
    return JSON.parse(buf.toString());
  } catch {
    return null;
  }
}

/** A fetch for one client: through the pool, to the player's current node, counted. */
export function wiredFetch(w: World, who: WireListener, signal: AbortSignal): typeof fetch {
  return (async (input: string | URL, init: RequestInit = {}) => {
    const url = String(input).replace(who.homeUrl, who.nodeUrl);
    const path = new URL(url).pathname;
    const family = families[path] ?? null;
    if (!w.stopped) w.meter.count('requests', path);
    const sentAt = w.meter.now();
    const sig = init.signal ? AbortSignal.any([init.signal, signal]) : signal;
    let answer: Awaited<ReturnType<HttpPool['send']>>;
    try {
      answer = await w.pool.send(url, { ...init, signal: sig });
    } catch (err) {
      if (!w.stopped && !signal.aborted) {
        if (family) w.meter.count(family, 'NETWORK');
        who.answered(family, 'NETWORK', sentAt);
      }
      throw err;
    }
    const body = parse(answer.body);
    const outcome = outcomeOf(family, answer.status, body);
    if (!w.stopped && !signal.aborted) {
      if (family) w.meter.count(family, outcome);
      who.answered(family, outcome, sentAt);
      const eta = (body as { etaSeconds?: unknown } | null)?.etaSeconds;
      if (outcome === 'queued' && typeof eta === 'number') who.quoted(eta);
    }
    return toResponse(answer);
  }) as typeof fetch;
}

/** A WebSocket constructor for one client: ws (lean per socket), to the player's node, counted. */
export function wiredSocket(w: World, who: WireListener): typeof globalThis.WebSocket {
  return function open(url: string) {
    if (!w.stopped) w.meter.count('requests', '/v1/session');
    who.upgrading(w.meter.now());
    const s = new WebSocket(
      url.replace(who.homeUrl.replace(/^http/, 'ws'), who.nodeUrl.replace(/^http/, 'ws')),
      {
        perMessageDeflate: false,
        handshakeTimeout: 10_000,
      },
    );
    // ws emits 'error' on a refused upgrade or a reset; with no listener that would end the process.
    s.on('error', () => {});
    w.sockets.add(s);
    s.once('close', () => w.sockets.delete(s));
    if (w.stopped) s.terminate();
    return s;
  } as unknown as typeof globalThis.WebSocket;
}
