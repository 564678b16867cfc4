/**
 * A WebSocket client written on `node:net`, frame by frame, for the tests that send what no
 * WebSocket library lets one send (unmasked frames, reserved opcodes, bad close codes), and a
 * Lifeline started as a child process (`src/main.ts serve`), so a test can see the process stay up
 * and read its memory.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { raisedPlayerLimitsEnv, tempDir } from '../helpers.ts';

export const opcodes = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

export interface FrameSpec {
  opcode: number;
  payload?: Buffer | string;
  /** Defaults to true: a client must mask every frame (RFC 6455 §5.3). */
  mask?: boolean;
  fin?: boolean;
  rsv1?: boolean;
}

/** One frame's bytes, built by hand. */
export function frame(spec: FrameSpec): Buffer {
  const payload = Buffer.from(spec.payload ?? '');
  const mask = spec.mask ?? true;
  const n = payload.length;
  const lengthBytes = n < 126 ? 0 : n < 65536 ? 2 : 8;
  const head = Buffer.alloc(2 + lengthBytes + (mask ? 4 : 0));
  head[0] = ((spec.fin ?? true) ? 0x80 : 0) | (spec.rsv1 ? 0x40 : 0) | (spec.opcode & 0x0f);
  head[1] = (mask ? 0x80 : 0) | (n < 126 ? n : n < 65536 ? 126 : 127);
  if (lengthBytes === 2) head.writeUInt16BE(n, 2);
  if (lengthBytes === 8) head.writeBigUInt64BE(BigInt(n), 2);
  if (!mask) return Buffer.concat([head, payload]);
  const key = randomBytes(4);
  key.copy(head, 2 + lengthBytes);
  const masked = Buffer.alloc(n);
  for (let i = 0; i < n; i++) masked[i] = (payload[i] as number) ^ (key[i & 3] as number);
  return Buffer.concat([head, masked]);
}

/** A close frame's payload: the code, then the reason. */
export function closePayload(code: number, reason = ''): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(code);
  return Buffer.concat([b, Buffer.from(reason)]);
}

export const pingFrame = (): Buffer => frame({ opcode: opcodes.text, payload: '{"type":"ping"}' });

/**
 * A control-socket client on a raw TCP connection. It answers the server's close frame as a client
 * should, and records every JSON message and the close code the server sent.
 */
export class RawClient {
  readonly socket: Socket;
  readonly messages: any[] = [];
  /** The code of the server's close frame, once one has arrived. */
  closeCode: number | undefined;
  /** Resolves when the TCP connection is gone, with the server's close code (1006 if none came). */
  readonly closed: Promise<number>;
  #buffer: Buffer = Buffer.alloc(0);
  #waiters: Array<{ type: string; resolve: (m: any) => void; reject: (e: Error) => void }> = [];

