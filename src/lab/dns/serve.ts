/**
 * One DNS server's sockets: UDP, and TCP on the same port (RFC 7766: what a resolver falls back
 * to when an answer is truncated, and what some clients use first). Each TCP message is framed by
 * a two-byte length. Whatever a client sends, the server drops or answers; it never throws.
 */
import { createSocket } from 'node:dgram';
import { createServer, type Socket } from 'node:net';

export type Answerer = (query: Buffer) => Promise<Buffer | undefined>;

export interface Listening {
  port: number;
  close(): Promise<void>;
}

const maxTcpBuffer = 64 * 1024 + 2;

/** Binds UDP on a free port, then TCP on the same number (another free port if that one is taken). */
export async function listenDns(host: string, answer: Answerer): Promise<Listening> {
  for (let attempt = 0; ; attempt++) {
    const udp = createSocket('udp4');
    udp.on('error', () => {});
    let open = true;
    udp.on('message', (msg, from) => {
      void answer(msg).then((out) => {
        if (out !== undefined && open) udp.send(out, from.port, from.address);
      });
    });
    await new Promise<void>((resolve) => udp.bind(0, host, resolve));
    const port = udp.address().port;
    const connections = new Set<Socket>();
    const tcp = createServer((socket) => {
      connections.add(socket);
      socket.on('close', () => connections.delete(socket));
      serveTcp(socket, answer);
    });
    const bound = await new Promise<boolean>((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(port, host, () => resolve(true));
    });
    const close = async () => {
      open = false;
      await new Promise<void>((r) => udp.close(() => r()));
      // Open client connections would hold close() forever.
      for (const c of connections) c.destroy();
      if (bound) await new Promise<void>((r) => tcp.close(() => r()));
    };
    if (bound) return { port, close };
    await close();
    if (attempt >= 4) throw new Error(`no port free for both UDP and TCP on ${host}`);
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
