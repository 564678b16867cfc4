import websocket from '@fastify/websocket';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import { LifelineError } from '../errors/index.ts';
import type { LiveSession } from '../live/index.ts';
import type { Metrics } from '../metrics/index.ts';
import type { SessionService, SocketHub } from '../sessions/index.ts';
import type { Tokens } from '../tokens/index.ts';
import { ajvOptions, installErrorHandling } from './errors.ts';
import { LoginBody, RefreshBody, SessionTokens } from './schemas.ts';

export interface PlayerApiDeps {
  logger: FastifyBaseLogger;
  bodyLimitBytes: number;
  trustProxy: boolean;
  sessions: SessionService;
  hub: SocketHub;
  tokens: Tokens;
  metrics: Metrics;
  /** /ready's answer: null when ready, else what is wrong. */
  readiness: () => Promise<{ ready: boolean; checks: Record<string, string> }>;
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7);
  const q = request.query as { access_token?: unknown };
  return typeof q.access_token === 'string' ? q.access_token : undefined;
}

/** The player-facing listener: login, refresh, the control WebSocket, JWKS, health. */
export async function buildPlayerApi(deps: PlayerApiDeps): Promise<FastifyInstance> {
  const base = Fastify({
    loggerInstance: deps.logger.child({ listener: 'player' }),
    bodyLimit: deps.bodyLimitBytes,
    trustProxy: deps.trustProxy,
    ajv: ajvOptions,
    return503OnClosing: true,
  });
  installErrorHandling(base);
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  await base.register(websocket, { options: { maxPayload: 4096 } });

  app.post('/v1/login', { schema: { body: LoginBody, response: { 200: SessionTokens } } }, async (request) =>
    deps.sessions.login(request.body),
  );

  app.post(
    '/v1/refresh',
    { schema: { body: RefreshBody, response: { 200: SessionTokens } } },
    async (request) => deps.sessions.refresh(request.body.refreshToken),
  );

  // The session found by preValidation, handed to the socket handler without keeping the
  // request alive for the life of the socket.
  const authenticated = new WeakMap<FastifyRequest, LiveSession>();
  app.get(
    '/v1/session',
    {
      websocket: true,
      preValidation: async (request) => {
        const token = bearer(request);
        if (!token)
          throw new LifelineError(
            'TOKEN_INVALID',
            'Give the access token as ?access_token= or Authorization: Bearer',
          );
        authenticated.set(request, await deps.sessions.authenticate(token));
      },
    },
    (socket, request) => {
      const session = authenticated.get(request);
      if (!session) {
        socket.close(1008, 'unauthenticated');
        return;
      }
      deps.hub.attach(session, socket);
    },
  );

  app.get('/.well-known/jwks.json', async (_request, reply) => {
    void reply.header('cache-control', 'public, max-age=300');
    return deps.tokens.jwks();
  });

  app.get('/health', async () => ({ status: 'alive' }));

  app.get('/ready', async (_request, reply) => {
    const r = await deps.readiness();
    void reply.status(r.ready ? 200 : 503);
    return { status: r.ready ? 'ready' : 'not-ready', checks: r.checks };
  });

  app.get('/metrics', async (_request, reply) => {
    void reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });

  return base;
}
