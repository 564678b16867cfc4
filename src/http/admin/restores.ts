import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { LifelineError } from '../../errors/index.ts';
import type { RestoreService } from '../../restore/index.ts';
import { parseTime } from '../query.ts';
import { restoreStates } from '../../restore/records.ts';
import { decodeCursor, pageLimit, readPage, statesOf } from '../cursor.ts';
import { IdParam, PaceBody, ReasonBody, RestoreBody, RestoresQuery } from '../schemas.ts';
import { allow, type Authorizer } from './auth.ts';

export interface RestoresRoutesOptions {
  restores: RestoreService;
  operators: Authorizer;
}

/** Paced restores: plan (dry run) or start, read progress, pause, resume, cancel. */
export const restoresRoutes: FastifyPluginAsyncTypebox<RestoresRoutesOptions> = async (app, deps) => {
  app.post('/restores', { schema: { body: RestoreBody } }, async (request, reply) => {
    const operator = await allow(deps.operators, request, 'restores.read', 'restores');
    const b = request.body;
    const source = {
      ...(b.commandId === undefined ? {} : { commandId: b.commandId }),
      ...(b.from === undefined ? {} : { from: parseTime(String(b.from), 'from') }),
      ...(b.to === undefined ? {} : { to: parseTime(String(b.to), 'to') }),
      ...(b.selector === undefined ? {} : { selector: b.selector }),
    };
    if (b.dryRun) return { dryRun: true, ...(await deps.restores.preview(source, operator, b.thresholds)) };
    if (!b.pacing)
      throw new LifelineError('VALIDATION_FAILED', 'A restore needs "pacing" (fixed or adaptive)');
    const status = await deps.restores.start(
      { source, pacing: b.pacing, thresholds: b.thresholds, totp: b.totp },
      operator,
    );
    void reply.status(202);
    return status;
  });

  app.get('/restores', { schema: { querystring: RestoresQuery } }, async (request) => {
    await allow(deps.operators, request, 'restores.read', 'restores');
    const q = request.query;
    const after = decodeCursor(q.cursor);
    const states = statesOf(q.state, restoreStates);
    const page = await readPage(
      pageLimit(q.limit, 100, 1000),
      (limit) => deps.restores.list({ ...(states ? { states } : {}), ...(after ? { after } : {}), limit }),
      (r) => ({ at: r.createdAt, id: r.id }),
    );
    return { restores: page.items, nextCursor: page.nextCursor };
  });

  app.get('/restores/:id', { schema: { params: IdParam } }, async (request) => {
    await allow(deps.operators, request, 'restores.read', `restore:${request.params.id}`);
    return deps.restores.status(request.params.id);
  });

  for (const verb of ['pause', 'resume', 'cancel'] as const) {
    app.post(`/restores/:id/${verb}`, { schema: { params: IdParam, body: ReasonBody } }, async (request) => {
      const operator = await allow(
        deps.operators,
        request,
        'restores.control',
        `restore:${request.params.id}`,
      );
      return deps.restores[verb](request.params.id, operator, request.body.reason);
    });
  }

  app.post('/restores/:id/pace', { schema: { params: IdParam, body: PaceBody } }, async (request) => {
    const operator = await allow(deps.operators, request, 'restores.control', `restore:${request.params.id}`);
    return deps.restores.pace(request.params.id, request.body.pacing, operator, request.body.reason);
  });
};
