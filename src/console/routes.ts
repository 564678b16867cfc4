/**
 * The console's own routes on the admin listener: the page (the Vite bundle), sign-in with an
 * operator token or through SSO, sign-out, and the cookie check the admin routes run for a
 * request without a bearer token.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ConsoleConfig } from '../config/index.ts';
import { LifelineError } from '../errors/index.ts';
import { may, type OperatorService, type Permission, permissions } from '../operators/index.ts';
import type { Operator, Role } from '../operators/records.ts';
import type { OperatorSso } from './oidc.ts';
import {
  type ConsoleSession,
  type ConsoleSessions,
  CSRF_HEADER,
  csrfMatches,
  isSafeMethod,
  readCookie,
  SESSION_COOKIE,
  sessionCookie,
} from './sessions.ts';
import { serveBundle } from './static.ts';

/** The cookie tying an SSO sign-in's callback to the browser that started it. */
const SSO_COOKIE = 'lifeline_console_sso';

export interface ConsoleRoutesDeps {
  config: ConsoleConfig;
  sessions: ConsoleSessions;
  sso: OperatorSso;
  operators: Pick<OperatorService, 'authenticate' | 'active'>;
  /** The built bundle's directory. */
  bundleDir: string;
}

/** The operator a console cookie names (CSRF checked on state-changing calls), or null. */
export function consoleOperator(
  deps: Pick<ConsoleRoutesDeps, 'sessions' | 'operators'>,
): (request: FastifyRequest) => Promise<Operator | null> {
  return async (request) => {
    const id = readCookie(request.headers.cookie, SESSION_COOKIE);
    const session = deps.sessions.find(id);
    if (!session) return null;
    if (!isSafeMethod(request.method) && !csrfMatches(session, request.headers[CSRF_HEADER]))
      throw new LifelineError('CONSOLE_CSRF_INVALID');
    const operator = await operatorOf(deps.operators, session);
    if (!operator) {
      deps.sessions.destroy(id);
      return null;
    }
    return operator;
  };
}

/** The session's operator as the store has it now (revoked: null), with an SSO role applied. */
export async function operatorOf(
  operators: Pick<OperatorService, 'active'>,
  session: Pick<ConsoleSession, 'operatorId' | 'operatorName' | 'role'>,
): Promise<Operator | null> {
  const operator = await operators.active(session.operatorName).catch(() => null);
  if (!operator || operator.id !== session.operatorId) return null;
  return session.role === null ? operator : { ...operator, role: session.role };
}

/** What the page needs to know about who signed in: the permissions gate every control. */
function describe(operator: Operator, session: ConsoleSession) {
  const allowed = (Object.keys(permissions) as Permission[]).filter((p) => may(operator.role, p));
  return {
    operator: { name: operator.name, role: operator.role },
    via: session.via,
    csrf: session.csrf,
    permissions: allowed,
    expiresAt: session.expiresAt,
  };
}

function signIn(
  deps: ConsoleRoutesDeps,
  reply: FastifyReply,
  operator: Operator,
  via: 'token' | 'sso',
  role: Role | null,
) {
  const { id, session } = deps.sessions.create({
    operatorId: operator.id,
    operatorName: operator.name,
    role,
    via,
  });
  void reply.header('set-cookie', sessionCookie(id, deps.config.sessionTtlSeconds, deps.config.secureCookie));
  return { id, session };
}

/** Registers `/console/*`: the page, `/console/session` and `/console/sso/*`. */
export function consoleRoutes(app: FastifyInstance, deps: ConsoleRoutesDeps): void {
  app.addHook('onSend', async (request, reply) => {
    if (request.url.startsWith('/console')) void reply.header('cache-control', 'no-store');
  });
  app.post<{ Body: { token: string } }>(
    '/console/session',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['token'],
          properties: { token: { type: 'string', minLength: 1, maxLength: 512 } },
        },
      },
    },
    async (request, reply) => {
      const operator = await deps.operators.authenticate(request.body.token);
      const { session } = signIn(deps, reply, operator, 'token', null);
      return describe(operator, session);
    },
  );
  app.get('/console/session', async (request) => {
    const session = deps.sessions.find(readCookie(request.headers.cookie, SESSION_COOKIE));
    const operator = session ? await operatorOf(deps.operators, session) : null;
    if (!session || !operator) throw new LifelineError('OPERATOR_UNAUTHENTICATED');
    return describe(operator, session);
  });
  app.delete('/console/session', async (request, reply) => {
    const id = readCookie(request.headers.cookie, SESSION_COOKIE);
    const session = deps.sessions.find(id);
    if (session && !csrfMatches(session, request.headers[CSRF_HEADER]))
      throw new LifelineError('CONSOLE_CSRF_INVALID');
    deps.sessions.destroy(id);
    void reply.header('set-cookie', sessionCookie('', 0, deps.config.secureCookie));
    return reply.code(204).send();
  });
  ssoRoutes(app, deps);
  serveBundle(app, deps.bundleDir);
}

function ssoRoutes(app: FastifyInstance, deps: ConsoleRoutesDeps): void {
  app.get('/console/sso', async () => ({ enabled: deps.sso.enabled }));
  app.get('/console/sso/login', async (_request, reply) => {
    const url = await deps.sso.start();
    // Binds the sign-in to this browser: a callback URL someone else started (login CSRF) lacks it.
    // Lax, not Strict: the provider's redirect back is a cross-site top-level navigation.
    const secure = deps.config.secureCookie ? '; Secure' : '';
    const state = url.searchParams.get('state') ?? '';
    void reply.header(
      'set-cookie',
      `${SSO_COOKIE}=${state}; Path=/console/sso; HttpOnly; SameSite=Lax; Max-Age=600${secure}`,
    );
    return reply.redirect(url.href);
  });
  app.get('/console/sso/callback', async (request, reply) => {
    const query = new URLSearchParams(request.url.split('?')[1] ?? '');
    const bound = readCookie(request.headers.cookie, SSO_COOKIE);
    if (bound === undefined || bound === '' || bound !== query.get('state'))
      throw new LifelineError(
        'CONSOLE_SSO_FAILED',
        'This sign-in was not started in this browser: start again',
      );
    const { name, role } = await deps.sso.finish(query);
    // The person must be an active, enrolled operator of that name: audit and TOTP are theirs.
    const operator = await deps.operators.active(name).catch(() => {
      throw new LifelineError('CONSOLE_SSO_NO_ROLE', `No active Lifeline operator named ${name}`);
    });
    signIn(deps, reply, operator, 'sso', role);
    return reply.redirect('/console/');
  });
}
