/**
 * Holders: the fleet's lean players for measuring a fan-out (bench:cluster's kick). Each logs in
 * once over the fleet's HTTP pool through node `i % nodes`, holds one control socket on that node
 * (ws, no deflate, as `wiredSocket` opens them) and never rejoins, refreshes or pings: a kick
 * closes it for good. From `mark()` on, every socket's first message of the timed type (`kicked`
 * by default) is timed in milliseconds on this process's monotonic clock, so the moment an
 * operator's request was sent and every arrival are on one clock.
 *
 * One open file per player (the HTTP pool's connections are shared), so one process holds up to
 * `maxHolders`; the SDK players of `startFleet` need two and stop at `maxFleetPlayers`.
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { LifelineError } from '../../errors/index.ts';
import { HttpPool } from './http.ts';

/** Holders one process can keep open under this machine's 20,000 open files. */
export const maxHolders = 18_000;

export interface HoldersOptions {
  /** Player-API base URLs; player i logs in and holds its socket on `nodes[i % nodes.length]`. */
  nodes: string[];
  /** Player ids are `<prefix>-<i>`. */
  prefix: string;
  region: string;
  /** Player i's shard: `shards[floor(i / nodes) % shards]`, so each node's players span them all. */
  shards: string[];
  /** The control message whose arrival is timed after `mark()`. @defaultValue 'kicked' */
  timed?: string;
  /** Logins in flight. @defaultValue 96 */
  loginConcurrency?: number;
  /** Sockets opening at once. @defaultValue 256 */
  openInFlight?: number;
  /** @defaultValue 15000 */
  openTimeoutMs?: number;
}

export interface Holder {
  node: number;
  token: string;
  socket?: WebSocket;
  /** ms after `mark()` the timed message arrived; NaN until then. */
  timedMs: number;
  /** The socket's close code; 0 while open. */
  closeCode: number;
}

export interface Phase {
  ok: number;
  failed: number;
  firstError: string | null;
  ms: number;
}

const invalid = (path: string, rule: string) =>
  new LifelineError('VALIDATION_FAILED', `holders: ${path} ${rule}`, { details: { path } });

type HeldSocket = WebSocket & { holder?: Holder; holders?: Holders };

/** Lifeline's greeting, the first message on a control socket. */
function isWelcome(data: unknown): boolean {
  try {
    return (JSON.parse(String(data)) as { type?: string }).type === 'welcome';
  } catch {
    return false;
  }
}

/**
 * Opens `url` and resolves with the socket once greeted, its listeners removed; refused upgrades,
 * early closes, a wrong first message and silence are errors. `isGreeting` tells the expected
 * first message (Lifeline's `welcome`; bench:login's Colyseus greets with a binary frame).
 */
export function openWelcomed(
  url: string,
  timeoutMs: number,
  isGreeting: (data: Buffer) => boolean = isWelcome,
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    const timer = setTimeout(() => fail(new Error('no greeting in time')), timeoutMs);
    function fail(err: Error): void {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => {});
      socket.terminate();
      reject(err);
    }
    socket.once('error', fail);
    socket.once('unexpected-response', (_req, res) => fail(new Error(`upgrade refused: ${res.statusCode}`)));
    socket.once('close', (code) => fail(new Error(`closed before the greeting (${code})`)));
    socket.once('message', (data) => {
      if (!isGreeting(data as Buffer))
        return fail(new Error(`first message was ${String(data).slice(0, 200)}`));
      clearTimeout(timer);
      socket.removeAllListeners();
      resolve(socket);
    });
  });
}

// Two listeners shared by every socket (nothing per socket but the holder it carries).
function onMessage(this: HeldSocket, data: WebSocket.RawData): void {
  const at = performance.now();
  this.holders?.received(this.holder as Holder, data, at);
}
function onClose(this: HeldSocket, code: number): void {
  this.holders?.closed(this.holder as Holder, code);
}

/** Runs `workers` loops, each calling `done` once per item (with its error, if any); counts and times them. */
async function phase(
  workers: number,
  loop: (w: number, done: (err?: unknown) => void) => Promise<void>,
): Promise<Phase> {
  const started = performance.now();
  const out: Phase = { ok: 0, failed: 0, firstError: null, ms: 0 };
  const done = (err?: unknown) => {
    if (err === undefined) out.ok++;
    else {
      out.failed++;
      out.firstError ??= String(err);
    }
  };
  await Promise.all(Array.from({ length: workers }, (_, w) => loop(w, done)));
  out.ms = Math.round(performance.now() - started);
  return out;
}

export class Holders {
  readonly #o: Required<HoldersOptions>;
  readonly #pool: HttpPool;
  #holders: Holder[] = [];
  #open = 0;
  #markedAt = 0;
  #allClosed: (() => void) | undefined;
  /** Messages other than the timed one after `mark()` (or any before it), and sockets closed before `mark()`. */
  unexpected = 0;
  closedBeforeMark = 0;

