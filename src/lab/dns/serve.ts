/**
 * One DNS server's sockets: UDP, and TCP on the same port (RFC 7766: what a resolver falls back
 * to when an answer is truncated, and what some clients use first). Each TCP message is framed by
 * a two-byte length. Whatever a client sends, the server drops or answers; it never throws.
 */
import { createSocket } from 'node:dgram';
import { type AddressInfo, createServer, type Socket } from 'node:net';

export type Answerer = (query: Buffer) => Promise<Buffer | undefined>;

export interface Listening {
  port: number;
  close(): Promise<void>;
}

const maxTcpBuffer = 64 * 1024 + 2;

/**
 * Binds TCP on a free port, then UDP on the same number (another pair if that one is taken). TCP
 * first: on a machine busy with loopback connections the TCP ports are the scarce ones.
 */
export async function listenDns(host: string, answer: Answerer): Promise<Listening> {
  for (let attempt = 0; ; attempt++) {
    const connections = new Set<Socket>();
    const tcp = createServer((socket) => {
      connections.add(socket);
      socket.on('close', () => connections.delete(socket));
      serveTcp(socket, answer);
    });
    await new Promise<void>((resolve) => tcp.listen(0, host, resolve));
    const port = (tcp.address() as AddressInfo).port;
    const udp = createSocket('udp4');
    let open = true;
    udp.on('message', (msg, from) => {
      void answer(msg).then((out) => {
        if (out !== undefined && open) udp.send(out, from.port, from.address);
      });
    });
    const bound = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, host, () => resolve(true));
    });
    // A server outlives whatever a client sends it: socket errors are dropped, never thrown.
    udp.on('error', () => {});
    const close = async () => {
      open = false;
      // Open client connections would hold close() forever.
      for (const c of connections) c.destroy();
      await new Promise<void>((r) => tcp.close(() => r()));
      if (bound) await new Promise<void>((r) => udp.close(() => r()));
    };
    if (bound) return { port, close };
    await close();
    if (attempt >= 19) throw new Error(`no port free for both TCP and UDP on ${host}`);
  }
}

function serveTcp(socket: Socket, answer: Answerer): void {
  socket.on('error', () => socket.destroy());
  let buffer = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    if (buffer.length > maxTcpBuffer) return void socket.destroy();
    while (buffer.length >= 2 && buffer.length >= 2 + buffer.readUInt16BE(0)) {
      const message = buffer.subarray(2, 2 + buffer.readUInt16BE(0));
      buffer = buffer.subarray(2 + message.length);
      void answer(message).then((out) => {
        if (out === undefined || socket.destroyed) return;
        const length = Buffer.alloc(2);
        length.writeUInt16BE(out.length);
        socket.write(Buffer.concat([length, out]));
      });
    }
  });
}
