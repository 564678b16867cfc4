import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { SessionDirectory } from '../../live/index.ts';
import { int } from '../query.ts';
import { SessionsQuery } from '../schemas.ts';
import { allow, type Authorizer } from './auth.ts';

export interface SessionsRoutesOptions {
  live: Pick<SessionDirectory, 'countSessions' | 'findSessions'>;
  operators: Authorizer;
}

/** Live sessions: counts by region and shard, and a page of the sessions a filter names. */
export const sessionsRoutes: FastifyPluginAsyncTypebox<SessionsRoutesOptions> = async (app, deps) => {
  app.get('/sessions', { schema: { querystring: SessionsQuery } }, async (request) => {
    await allow(deps.operators, request, 'sessions.read', 'sessions');
    const { limit, ...filter } = request.query;
    const [counts, sessions] = await Promise.all([
      deps.live.countSessions(filter),
      deps.live.findSessions(filter, int(limit, 100, 10_000)),
    ]);
    return { counts, sessions };
  });
};