  constructor(options: HoldersOptions) {
    if (options.nodes.length === 0) throw invalid('nodes', 'must list at least one node');
    this.#o = { timed: 'kicked', loginConcurrency: 96, openInFlight: 256, openTimeoutMs: 15_000, ...options };
    this.#pool = new HttpPool(this.#o.loginConcurrency);
  }

  /** Every player logged in (in order), with its socket, timing and close code. */
  get holders(): readonly Holder[] {
    return this.#holders;
  }

  /** Sockets still open. */
  get open(): number {
    return this.#open;
  }

  /** Logs in n players; node k's share is logged in over its own connections. */
  async login(n: number): Promise<Phase> {
    if (!Number.isInteger(n) || n < 1 || n > maxHolders)
      throw invalid('n', `must be a whole number from 1 to ${maxHolders}, not ${n}`);
    const { nodes } = this.#o;
    const out: Holder[] = new Array(n);
    const cursor = nodes.map((_, node) => node);
    const result = await phase(this.#o.loginConcurrency, async (w, done) => {
      const node = w % nodes.length;
      for (let i = cursor[node] as number; i < n; i = cursor[node] as number) {
        cursor[node] = i + nodes.length;
        try {
          out[i] = { node, token: await this.#loginOne(node, i), timedMs: Number.NaN, closeCode: 0 };
          done();
        } catch (err) {
          done(err);
        }
      }
    });
    this.#holders = out.filter((h) => h !== undefined);
    return result;
  }

  async #loginOne(node: number, i: number): Promise<string> {
    const { nodes, shards, prefix, region } = this.#o;
    const shard = shards[Math.floor(i / nodes.length) % shards.length];
    const body = JSON.stringify({ playerId: `${prefix}-${i}`, region, shard });
    const res = await this.#pool.send(`${nodes[node]}/v1/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
      body,
    });
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.body.toString().slice(0, 200)}`);
    return (JSON.parse(res.body.toString()) as { accessToken: string }).accessToken;
  }

  /** Opens every logged-in player's socket on its node; resolves when each is welcomed or failed. */
  async openAll(): Promise<Phase & { byNode: number[] }> {
    let next = 0;
    const result = await phase(this.#o.openInFlight, async (_, done) => {
      while (next < this.#holders.length) {
        const h = this.#holders[next++] as Holder;
        try {
          await this.#openOne(h);
          done();
        } catch (err) {
          done(err);
        }
      }
    });
    return { ...result, byNode: this.byNode(() => true) };
  }

  async #openOne(h: Holder): Promise<void> {
    const base = (this.#o.nodes[h.node] as string).replace(/^http/, 'ws');
    const socket = (await openWelcomed(
      `${base}/v1/session?access_token=${encodeURIComponent(h.token)}`,
      this.#o.openTimeoutMs,
    )) as HeldSocket;
    socket.holder = h;
    socket.holders = this;
    h.socket = socket;
    this.#open++;
    socket.on('message', onMessage);
    socket.once('close', onClose);
    socket.on('error', () => {});
  }

  /** From now on the timed message is timed; returns the moment on the wall clock (epoch ms). */
  mark(): number {
    this.unexpected = 0;
    this.#markedAt = performance.now();
    return performance.timeOrigin + this.#markedAt;
  }

  /** ms since `mark()`. */
  sinceMark(): number {
    return performance.now() - this.#markedAt;
  }

  /** Resolves true once every held socket has closed, false after `deadlineMs`. */
  allClosed(deadlineMs: number): Promise<boolean> {
    if (this.#open === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), deadlineMs);
      timer.unref();
      this.#allClosed = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  }

  /** Players holding a socket (open or since closed) that `include` keeps, by node. */
  byNode(include: (h: Holder) => boolean): number[] {
    const counts = this.#o.nodes.map(() => 0);
    for (const h of this.#holders)
      if (h.socket && include(h)) counts[h.node] = (counts[h.node] as number) + 1;
    return counts;
  }

  /** @internal the shared message listener's work. */
  received(h: Holder, data: WebSocket.RawData, at: number): void {
    let type: unknown;
    try {
      type = (JSON.parse(String(data)) as { type?: unknown }).type;
    } catch {}
    if (type === this.#o.timed && this.#markedAt > 0 && Number.isNaN(h.timedMs))
      h.timedMs = at - this.#markedAt;
    else this.unexpected++;
  }

  /** @internal the shared close listener's work. */
  closed(h: Holder, code: number): void {
    h.closeCode = code;
    if (this.#markedAt === 0) this.closedBeforeMark++;
    this.#open--;
    if (this.#open === 0) this.#allClosed?.();
  }

  /** Cuts every socket and connection. */
  close(): void {
    for (const h of this.#holders) h.socket?.terminate();
    this.#pool.destroy();
  }
}
