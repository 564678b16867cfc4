import type { FastifyInstance, FastifyRequest } from 'fastify';
import { LifelineError } from '../../errors/index.ts';
import type { RateBuckets } from '../../live/index.ts';
import type { OperatorService, Permission } from '../../operators/index.ts';
import type { Operator } from '../../operators/records.ts';
import { bearerIsIntakeSecret } from '../../signals/index.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The operator the bearer token names, set by the admin listener's `onRequest` hook before
     * any handler runs. Only the two routes the hook lets through without a token (enrolment and
     * `/metrics`) leave it unset, and they never read it; the player listener never does either.
     */
    operator: Operator;
  }
}

export const ENROL_ROUTE = '/admin/v1/enrol';

export interface AuthDeps {
  operators: Pick<OperatorService, 'authenticate'>;
  live: RateBuckets;
  rateLimit: { perSecond: number; burst: number };
  clock: () => number;
  /** `detection.intakeSecret`: empty when only operators may post signals. */
  intakeSecret?: string;
  /**
   * The web console (src/console): the operator a CLI SSO bearer (`llsso_…`) names, or a request
   * without a bearer by its session cookie (CSRF-checked there); null to fall back to the bearer
   * check. An SSO bearer that is unknown or expired is refused there.
   */
  consoleOperator?: (request: FastifyRequest) => Promise<Operator | null>;
}

/**
 * A machine sender on the signal intake: Alertmanager's bearer is the intake secret; Sentry signs
 * its body (checked by the route once the body is read). Null for everyone else.
 */
function intakeSender(request: FastifyRequest, secret: string): 'secret' | 'signed' | null {
  if (secret === '' || request.method !== 'POST' || request.routeOptions.url !== '/admin/v1/signals')
    return null;
  const header = request.headers.authorization;
  if (bearerIsIntakeSecret(secret, header?.startsWith('Bearer ') ? header.slice(7) : undefined))
    return 'secret';
  return request.headers['sentry-hook-signature'] === undefined ? null : 'signed';
}

/**
 * Every admin request names its operator by bearer token, then spends from that operator's rate
 * bucket. A root hook, so an unknown route is answered 401 to a stranger, as before, not 404.
 */
export function authenticateOperators(app: FastifyInstance, deps: AuthDeps): void {
  app.decorateRequest('operator');
  app.decorateRequest('intakeSender', null);
  app.addHook('onRequest', async (request) => {
    // The one route a new operator calls before they have a bearer token: the enrolment's two
    // parts, 256 random bits each, are its own credential.
    if (request.routeOptions.url === ENROL_ROUTE && request.method === 'POST') return;
    // Prometheus scrapes without an operator token; the admin listener's address is its guard.
    if (request.routeOptions.url === '/metrics') return;
    // The web console's page, sign-in and SSO routes authenticate themselves (src/console).
    if (request.routeOptions.url?.startsWith('/console')) return;
    request.intakeSender = intakeSender(request, deps.intakeSecret ?? '');
    if (request.intakeSender !== null)
      return takeToken(deps, `intake:${request.intakeSender}`, 'SIGNAL_INTAKE_BUSY');
    const header = request.headers.authorization;
    const operator =
      (await deps.consoleOperator?.(request)) ??
      (await deps.operators.authenticate(header?.startsWith('Bearer ') ? header.slice(7) : undefined));
    request.operator = operator;
    // Per operator, so one runaway script cannot starve the person trying to stop it.
    await takeToken(deps, `operator:${operator.id}`);
  });
}

/**
 * Spends one token of the bucket, or throws `code` (RATE_LIMITED for an operator) with when to
 * come back. A machine sender gets SIGNAL_INTAKE_BUSY, a 503: Alertmanager retries a 5xx with
 * backoff but drops a 4xx until the group's next interval.
 */
async function takeToken(
  deps: AuthDeps,
  bucket: string,
  code: 'RATE_LIMITED' | 'SIGNAL_INTAKE_BUSY' = 'RATE_LIMITED',
): Promise<void> {
  const { perSecond, burst } = deps.rateLimit;
  const token = await deps.live.takeRateToken(bucket, perSecond, burst, deps.clock());
  if (!token.ok) {
    throw new LifelineError(code, undefined, {
      details: { retryAfterSeconds: Math.max(1, Math.ceil(token.retryAfterMs / 1000)) },
    });
  }
}

/** What a route needs to check an operator's role. */
export type Authorizer = Pick<OperatorService, 'authorize'>;

/** The request's operator, once their role allows `permission` on `target`. */
export async function allow(
  operators: Authorizer,
  request: FastifyRequest,
  permission: Permission,
  target: string,
): Promise<Operator> {
  await operators.authorize(request.operator, permission, target);
  return request.operator;
}
