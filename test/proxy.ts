/**
 * A TCP proxy on loopback in front of a real service, to take that service away and give it
 * back: `cut()` drops every connection and refuses new ones, `restore()` accepts again on the
 * same port; `freeze()` keeps every connection open but forwards nothing (a service that hangs
 * without closing). The service itself is never touched (other suites share it).
 */
import net from 'node:net';

export class TcpProxy {
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<net.Socket>();
  #server: net.Server | undefined;
  #port = 0;
  #frozen = false;

  private constructor(target: { host: string; port: number }) {
    this.#target = target;
  }

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const proxy = new TcpProxy(target);
    await proxy.restore();
    return proxy;
  }

  get port(): number {
    return this.#port;
  }

  /** Sockets open through the proxy (each client connection counts twice: in and out). */
  get openSockets(): number {
    return this.#sockets.size;
  }

  /** Accepts (again) on the proxy's port, forwarding to the target. */
  async restore(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.#target);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      // Forwarded by hand rather than piped, so that a frozen proxy can swallow what it is sent.
      client.on('data', (chunk) => {
        if (!this.#frozen) upstream.write(chunk);
      });
      upstream.on('data', (chunk) => {
        if (!this.#frozen) client.write(chunk);
      });
      // As pipe() would: a side that ends its writing ends the other's.
      client.on('end', () => upstream.end());
      upstream.on('end', () => client.end());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => resolve());
    });
    this.#port = (server.address() as net.AddressInfo).port;
    this.#server = server;
  }

  /** The outage: every connection through the proxy drops, and new ones are refused. */
  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const s of this.#sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The hang: connections stay open, and whatever is sent through them is dropped. */
  freeze(): void {
    this.#frozen = true;
  }

  async close(): Promise<void> {
    await this.cut();
  }
}