  private constructor(socket: Socket, rest: Buffer) {
    this.socket = socket;
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        for (const w of this.#waiters.splice(0)) w.reject(new Error('socket closed'));
        resolve(this.closeCode ?? 1006);
      }),
    );
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    if (rest.length > 0) this.#onData(rest);
  }

  /** Opens the control socket with an access token; resolves once the server has said welcome. */
  static async open(playerUrl: string, accessToken: string): Promise<RawClient> {
    const url = new URL(playerUrl);
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    socket.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('close', () => reject(new Error('connection refused')));
    });
    socket.write(
      `GET /v1/session?access_token=${encodeURIComponent(accessToken)} HTTP/1.1\r\n` +
        `Host: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    const rest = await new Promise<Buffer>((resolve, reject) => {
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        const status = head.subarray(0, end).toString('latin1').split('\r\n')[0] ?? '';
        if (!status.startsWith('HTTP/1.1 101')) reject(new Error(`upgrade refused: ${status}`));
        else resolve(head.subarray(end + 4));
      };
      socket.on('data', onData);
      socket.once('close', () => reject(new Error('closed during the upgrade')));
    });
    const client = new RawClient(socket, rest);
    await client.next('welcome');
    return client;
  }

  /** Resolves with the next message of this type (or one already received and not yet taken). */
  next(type: string): Promise<any> {
    const i = this.messages.findIndex((m) => m.type === type);
    if (i >= 0) return Promise.resolve(this.messages.splice(i, 1)[0]);
    if (this.socket.destroyed) return Promise.reject(new Error('socket closed'));
    return new Promise((resolve, reject) => this.#waiters.push({ type, resolve, reject }));
  }

  /** Sends `{"type":"ping"}` and resolves with the pong. */
  async ping(): Promise<any> {
    this.socket.write(pingFrame());
    return this.next('pong');
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  #onData(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      const b = this.#buffer;
      if (b.length < 2) return;
      const opcode = (b[0] as number) & 0x0f;
      let n = (b[1] as number) & 0x7f;
      let at = 2;
      if (n === 126) {
        if (b.length < 4) return;
        n = b.readUInt16BE(2);
        at = 4;
      } else if (n === 127) {
        if (b.length < 10) return;
        n = Number(b.readBigUInt64BE(2));
        at = 10;
      }
      if (b.length < at + n) return;
      const payload = b.subarray(at, at + n);
      this.#buffer = b.subarray(at + n);
      if (opcode === opcodes.text) this.#onMessage(JSON.parse(payload.toString('utf8')));
      else if (opcode === opcodes.close) {
        this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        // Answer as a client must, then let the server end the connection.
        if (!this.socket.destroyed)
          this.socket.end(frame({ opcode: opcodes.close, payload: payload.subarray(0, 2) }));
      }
    }
  }

  #onMessage(message: any): void {
    const i = this.#waiters.findIndex((w) => w.type === message.type);
    if (i >= 0) this.#waiters.splice(i, 1)[0]?.resolve(message);
    else this.messages.push(message);
  }
}

const root = join(import.meta.dirname, '..', '..');

export interface ChildLifeline {
  playerUrl: string;
  adminUrl: string;
  child: ChildProcessWithoutNullStreams;
  /** True while the process has not exited. */
  alive(): boolean;
  /** The process's resident set size in bytes, from /proc/<pid>/status (VmRSS). */
  rss(): number;
  stderr(): string;
}

/**
 * Starts `node src/main.ts serve` on SQLite with loopback ports; `env` adds LIFELINE_* variables.
 * Killed when the test ends.
 */
export async function serveChild(t: TestContext, env: Record<string, string> = {}): Promise<ChildLifeline> {
  const dataDir = tempDir(t, 'lifeline-wire-');
  // A young generation of fixed size (V8 otherwise grows and shrinks it with the allocation
  // rate, moving RSS by up to tens of MiB), so that RSS shows what the process holds.
  const youngGeneration = ['--min-semi-space-size=8', '--max-semi-space-size=8'];
  const child = spawn(process.execPath, [...youngGeneration, join(root, 'src/main.ts'), 'serve'], {
    cwd: dataDir,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      LIFELINE_DATA_DIR: join(dataDir, 'data'),
      LIFELINE_PLAYER__HOST: '127.0.0.1',
      LIFELINE_PLAYER__PORT: '0',
      LIFELINE_ADMIN__HOST: '127.0.0.1',
      LIFELINE_ADMIN__PORT: '0',
      // A hundred bystanders log in from loopback: the player-API limits are not under test here.
      ...raisedPlayerLimitsEnv,
      ...env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  const urls = await new Promise<{ playerUrl: string; adminUrl: string }>((resolve, reject) => {
    let buffered = '';
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) if (line.includes('Lifeline is serving')) resolve(JSON.parse(line));
    });
    void exited.then(() => reject(new Error(`lifeline exited before serving: ${stderr}`)));
  });
  return {
    ...urls,
    child,
    alive: () => child.exitCode === null && child.signalCode === null,
    rss: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
      if (kb === undefined) throw new Error('no VmRSS: has the process exited?');
      return Number(kb) * 1024;
    },
    stderr: () => stderr,
  };
}
