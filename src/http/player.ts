import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { AdmissionController, Admitted } from '../admission/index.ts';
import { WebSocketServer } from 'ws';
import { errorBody, LifelineError } from '../errors/index.ts';
import type { Metrics } from '../metrics/index.ts';
import type { RestoreService } from '../restore/index.ts';
import type {
  LimitedRoute,
  PlayerLimits,
  SessionService,
  SessionTokens as IssuedTokens,
  SocketHub,
} from '../sessions/index.ts';
import type { Tokens } from '../tokens/index.ts';
import { addressBucket, ClientAddress } from './client-ip.ts';
import {
  ajvOptions,
  frameworkErrors,
  installErrorHandling,
  retryAfterHeader,
  toLifelineError,
} from './errors.ts';
import { refuseNulText } from './input.ts';
import { metricsRoute } from './metrics.ts';
import { LoginBody, PollBody, RefreshBody, RejoinBody, SessionTokens } from './schemas.ts';

export interface PlayerApiDeps {
  logger: FastifyBaseLogger;
  bodyLimitBytes: number;
  /** Proxies whose X-Forwarded-For names the client (player.trustProxy): addresses and CIDRs. */
  trustProxy: readonly string[];
  /** Token buckets per client address and per player on login, refresh, rejoin and upgrade. */
  limits: PlayerLimits;
  sessions: SessionService;
  /** Present when identity is a remote upstream to protect. */
  admission: AdmissionController<IssuedTokens> | undefined;
  restores: RestoreService;
  hub: SocketHub;
  tokens: Tokens;
  metrics: Metrics;
  /** `metrics.token`: when not empty, `/metrics` is served here to `Bearer <token>` only. */
  metricsToken: string;
  /** /ready's answer: null when ready, else what is wrong. */
  readiness: () => Promise<{
    ready: boolean;
    checks: Record<string, string>;
    dependencies: Record<string, string>;
    /** Security alerts this node holds (the audit chain watch); never a reason to be unready. */
    alerts?: Record<string, string>;
  }>;
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

/** The player-facing listener: login, refresh, the control WebSocket, JWKS, health. */
export async function buildPlayerApi(deps: PlayerApiDeps): Promise<FastifyInstance> {
  const base = Fastify({
    loggerInstance: deps.logger.child({ listener: 'player' }),
    bodyLimit: deps.bodyLimitBytes,
    trustProxy: deps.trustProxy.length > 0 ? [...deps.trustProxy] : false,
    ajv: ajvOptions,
    frameworkErrors,
    return503OnClosing: true,
  });
  installErrorHandling(base);
  refuseNulText(base);
  const app = base.withTypeProvider<TypeBoxTypeProvider>();

  // Every limited request spends from its client address's bucket before any other work. The
  // address is the TCP peer's, or behind a trusted proxy the one X-Forwarded-For names.
  const clients = new ClientAddress(deps.trustProxy);
  const fromAddress = (route: LimitedRoute, request: IncomingMessage) =>
    deps.limits.fromAddress(
      route,
      addressBucket(clients.of(request.socket.remoteAddress, request.headers['x-forwarded-for'])),
    );

  // With a remote identity upstream, logins pass admission: 200 now, or 202 with a ticket, a
  // place in line and Retry-After; the client polls /v1/login/poll with the ticket.
  const admitted = (reply: FastifyReply, a: Admitted<IssuedTokens>) => {
    if (a.kind === 'done') return a.value;
    void reply.status(202).header('retry-after', retryAfterHeader(a.retryAfterSeconds));
    return {
      queued: true,
      ticket: a.ticket,
      position: a.position,
      etaSeconds: a.etaSeconds,
      retryAfterSeconds: a.retryAfterSeconds,
    };
  };
  app.post('/v1/login', { schema: { body: LoginBody } }, async (request, reply) => {
    await fromAddress('login', request.raw);
    if (!deps.admission) return deps.sessions.login(request.body);
    return admitted(
      reply,
      await deps.admission.enter((verified) => deps.sessions.login(request.body, verified)),
    );
  });

  app.post('/v1/login/poll', { schema: { body: PollBody } }, async (request, reply) => {
    if (!deps.admission) throw new LifelineError('LOGIN_TICKET_UNKNOWN', 'Logins are not queued here');
    return admitted(reply, await deps.admission.poll(request.body.ticket));
  });

  app.post(
    '/v1/refresh',
    { schema: { body: RefreshBody, response: { 200: SessionTokens } } },
    async (request) => {
      await fromAddress('refresh', request.raw);
      return deps.sessions.refresh(request.body.refreshToken);
    },
  );

  // The control socket is upgraded by ws directly, not through a Fastify route: the login bench
  // found @fastify/websocket keeps each socket's whole request, reply and logger alive (8.3 KB of
  // objects a socket against 3.7 KB for bare ws). Here nothing of the request outlives the upgrade.
  // The hub owns the frame rules (size limit, no compression, UTF-8 checked).
  const wss = new WebSocketServer({ noServer: true, ...deps.hub.serverOptions });
  const upgrade = async (request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    socket.on('error', () => socket.destroy());
    // URL.parse, not new URL: a request target such as `//[` does not parse, and a throw here
    // once ended the process (found by test/security/fuzz-socket.test.ts).
    const url = URL.parse(request.url ?? '/', 'http://lifeline');
    if (url?.pathname !== '/v1/session') return refuse(socket, new LifelineError('NOT_FOUND'));
    try {
      await fromAddress('upgrade', request);
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
  base.server.on(
    'upgrade',
    (request: IncomingMessage, socket: Duplex, head: Buffer) =>
      void upgrade(request, socket, head).catch((err: unknown) => {
        // Whatever a client sends, a failed upgrade costs that connection only, never the node.
        deps.logger.error({ err }, 'socket upgrade failed');
        socket.destroy();
      }),
  );
  base.addHook('onClose', async () => {
    wss.close();
  });

  // A kicked client comes back: 200 with tokens once its batch is released, 202 with
  // Retry-After until then, 403 REJOIN_REFUSED with the reason when it cannot.
  app.post('/v1/rejoin', { schema: { body: RejoinBody } }, async (request, reply) => {
    await fromAddress('rejoin', request.raw);
    const answer = await deps.restores.rejoin(request.body.resumeToken);
    if (answer.kind === 'restored') return { ...answer.tokens, restored: true };
    void reply.status(202).header('retry-after', retryAfterHeader(answer.retryAfterSeconds));
    return {
      waiting: true,
      restoreId: answer.restoreId,
      position: answer.position,
      etaSeconds: answer.etaSeconds,
      retryAfterSeconds: answer.retryAfterSeconds,
    };
  });

  app.get('/.well-known/jwks.json', async (_request, reply) => {
    void reply.header('cache-control', 'public, max-age=300');
    return deps.tokens.jwks();
  });

  app.get('/health', async () => ({ status: 'alive' }));

  app.get('/ready', async (_request, reply) => {
    const r = await deps.readiness();
    void reply.status(r.ready ? 200 : 503);
    return {
      status: r.ready ? 'ready' : 'not-ready',
      checks: r.checks,
      dependencies: r.dependencies,
      ...(r.alerts === undefined ? {} : { alerts: r.alerts }),
    };
  });

  // Metrics describe the whole node (sessions by shard, kicks, commands): they live on the admin
  // listener, and here only for a scraper that proves itself with metrics.token.
  if (deps.metricsToken !== '') metricsRoute(base, deps.metrics, { token: deps.metricsToken });

  return base;
}
