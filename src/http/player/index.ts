import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { AdmissionController } from '../../admission/index.ts';
import type { Metrics } from '../../metrics/index.ts';
import type { RestoreService } from '../../restore/index.ts';
import type {
  SessionTokens as IssuedTokens,
  PlayerLimits,
  SessionService,
  SocketHub,
} from '../../sessions/index.ts';
import type { PlayerReports } from '../../signals/index.ts';
import type { Tokens } from '../../tokens/index.ts';
import { ajvOptions, frameworkErrors, installErrorHandling } from '../errors.ts';
import { accessLog } from '../access-log.ts';
import { refuseNulText } from '../input.ts';
import { metricsRoute } from '../metrics.ts';
import { addressLimit } from './limits.ts';
import { loginRoutes } from './login.ts';
import { probeRoutes, type Readiness } from './probes.ts';
import { reportRoutes } from './reports.ts';
import { resumeRoutes } from './resume.ts';
import { type StatusRoutesOptions, statusRoutes } from './status.ts';
import { attachControlSocket } from './socket.ts';

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
  /** Player reports (`POST /v1/reports`), counted by the player-reports detector. */
  reports: PlayerReports;
  /** /ready's answer: ready, or what is wrong. */
  readiness: () => Promise<Readiness>;
  /** The public status page (`/status`, `/status/summary.json`, `/status/worst`). */
  status: StatusRoutesOptions;
}

/** The player-facing listener: login, refresh, rejoin, the control WebSocket, JWKS, health. */
export async function buildPlayerApi(deps: PlayerApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger.child({ listener: 'player' }),
    bodyLimit: deps.bodyLimitBytes,
    trustProxy: deps.trustProxy.length > 0 ? [...deps.trustProxy] : false,
    ajv: ajvOptions,
    frameworkErrors,
    return503OnClosing: true,
    logController: new LogController({ disableRequestLogging: true }),
  });
  accessLog(app);
  installErrorHandling(app);
  refuseNulText(app);
  const fromAddress = addressLimit(deps.trustProxy, deps.limits);
  const { sessions } = deps;
  // Plain functions on the one root context, not plugins: each encapsulated plugin gets its own
  // Request and Reply subclasses, and the login path is the hot path the login bench measures.
  const typed = app.withTypeProvider<TypeBoxTypeProvider>();
  loginRoutes(typed, { sessions, admission: deps.admission, fromAddress });
  resumeRoutes(typed, { sessions, restores: deps.restores, fromAddress });
  attachControlSocket(app, { logger: deps.logger, sessions, hub: deps.hub, fromAddress });
  probeRoutes(typed, { tokens: deps.tokens, readiness: deps.readiness });
  reportRoutes(typed, { reports: deps.reports, fromAddress });
  statusRoutes(typed, deps.status);
  // Metrics describe the whole node (sessions by shard, kicks, commands): they live on the admin
  // listener, and here only for a scraper that proves itself with metrics.token.
  if (deps.metricsToken !== '') metricsRoute(app, deps.metrics, { token: deps.metricsToken });
  return app;
}
