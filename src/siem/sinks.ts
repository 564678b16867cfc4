/**
 * Where the ECS documents go: a JSON Lines file (appended, rotated by size: `audit.jsonl` →
 * `audit.jsonl.1` → … up to `keep` old files, the oldest dropped), or syslog per RFC 5424, over
 * UDP (one datagram per document, RFC 5426) or TCP (octet-counting framing, RFC 6587). Syslog
 * messages carry facility 13 (log audit), severity 6 (informational) or 4 (warning) for a failure,
 * APP-NAME from config, MSGID `audit`, and the ECS JSON as MSG.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { appendFile, rename, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { connect, type Socket } from 'node:net';

export interface Sink {
  /** Writes the documents, in order; resolves once they are handed over (written, or sent). */
  write(docs: readonly Record<string, unknown>[]): Promise<void>;
  close(): Promise<void>;
}

export class FileSink implements Sink {
  readonly #path: string;
  readonly #maxBytes: number;
  readonly #keep: number;

  constructor(path: string, maxBytes: number, keep: number) {
    this.#path = path;
    this.#maxBytes = maxBytes;
    this.#keep = keep;
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  }

  async write(docs: readonly Record<string, unknown>[]): Promise<void> {
    if (docs.length === 0) return;
    const text = docs.map((d) => `${JSON.stringify(d)}\n`).join('');
    const size = await stat(this.#path).then(
      (s) => s.size,
      () => 0,
    );
    if (size > 0 && size + Buffer.byteLength(text) > this.#maxBytes) await this.#rotate();
    await appendFile(this.#path, text, { mode: 0o600 });
  }

  async #rotate(): Promise<void> {
    await rm(`${this.#path}.${this.#keep}`, { force: true });
    for (let i = this.#keep - 1; i >= 1; i--)
      await rename(`${this.#path}.${i}`, `${this.#path}.${i + 1}`).catch(() => {});
    await rename(this.#path, `${this.#path}.1`);
  }

  async close(): Promise<void> {}
}

const FACILITY_LOG_AUDIT = 13;

/** One RFC 5424 message: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG`. */
export function syslogLine(doc: Record<string, unknown>, appName: string, host = hostname()): string {
  const failed = (doc.event as { outcome?: string } | undefined)?.outcome === 'failure';
  const pri = FACILITY_LOG_AUDIT * 8 + (failed ? 4 : 6);
  const field = (s: string, max: number) => s.replace(/[^\x21-\x7e]/g, '').slice(0, max) || '-';
  const ts = String(doc['@timestamp'] ?? new Date().toISOString());
  return `<${pri}>1 ${ts} ${field(host, 255)} ${field(appName, 48)} ${process.pid} audit - ${JSON.stringify(doc)}`;
}

export class SyslogSink implements Sink {
  readonly #host: string;
  readonly #port: number;
  readonly #transport: 'udp' | 'tcp';
  readonly #appName: string;
  #udp: UdpSocket | undefined;
  #tcp: Socket | undefined;

  constructor(o: { host: string; port: number; transport: 'udp' | 'tcp'; appName: string }) {
    this.#host = o.host;
    this.#port = o.port;
    this.#transport = o.transport;
    this.#appName = o.appName;
  }

  async write(docs: readonly Record<string, unknown>[]): Promise<void> {
    for (const d of docs) {
      const line = Buffer.from(syslogLine(d, this.#appName));
      if (this.#transport === 'udp') await this.#sendUdp(line);
      else await this.#sendTcp(Buffer.concat([Buffer.from(`${line.length} `), line]));
    }
  }

  #sendUdp(line: Buffer): Promise<void> {
    if (this.#udp === undefined) {
      this.#udp = createSocket(this.#host.includes(':') ? 'udp6' : 'udp4');
      this.#udp.on('error', () => {});
      this.#udp.unref();
    }
    const udp = this.#udp;
    return new Promise((resolve, reject) =>
      udp.send(line, this.#port, this.#host, (err) => (err ? reject(err) : resolve())),
    );
  }

  async #sendTcp(frame: Buffer): Promise<void> {
    if (this.#tcp === undefined || this.#tcp.destroyed) {
      const socket = connect({ host: this.#host, port: this.#port });
      // A broken connection is dropped here; the next write opens a new one.
      socket.on('error', () => socket.destroy());
      socket.on('close', () => {
        if (this.#tcp === socket) this.#tcp = undefined;
      });
      await once(socket, 'connect');
      this.#tcp = socket;
    }
    const tcp = this.#tcp;
    await new Promise<void>((resolve, reject) => tcp.write(frame, (err) => (err ? reject(err) : resolve())));
  }

  async close(): Promise<void> {
    this.#udp?.close();
    this.#udp = undefined;
    if (this.#tcp !== undefined) {
      const tcp = this.#tcp;
      this.#tcp = undefined;
      await new Promise<void>((resolve) => tcp.end(resolve));
    }
  }
}
