import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { BanService } from '../../bans/index.ts';
import { decodeCursor, pageLimit, readPage } from '../cursor.ts';
import { BanBody, BanListBody, BansQuery, PlayerParam, ReasonBody } from '../schemas.ts';
import { allow, type Authorizer } from './auth.ts';

export interface BansRoutesOptions {
  bans: BanService;
  operators: Authorizer;
}

/** Bans: ban and lift check the role inside the ban service, after validating the input. */
export const bansRoutes: FastifyPluginAsyncTypebox<BansRoutesOptions> = async (app, deps) => {
  app.post('/bans', { schema: { body: BanBody } }, async (request, reply) => {
    const outcome = await deps.bans.ban(request.body, request.operator);
    void reply.status(201);
    return outcome;
  });

  app.post('/bans/bulk', { schema: { body: BanListBody } }, async (request) => {
    return deps.bans.fromList(request.body, request.operator);
  });

  app.delete('/bans/:playerId', { schema: { params: PlayerParam, body: ReasonBody } }, async (request) => {
    return { ban: await deps.bans.lift(request.params.playerId, request.body.reason, request.operator) };
  });

  app.get('/bans', { schema: { querystring: BansQuery } }, async (request) => {
    await allow(deps.operators, request, 'bans.read', 'bans');
    const q = request.query;
    const after = decodeCursor(q.cursor);
    const page = await readPage(
      pageLimit(q.limit, 1000, 10_000),
      (limit) => deps.bans.list({ playerId: q.playerId, limit, ...(after ? { after } : {}) }),
      (b) => ({ at: b.at, id: b.playerId }),
    );
    return { bans: page.items, nextCursor: page.nextCursor };
  });
};
