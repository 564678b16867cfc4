/**
 * One simulated upstream: a real node:http server on loopback whose every request passes the
 * fault engine before its handler, and a separate control server (as Toxiproxy keeps its API
 * apart from its proxies), so that a `down` upstream can still be told to recover.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Capacity, capacityFor } from './capacity.ts';
import { type LabClock, realClock } from './clock.ts';
import { type ControlRoutes, startControl } from './control.ts';
import { FaultSet } from './faults.ts';
import { judge } from './pipeline.ts';
import { seededRandom } from './random.ts';
import { LabStats } from './stats.ts';

export interface LabRequest {
  method: string;
  /** The path and query, e.g. `/verify` or `/player-1`. */
  path: string;
  /** The body parsed as JSON; undefined when empty or not JSON. */
  body: unknown;
}

export interface LabAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type LabHandler = (req: LabRequest) => LabAnswer | Promise<LabAnswer>;

export interface UpstreamOptions {
  /** For logs and reports, e.g. "identity". */
  name: string;
  handler: LabHandler;
  /** Seeds the error draws and jitter. @defaultValue 1 */
  seed?: number;
  /** @defaultValue the wall clock */
  clock?: LabClock;
  /** @defaultValue "127.0.0.1" */
  host?: string;
  /** @defaultValue 0 (any free port) */
  port?: number;
  /** Routes this upstream adds to its control API (`'POST /_lab/mint'`: the OIDC issuer's). */
  controlRoutes?: ControlRoutes;
  /** Told of every request that arrives with its body read, before the faults judge it (who called, even while failing). */
  observe?: (req: LabRequest) => void;
}

/** A running simulated upstream. */
export class Upstream {
  readonly name: string;
  readonly faults = new FaultSet();
  readonly stats: LabStats;
  readonly clock: LabClock;
  readonly #options: UpstreamOptions;
  readonly #server: Server;
  readonly #random: () => number;
  #control: Server | undefined;
  #controlPort = 0;
  #capacity: { key: string; slots: Capacity } | undefined;
  #port = 0;
  #applying: Promise<void> = Promise.resolve();

  private constructor(options: UpstreamOptions) {
    this.name = options.name;
    this.#options = options;
    this.clock = options.clock ?? realClock;
    this.stats = new LabStats(this.clock);
    this.#random = seededRandom(options.seed ?? 1);
    this.#server = createServer((req, res) => void this.#onRequest(req, res));
    this.#server.keepAliveTimeout = 60_000;
    this.#server.on('connection', (socket) => {
      // destroy-mode down: the connection is accepted and dropped before any byte is read.
      if (this.faults.get('down')?.mode === 'destroy') {
        this.stats.count('refused');
        socket.destroy();
      }
    });
    // One change at a time: a down and a recover in quick succession must not interleave a
    // close with a listen.
    this.faults.onChange(() => {
      this.#applying = this.#applying.then(() => this.#applyFaults());
      return this.#applying;
    });
  }

  /** Starts the upstream and its control API, both on loopback. */
  static async start(options: UpstreamOptions): Promise<Upstream> {
    const up = new Upstream(options);
    await up.#listen(options.port ?? 0);
    up.#control = await startControl(
      { faults: up.faults, stats: up.stats, controlRoutes: options.controlRoutes },
      options.host ?? '127.0.0.1',
    );
    up.#controlPort = (up.#control.address() as AddressInfo).port;
    return up;
  }

  /** The upstream's origin, e.g. `http://127.0.0.1:41234`. */
  get url(): string {
    return `http://${this.#options.host ?? '127.0.0.1'}:${this.#port}`;
  }

  /** The control API's origin (`/_lab/faults`, `/_lab/stats`). */
  get controlUrl(): string {
    return `http://${this.#options.host ?? '127.0.0.1'}:${this.#controlPort}`;
  }

  async close(): Promise<void> {
    for (const server of [this.#server, this.#control]) {
      if (!server?.listening) continue;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  async #listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, this.#options.host ?? '127.0.0.1', () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    this.#port = (this.#server.address() as AddressInfo).port;
  }

  /** Brings the listener and the capacity slots in line with the faults now in force. */
  async #applyFaults(): Promise<void> {
    const cap = this.faults.get('capacity');
    const key = JSON.stringify(cap ?? null);
    if (this.#capacity?.key !== key)
      this.#capacity = cap && {
        key,
        slots: capacityFor(this.clock, cap, (d) => this.stats.queue(d), this.stats),
      };
    const down = this.faults.get('down');
    // Connections already open (a client's keep-alive pool) go too: down means down for everyone.
    if (down) this.#server.closeAllConnections();
    const refuse = down !== undefined && (down.mode ?? 'refuse') === 'refuse';
    if (refuse && this.#server.listening) {
      await new Promise<void>((resolve) => this.#server.close(() => resolve()));
      this.#server.closeAllConnections();
    } else if (!refuse && !this.#server.listening) {
      // The same port again, so clients configured with the URL reconnect as to a restarted service.
      await this.#listen(this.#port);
    }
  }

  async #onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrivedAt = this.stats.arrive();
    const body = await readBody(req);
    this.#options.observe?.({ method: req.method ?? 'GET', path: req.url ?? '/', body });
    const verdict = await judge({
      faults: this.faults,
      random: this.#random,
      clock: this.clock,
      capacity: () => this.#capacity?.slots,
    });
    if (verdict.do === 'refuse' || verdict.do === 'reset') {
      this.stats.count(verdict.do === 'refuse' ? 'refused' : 'reset');
      // reset_peer: an RST, not a FIN, as a crashed or firewalled peer sends.
      req.socket.resetAndDestroy();
      this.stats.leave(arrivedAt, undefined);
      return;
    }
    if (verdict.do === 'hold') return this.#hold(req, arrivedAt, verdict.ms);
    const answer =
      verdict.do === 'answer'
        ? { status: verdict.status, headers: verdict.headers, body: { error: 'lab fault' } }
        : await this.#handle(req, body);
    this.#write(res, answer, arrivedAt);
    verdict.release();
  }

  async #handle(req: IncomingMessage, body: unknown): Promise<LabAnswer> {
    try {
      return await this.#options.handler({ method: req.method ?? 'GET', path: req.url ?? '/', body });
    } catch {
      return { status: 500, body: { error: 'lab handler failed' } };
    }
  }

  #hold(req: IncomingMessage, arrivedAt: number, ms: number | undefined): void {
    this.stats.count('held');
    req.socket.once('close', () => this.stats.leave(arrivedAt, undefined));
    if (ms !== undefined) void this.clock.sleep(ms).then(() => req.socket.destroy());
  }

  #write(res: ServerResponse, answer: LabAnswer, arrivedAt: number): void {
    if (res.destroyed || !res.socket || res.socket.destroyed) {
      this.stats.abandon();
      this.stats.leave(arrivedAt, undefined);
      return;
    }
    const json = answer.body === undefined ? '' : JSON.stringify(answer.body);
    const type: Record<string, string> = json === '' ? {} : { 'content-type': 'application/json' };
    res.writeHead(answer.status, { ...type, ...answer.headers }).end(json);
    this.stats.leave(arrivedAt, answer.status);
  }
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) text += chunk;
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
