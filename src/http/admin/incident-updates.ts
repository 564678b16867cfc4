import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Communications } from '../../comms/index.ts';
import { noControlPattern } from '../schemas.ts';
import { IncidentParam } from './incident-schemas.ts';
import { allow, type Authorizer } from './auth.ts';

const Place = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,31}$' });

export const UpdateBody = Type.Object(
  {
    message: Type.String({ minLength: 1, maxLength: 2000, pattern: noControlPattern }),
    regions: Type.Optional(Type.Array(Place, { maxItems: 64, uniqueItems: true })),
    shards: Type.Optional(Type.Array(Place, { maxItems: 256, uniqueItems: true })),
    eta: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: noControlPattern })),
  },
  { additionalProperties: false },
);

export interface IncidentUpdatesOptions {
  comms: Communications;
  operators: Authorizer;
}

const view = (u: Awaited<ReturnType<Communications['updates']>>[number]) => ({
  kind: u.kind,
  status: u.status,
  body: u.body,
  regions: u.regions,
  at: new Date(u.at).toISOString(),
});

/** An incident's public updates: post one (to the destinations and players), list them. */
export const incidentUpdatesRoutes: FastifyPluginAsyncTypebox<IncidentUpdatesOptions> = async (app, deps) => {
  app.post(
    '/incidents/:id/updates',
    { schema: { params: IncidentParam, body: UpdateBody } },
    async (request, reply) => {
      const { id } = request.params;
      const operator = await allow(deps.operators, request, 'incidents.write', `incident:${id}`);
      const b = request.body;
      const { update, sent } = await deps.comms.post(
        id,
        {
          message: b.message,
          ...(b.regions === undefined ? {} : { regions: b.regions }),
          ...(b.shards === undefined ? {} : { shards: b.shards }),
          ...(b.eta === undefined ? {} : { eta: b.eta }),
        },
        operator.name,
      );
      void reply.status(sent ? 201 : 200);
      return { sent, update: view(update) };
    },
  );

  app.get('/incidents/:id/updates', { schema: { params: IncidentParam } }, async (request) => {
    const { id } = request.params;
    await allow(deps.operators, request, 'incidents.read', `incident:${id}`);
    return { updates: (await deps.comms.updates(id)).map(view) };
  });
};
