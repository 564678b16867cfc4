import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { WebSocketServer } from 'ws';
import { errorBody, LifelineError } from '../../errors/index.ts';
import type { SessionService, SocketHub } from '../../sessions/index.ts';
import { toLifelineError } from '../errors.ts';
import type { AddressLimit } from './limits.ts';

export interface ControlSocketDeps {
  logger: FastifyBaseLogger;
  sessions: Pick<SessionService, 'authenticate'>;
  hub: SocketHub;
  fromAddress: AddressLimit;
}

function bearer(request: IncomingMessage, url: URL): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7);
  return url.searchParams.get('access_token') ?? undefined;
}

/** Answers a refused upgrade in plain HTTP, with the same error body as every other route. */
function refuse(socket: Duplex, err: LifelineError): void {
  const body = JSON.stringify(errorBody(err));
  const retryAfter = err.details?.retryAfterSeconds;
  const wait = typeof retryAfter === 'number' ? `Retry-After: ${Math.max(1, Math.ceil(retryAfter))}\r\n` : '';
  socket.end(
    `HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? 'Error'}\r\nContent-Type: application/json\r\n` +
      `${wait}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * The control socket is upgraded by ws directly, not through a Fastify route: the login bench
 * found @fastify/websocket keeps each socket's whole request, reply and logger alive (8.3 KB of
 * objects a socket against 3.7 KB for bare ws). Here nothing of the request outlives the upgrade.
 * The hub owns the frame rules (size limit, no compression, UTF-8 checked).
 */
export function attachControlSocket(app: FastifyInstance, deps: ControlSocketDeps): void {
  const wss = new WebSocketServer({ noServer: true, ...deps.hub.serverOptions });
  const upgrade = async (request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    socket.on('error', () => socket.destroy());
    // URL.parse, not new URL: a request target such as `//[` does not parse, and a throw here
    // once ended the process (found by test/security/fuzz-socket.test.ts).
    const url = URL.parse(request.url ?? '/', 'http://lifeline');
    if (url?.pathname !== '/v1/session') return refuse(socket, new LifelineError('NOT_FOUND'));
    try {
      await deps.fromAddress('upgrade', request);
    } catch (err) {
      return refuse(socket, toLifelineError(err));
    }
    const token = bearer(request, url);
    if (!token) {
      return refuse(
        socket,
        new LifelineError(
          'TOKEN_INVALID',
          'Give the access token as ?access_token= or Authorization: Bearer',
        ),
      );
    }
    let session: Awaited<ReturnType<SessionService['authenticate']>>;
    try {
      session = await deps.sessions.authenticate(token);
    } catch (err) {
      return refuse(socket, toLifelineError(err));
    }
    wss.handleUpgrade(request, socket, head, (ws) => deps.hub.attach(session, ws));
  };
  app.server.on(
    'upgrade',
    (request: IncomingMessage, socket: Duplex, head: Buffer) =>
      void upgrade(request, socket, head).catch((err: unknown) => {
        // Whatever a client sends, a failed upgrade costs that connection only, never the node.
        deps.logger.error({ err }, 'socket upgrade failed');
        socket.destroy();
      }),
  );
  app.addHook('onClose', async () => {
    wss.close();
  });
}
