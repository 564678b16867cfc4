import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { DisruptionLedger } from '../../store/index.ts';
import { decodeCursor, pageLimit, readPage } from '../cursor.ts';
import { parseTime } from '../query.ts';
import { DisruptionsQuery } from '../schemas.ts';
import { allow, type Authorizer } from './auth.ts';

export interface DisruptionsRoutesOptions {
  store: Pick<DisruptionLedger, 'listDisruptions'>;
  operators: Authorizer;
}

/** The disruption records: who was kicked by what, and what became of them since. */
export const disruptionsRoutes: FastifyPluginAsyncTypebox<DisruptionsRoutesOptions> = async (app, deps) => {
  app.get('/disruptions', { schema: { querystring: DisruptionsQuery } }, async (request) => {
    await allow(deps.operators, request, 'disruptions.read', 'disruptions');
    const q = request.query;
    const after = decodeCursor(q.cursor);
    const filters = {
      commandId: q.commandId,
      playerId: q.playerId,
      restoreId: q.restoreId,
      region: q.region,
      shard: q.shard,
      zone: q.zone,
      outcome: q.outcome,
      from: parseTime(q.from, 'from'),
      to: parseTime(q.to, 'to'),
      ...(after ? { after } : {}),
    };
    const page = await readPage(
      pageLimit(q.limit, 1000, 10_000),
      (limit) => deps.store.listDisruptions({ ...filters, limit }),
      (x) => ({ at: x.at, id: x.id }),
    );
    return { disruptions: page.items, nextCursor: page.nextCursor };
  });
};
