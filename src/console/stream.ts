/**
 * `GET /admin/v1/stream`: Server-Sent Events for the web console. One shared tick reads the
 * online counts and the audit entries appended since the last tick, and the event stream's
 * changes are forwarded as they happen; each connection receives only what its role may read.
 * Events name what changed (`{kind, id}`), never audit details: the page then reads the object
 * through the admin API, where the role check applies.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AuditLog } from '../audit/index.ts';
import type { EventStream } from '../events/index.ts';
import type { SessionDirectory } from '../live/index.ts';
import { LifelineError } from '../errors/index.ts';
import { may, type Permission } from '../operators/index.ts';
import type { Role } from '../operators/records.ts';

/** What changed: the page re-reads that kind (and that id when there is one). */
export interface Change {
  kind: 'command' | 'restore' | 'flags' | 'breaker' | 'signal' | 'audit';
  id: string | null;
}

export interface StreamDeps {
  live: Pick<SessionDirectory, 'countSessions'>;
  audit: Pick<AuditLog, 'entriesAfter' | 'head'>;
  events?: Pick<EventStream, 'on'>;
  /** How often counts are sent and the audit log is read. @defaultValue 1000 */
  intervalMs: number;
  /** Connections at once; past it, a new one is refused with 503. @defaultValue 100 */
  maxClients: number;
  clock: () => number;
}

const readNeeded: Record<Change['kind'], Permission> = {
  command: 'commands.read',
  restore: 'restores.read',
  flags: 'flags.read',
  breaker: 'breaker.read',
  signal: 'signals.read',
  audit: 'audit.read',
};

const BACKLOG = 200;

/** The changes an audit entry stands for: the ids it names and the kind its action is about. */
export function changesOf(entry: { action: string; target: string; details: unknown }): Change[] {
  const text = `${entry.target} ${JSON.stringify(entry.details ?? {})}`;
  const out: Change[] = [{ kind: 'audit', id: null }];
  for (const id of new Set(text.match(/\bcmd-[0-9a-f-]{8,64}/g) ?? [])) out.push({ kind: 'command', id });
  for (const id of new Set(text.match(/\brst-[0-9a-f-]{8,64}/g) ?? [])) out.push({ kind: 'restore', id });
  if (entry.action.startsWith('flag.')) out.push({ kind: 'flags', id: null });
  if (entry.action.startsWith('breaker.')) out.push({ kind: 'breaker', id: null });
  return out;
}

interface Client {
  role: Role;
  reply: FastifyReply;
}

/** The stream hub of one admin listener. */
export class ConsoleStream {
  readonly #d: StreamDeps;
  readonly #clients = new Set<Client>();
  readonly #backlog: Change[] = [];
  #lastSeq: number | null = null;
  #timer: NodeJS.Timeout | null = null;
  #busy = false;
  readonly #unsubscribe: (() => void)[] = [];

  constructor(deps: StreamDeps) {
    this.#d = deps;
  }

  /** Starts the tick and the event forwarding; `stop` ends both and every connection. */
  start(): void {
    this.#timer = setInterval(() => void this.tick(), this.#d.intervalMs);
    this.#timer.unref();
    const ev = this.#d.events;
    if (!ev) return;
    this.#unsubscribe.push(
      ev.on('command.changed', (e) => this.#send({ kind: 'command', id: e.id })),
      ev.on('restore.released', (e) => this.#send({ kind: 'restore', id: e.restoreId })),
      ev.on('restore.paused', (e) => this.#send({ kind: 'restore', id: e.restoreId })),
      ev.on('breaker.changed', () => this.#send({ kind: 'breaker', id: null })),
      ev.on('signal.changed', () => this.#send({ kind: 'signal', id: null })),
    );
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    for (const off of this.#unsubscribe.splice(0)) off();
    for (const c of this.#clients) c.reply.raw.end();
    this.#clients.clear();
  }

  get clients(): number {
    return this.#clients.size;
  }

  /** Takes over the reply as an event stream for an operator of `role`; false when full. */
  async open(reply: FastifyReply, role: Role, operator: string): Promise<boolean> {
    if (this.#clients.size >= this.#d.maxClients) return false;
    await this.#seed();
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    const client: Client = { role, reply };
    this.#clients.add(client);
    raw.on('close', () => this.#clients.delete(client));
    raw.on('error', () => this.#clients.delete(client));
    write(client, 'hello', { operator, role, intervalMs: this.#d.intervalMs });
    for (const change of this.#backlog) if (allowed(role, change)) write(client, 'changed', change);
    await this.tick();
    return true;
  }

  /** One tick: counts to who may read sessions, audit changes since the last one. Tests call it. */
  async tick(): Promise<void> {
    if (this.#busy || this.#clients.size === 0) return;
    this.#busy = true;
    try {
      const counts = await this.#d.live.countSessions({});
      const online = { at: this.#d.clock(), ...counts };
      for (const c of this.#clients) if (may(c.role, 'sessions.read')) write(c, 'online', online);
      await this.#readAudit();
    } catch {
      // A store hiccup skips a tick; the next one reads on from the same seq.
    } finally {
      this.#busy = false;
    }
  }

  async #seed(): Promise<void> {
    if (this.#lastSeq !== null) return;
    const head = await this.#d.audit.head();
    this.#lastSeq = Math.max(0, (head?.seq ?? 0) - 1000);
    await this.#readAudit(false);
  }

  async #readAudit(send = true): Promise<void> {
    for (;;) {
      const page = await this.#d.audit.entriesAfter(this.#lastSeq ?? 0, 500);
      for (const entry of page) {
        this.#lastSeq = entry.seq;
        for (const change of changesOf(entry)) {
          if (change.id !== null) this.#remember(change);
          if (send) this.#send(change);
        }
      }
      if (page.length < 500) return;
    }
  }

  #remember(change: Change): void {
    const at = this.#backlog.findIndex((c) => c.kind === change.kind && c.id === change.id);
    if (at >= 0) this.#backlog.splice(at, 1);
    this.#backlog.push(change);
    if (this.#backlog.length > BACKLOG) this.#backlog.shift();
  }

  #send(change: Change): void {
    if (change.id !== null) this.#remember(change);
    for (const c of this.#clients) if (allowed(c.role, change)) write(c, 'changed', change);
  }
}

function allowed(role: Role, change: Change): boolean {
  return may(role, readNeeded[change.kind]);
}

function write(client: Client, event: string, data: unknown): void {
  const raw = client.reply.raw;
  if (raw.writableEnded || raw.destroyed) return;
  raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** Registers the stream route on the admin listener (the bearer or console cookie hook ran). */
export function streamRoute(app: FastifyInstance, stream: ConsoleStream, prefix: string): void {
  app.get(`${prefix}/stream`, async (request, reply) => {
    const ok = await stream.open(reply, request.operator.role, request.operator.name);
    if (!ok) throw new LifelineError('CONSOLE_STREAM_FULL');
    return reply;
  });
  // Before the server waits for its connections to end: an open stream would hold it forever.
  app.addHook('preClose', async () => stream.stop());
}
