import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { SessionDirectory } from '../../live/index.ts';
import { decodeCursor, pageLimit, readPage } from '../cursor.ts';
import { SessionsQuery } from '../schemas.ts';
import { allow, type Authorizer } from './auth.ts';

export interface SessionsRoutesOptions {
  live: Pick<SessionDirectory, 'countSessions' | 'pageSessions'>;
  operators: Authorizer;
}

/**
 * Live sessions: counts by region and shard, and a page of the sessions a filter names, oldest
 * first by (createdAt, id), with the cursor of the next page like every admin list.
 */
export const sessionsRoutes: FastifyPluginAsyncTypebox<SessionsRoutesOptions> = async (app, deps) => {
  app.get('/sessions', { schema: { querystring: SessionsQuery } }, async (request) => {
    await allow(deps.operators, request, 'sessions.read', 'sessions');
    const { limit, cursor, ...filter } = request.query;
    const after = decodeCursor(cursor);
    const [counts, page] = await Promise.all([
      deps.live.countSessions(filter),
      readPage(
        pageLimit(limit, 100, 10_000),
        (n) => deps.live.pageSessions(filter, n, after),
        (s) => ({ at: s.createdAt, id: s.id }),
      ),
    ]);
    return { counts, sessions: page.items, nextCursor: page.nextCursor };
  });
};
