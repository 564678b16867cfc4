import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { KickBreaker } from '../../breaker/index.ts';
import type { OperatorService } from '../../operators/index.ts';
import { BreakerResetBody } from '../schemas.ts';
import { allow } from './auth.ts';

export interface BreakerRoutesOptions {
  breaker: KickBreaker;
  operators: Pick<OperatorService, 'authorize' | 'stepUp'>;
}

/** The kick breaker: read it, or close it again with a TOTP step-up. */
export const breakerRoutes: FastifyPluginAsyncTypebox<BreakerRoutesOptions> = async (app, deps) => {
  app.get('/breaker', async (request) => {
    await allow(deps.operators, request, 'breaker.read', 'breaker:kick');
    return { breaker: await deps.breaker.status() };
  });

  app.post('/breaker/reset', { schema: { body: BreakerResetBody } }, async (request) => {
    const operator = await allow(deps.operators, request, 'breaker.reset', 'breaker:kick');
    await deps.operators.stepUp(operator, request.body.totp);
    await deps.breaker.reset(operator.name, request.body.reason);
    return { breaker: await deps.breaker.status() };
  });
};
