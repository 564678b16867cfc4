/**
 * The web console on the admin listener: a Vite-built page under `/console/`, cookie sessions
 * with CSRF for it, operator SSO, and the live stream `GET /admin/v1/stream`. See docs/CONSOLE.md.
 */
import path from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditLog } from '../audit/index.ts';
import type { ConsoleConfig } from '../config/index.ts';
import type { EventStream } from '../events/index.ts';
import type { SessionDirectory } from '../live/index.ts';
import type { OperatorService } from '../operators/index.ts';
import type { Operator } from '../operators/records.ts';
import { OperatorSso } from './oidc.ts';
import { cliSsoRoutes, ssoBearerOperator } from './cli-sso.ts';
import { consoleOperator, consoleRoutes, operatorOf } from './routes.ts';
import { ConsoleSessions } from './sessions.ts';
import { ConsoleStream, streamRoute } from './stream.ts';

export { roleFromGroups } from './oidc.ts';
export { CSRF_HEADER, SESSION_COOKIE } from './sessions.ts';
export { changesOf } from './stream.ts';

/** Where `npm install` (the `prepare` script) writes the bundle. */
export const defaultBundleDir = path.resolve(import.meta.dirname, '../../dist/console');

export interface ConsoleDeps {
  config: ConsoleConfig;
  operators: Pick<OperatorService, 'authenticate' | 'active'>;
  live: Pick<SessionDirectory, 'countSessions'>;
  audit: Pick<AuditLog, 'entriesAfter' | 'head'>;
  events?: Pick<EventStream, 'on'>;
  clock: () => number;
  /** @defaultValue {@link defaultBundleDir} */
  bundleDir?: string;
}

/** What the admin listener's auth hook asks the console. */
export interface InstalledConsole {
  /** The operator a CLI SSO bearer or a console cookie names; null: check the operator token. */
  operatorOf: (request: FastifyRequest) => Promise<Operator | null>;
  stream: ConsoleStream;
}

/** Mounts the console on an admin app; call before the app is ready. */
export function installConsole(app: FastifyInstance, deps: ConsoleDeps, prefix: string): InstalledConsole {
  const sessions = new ConsoleSessions({ ttlSeconds: deps.config.sessionTtlSeconds, clock: deps.clock });
  const sso = new OperatorSso(deps.config.oidc, deps.clock);
  const cli = {
    sso,
    tokens: new ConsoleSessions({ ttlSeconds: deps.config.sessionTtlSeconds, clock: deps.clock }),
    operators: deps.operators,
    operatorOf,
  };
  cliSsoRoutes(app, cli);
  consoleRoutes(app, {
    config: deps.config,
    sessions,
    sso,
    operators: deps.operators,
    bundleDir: deps.bundleDir ?? defaultBundleDir,
  });
  const stream = new ConsoleStream({
    live: deps.live,
    audit: deps.audit,
    ...(deps.events ? { events: deps.events } : {}),
    intervalMs: deps.config.streamIntervalMs,
    maxClients: deps.config.maxStreams,
    clock: deps.clock,
  });
  streamRoute(app, stream, prefix);
  stream.start();
  const bearer = ssoBearerOperator(cli);
  const cookie = consoleOperator({ sessions, operators: deps.operators });
  return {
    // A CLI SSO token first; the cookie only when no bearer is given (an operator token wins).
    operatorOf: async (request) =>
      (await bearer(request)) ?? (request.headers.authorization === undefined ? cookie(request) : null),
    stream,
  };
}
