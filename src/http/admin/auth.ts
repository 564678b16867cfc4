import type { FastifyInstance, FastifyRequest } from 'fastify';
import { LifelineError } from '../../errors/index.ts';
import type { RateBuckets } from '../../live/index.ts';
import type { OperatorService, Permission } from '../../operators/index.ts';
import type { Operator } from '../../operators/records.ts';

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
}

/**
 * Every admin request names its operator by bearer token, then spends from that operator's rate
 * bucket. A root hook, so an unknown route is answered 401 to a stranger, as before, not 404.
 */
export function authenticateOperators(app: FastifyInstance, deps: AuthDeps): void {
  app.decorateRequest('operator');
  app.addHook('onRequest', async (request) => {
    // The one route a new operator calls before they have a bearer token: the enrolment's two
    // parts, 256 random bits each, are its own credential.
    if (request.routeOptions.url === ENROL_ROUTE && request.method === 'POST') return;
    // Prometheus scrapes without an operator token; the admin listener's address is its guard.
    if (request.routeOptions.url === '/metrics') return;
    const header = request.headers.authorization;
    const operator = await deps.operators.authenticate(
      header?.startsWith('Bearer ') ? header.slice(7) : undefined,
    );
    request.operator = operator;
    // Per operator, so one runaway script cannot starve the person trying to stop it.
    const { perSecond, burst } = deps.rateLimit;
    const token = await deps.live.takeRateToken(`operator:${operator.id}`, perSecond, burst, deps.clock());
    if (!token.ok) {
      throw new LifelineError('RATE_LIMITED', undefined, {
        details: { retryAfterSeconds: Math.max(1, Math.ceil(token.retryAfterMs / 1000)) },
      });
    }
  });
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
