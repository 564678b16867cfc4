/**
 * SSO for the CLI (`lifeline sso login`), by loopback redirect (RFC 8252): the CLI listens on
 * 127.0.0.1, asks the node for the provider's URL with that redirect, the person signs in in a
 * browser, and the CLI hands the callback's query back. The node finishes the sign-in exactly as
 * for the console (PKCE, state and nonce kept here; groups → role; an active operator of that
 * name) and answers a short-lived bearer token, `llsso_…`, which the admin API takes like a console
 * SSO session: the mapped role, expiry after `console.sessionTtlSeconds`, and TOTP step-up with
 * the operator's own secret wherever a route asks for one.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { LifelineError } from '../errors/index.ts';
import type { OperatorService } from '../operators/index.ts';
import type { Operator } from '../operators/records.ts';
import { loopbackRedirect, type OperatorSso } from './oidc.ts';
import type { ConsoleSessions } from './sessions.ts';

/** What marks a CLI SSO token apart from an operator token (`llo_…`). */
export const SSO_TOKEN_PREFIX = 'llsso_';

export interface CliSsoDeps {
  sso: OperatorSso;
  /** The CLI's tokens: a store of their own, so a cookie can never carry one, nor a bearer a cookie's. */
  tokens: ConsoleSessions;
  operators: Pick<OperatorService, 'active'>;
  /** The session's operator as the store has it now, with the SSO role applied (routes.ts). */
  operatorOf: (
    operators: Pick<OperatorService, 'active'>,
    session: { operatorId: string; operatorName: string; role: Operator['role'] | null },
  ) => Promise<Operator | null>;
}

/**
 * The operator an `llsso_` bearer names, null for any other request (the caller goes on to the
 * operator-token check); an unknown, expired or revoked one is refused, never passed on.
 */
export function ssoBearerOperator(deps: CliSsoDeps): (request: FastifyRequest) => Promise<Operator | null> {
  return async (request) => {
    const header = request.headers.authorization;
    if (!header?.startsWith(`Bearer ${SSO_TOKEN_PREFIX}`)) return null;
    const id = header.slice(`Bearer ${SSO_TOKEN_PREFIX}`.length);
    const session = deps.tokens.find(id);
    const operator = session ? await deps.operatorOf(deps.operators, session) : null;
    if (!operator) {
      deps.tokens.destroy(id);
      throw new LifelineError(
        'OPERATOR_UNAUTHENTICATED',
        'This SSO token is unknown or expired: sign in again',
      );
    }
    return operator;
  };
}

/** `POST /console/sso/cli` and `POST /console/sso/cli/finish` (no bearer: they make one). */
export function cliSsoRoutes(app: FastifyInstance, deps: CliSsoDeps): void {
  app.post<{ Body: { redirectUri: string } }>(
    '/console/sso/cli',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['redirectUri'],
          properties: { redirectUri: { type: 'string', minLength: 1, maxLength: 200 } },
        },
      },
    },
    async (request) => {
      if (!deps.sso.enabled) throw new LifelineError('CONSOLE_SSO_DISABLED');
      const redirectUri = loopbackRedirect(request.body.redirectUri);
      // The CLI's proof at finish that it started this sign-in: the PKCE verifier stays here, so
      // without it another program that caught the code on the loopback could finish in its stead.
      const finishKey = randomBytes(32).toString('base64url');
      const url = await deps.sso.start('cli', redirectUri, finishKey);
      return { authorizationUrl: url.href, finishKey };
    },
  );
  app.post<{ Body: { query: string; finishKey: string } }>(
    '/console/sso/cli/finish',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['query', 'finishKey'],
          properties: {
            query: { type: 'string', minLength: 1, maxLength: 4096 },
            finishKey: { type: 'string', minLength: 1, maxLength: 100 },
          },
        },
      },
    },
    async (request) => {
      const { name, role } = await deps.sso.finish(
        new URLSearchParams(request.body.query),
        'cli',
        request.body.finishKey,
      );
      const operator = await deps.operators.active(name).catch(() => {
        throw new LifelineError('CONSOLE_SSO_NO_ROLE', `No active Lifeline operator named ${name}`);
      });
      const { id, session } = deps.tokens.create({
        operatorId: operator.id,
        operatorName: operator.name,
        role,
        via: 'sso',
      });
      return {
        token: `${SSO_TOKEN_PREFIX}${id}`,
        expiresAt: new Date(session.expiresAt).toISOString(),
        operator: { name: operator.name, role },
      };
    },
  );
}
