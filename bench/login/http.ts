/**
 * A minimal keep-alive HTTP/1.1 client on raw sockets, one request in flight per connection.
 * node:http's client costs more CPU per request than a bare Fastify server does to answer it,
 * so with one core for the load generator it would measure itself, not the server.
 * Only what the bench needs: loopback, POST of a JSON body, responses with Content-Length.
 */
import { connect, type Socket } from 'node:net';

export interface HttpResponse {
  status: number;
  body: Buffer;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/** The bytes of `POST <path>` with a JSON body. */
export function postJsonRequest(port: number, path: string, json: string): Buffer {
  return Buffer.from(
    `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(json)}\r\n\r\n${json}`,
  );
}

export class HttpConnection {
  readonly #socket: Socket;
  #buffer: Buffer | null = null;
  #pending: { resolve: (r: HttpResponse) => void; reject: (e: Error) => void } | null = null;
  #dead: Error | null = null;
  /** The server said `connection: close`: open a new connection for the next request. */
  closing = false;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err) => this.#fail(err));
    socket.on('close', () => this.#fail(new Error('connection closed by the server')));
  }

  static open(port: number, timeoutMs = 5_000): Promise<HttpConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error('connect timed out'));
      }, timeoutMs);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new HttpConnection(socket));
      });
    });
  }

  get usable(): boolean {
    return this.#dead === null && !this.closing;
  }

  request(raw: Buffer): Promise<HttpResponse> {
    if (this.#dead) return Promise.reject(this.#dead);
    if (this.#pending) return Promise.reject(new Error('one request at a time'));
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject };
      this.#socket.write(raw);
    });
  }

  destroy(): void {
    this.#dead ??= new Error('destroyed');
    this.#socket.destroy();
  }

  #fail(err: Error): void {
    this.#dead ??= err;
    const p = this.#pending;
    this.#pending = null;
    p?.reject(err);
  }

  #onData(chunk: Buffer): void {
    const buf = this.#buffer ? Buffer.concat([this.#buffer, chunk]) : chunk;
    const headerEnd = buf.indexOf(HEADER_END);
    if (headerEnd < 0) {
      this.#buffer = buf;
      return;
    }
    const head = buf.toString('latin1', 0, headerEnd).toLowerCase();
    const length = /\r\ncontent-length: *(\d+)/.exec(head)?.[1];
    if (length === undefined) {
      this.#fail(new Error(`response without content-length: ${head.slice(0, 200)}`));
      this.destroy();
      return;
    }
    const total = headerEnd + 4 + Number(length);
    if (buf.length < total) {
      this.#buffer = buf;
      return;
    }
    this.#buffer = null;
    if (buf.length > total || !this.#pending) {
      this.#fail(new Error('unexpected bytes after the response'));
      this.destroy();
      return;
    }
    if (head.includes('\r\nconnection: close')) this.closing = true;
    const p = this.#pending;
    this.#pending = null;
    p.resolve({ status: Number(head.slice(9, 12)), body: buf.subarray(headerEnd + 4, total) });
  }
}
