/**
 * After an incident: compensation (admin with a TOTP step-up, like a bulk command; a dry run
 * counts without one), the post-mortem (its written parts, and the Markdown) and action items.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { type Compensation, type FollowUp, grantsCsv } from '../../incidents/index.ts';
import type { OperatorService } from '../../operators/index.ts';
import { parseTime } from '../query.ts';
import { noControlPattern } from '../schemas.ts';
import { IncidentParam, Time } from './incident-schemas.ts';
import { allow } from './auth.ts';

export interface FollowUpRoutesOptions {
  compensation: Compensation;
  followUp: FollowUp;
  operators: Pick<OperatorService, 'authorize' | 'stepUp'>;
}

const Text = (max: number) => Type.String({ minLength: 1, maxLength: max, pattern: noControlPattern });
const Lines = Type.Array(Text(2000), { maxItems: 20 });
const Kind = Type.Union([Type.Literal('immediate'), Type.Literal('preventive'), Type.Literal('process')]);
const ActionStatus = Type.Union([Type.Literal('open'), Type.Literal('done'), Type.Literal('dropped')]);
const Owner = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._@ -]+$' });

const CompensateBody = Type.Object(
  {
    grant: Type.String({ minLength: 1, maxLength: 32 }),
    dryRun: Type.Optional(Type.Boolean()),
    totp: Type.Optional(Type.String({ minLength: 1, maxLength: 16 })),
  },
  { additionalProperties: false },
);
const GrantsQuery = Type.Object(
  { format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])) },
  { additionalProperties: false },
);
const RootCauseBody = Type.Object(
  {
    summary: Type.Optional(Type.Union([Text(4000), Type.Null()])),
    whys: Type.Optional(Type.Array(Text(2000), { maxItems: 10 })),
    rootCause: Type.Optional(Type.String({ maxLength: 4000, pattern: noControlPattern })),
    lessons: Type.Optional(
      Type.Object({ wentWell: Lines, wentBadly: Lines }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);
const ActionBody = Type.Object(
  { title: Text(300), kind: Kind, owner: Owner, dueAt: Time },
  { additionalProperties: false },
);
const ActionPatch = Type.Object(
  {
    title: Type.Optional(Text(300)),
    kind: Type.Optional(Kind),
    owner: Type.Optional(Owner),
    dueAt: Type.Optional(Time),
    status: Type.Optional(ActionStatus),
  },
  { additionalProperties: false },
);
const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9-]+$' });
const ActionParam = Type.Object({ id: Id, actionId: Id }, { additionalProperties: false });

const when = (v: number | string): number => parseTime(String(v), 'dueAt') as number;

export const followUpRoutes: FastifyPluginAsyncTypebox<FollowUpRoutesOptions> = async (app, deps) => {
  // Without the options' prefix: the routes inherit this plugin's.
  const options = { compensation: deps.compensation, followUp: deps.followUp, operators: deps.operators };
  await app.register(compensationRoutes, options);
  await app.register(postmortemRoutes, options);
  await app.register(actionRoutes, options);
};

const compensationRoutes: FastifyPluginAsyncTypebox<FollowUpRoutesOptions> = async (app, deps) => {
  app.post(
    '/incidents/:id/compensation',
    { schema: { params: IncidentParam, body: CompensateBody } },
    async (request) => {
      const { id } = request.params;
      const operator = await allow(deps.operators, request, 'incidents.compensate', `incident:${id}`);
      const dryRun = request.body.dryRun === true;
      if (!dryRun) await deps.operators.stepUp(operator, request.body.totp);
      return { run: await deps.compensation.run(id, request.body.grant, dryRun, operator.name) };
    },
  );
  app.get(
    '/incidents/:id/compensation',
    { schema: { params: IncidentParam, querystring: GrantsQuery } },
    async (request, reply) => {
      const { id } = request.params;
      await allow(deps.operators, request, 'incidents.compensate', `incident:${id}`);
      const grants = await deps.compensation.grants(id);
      if (request.query.format !== 'csv') return { grants };
      void reply.type('text/csv; charset=utf-8');
      return grantsCsv(grants);
    },
  );
};

const postmortemRoutes: FastifyPluginAsyncTypebox<FollowUpRoutesOptions> = async (app, deps) => {
  app.get('/incidents/:id/postmortem', { schema: { params: IncidentParam } }, async (request) => {
    await allow(deps.operators, request, 'incidents.read', 'incidents');
    return { postmortem: await deps.followUp.postmortem(request.params.id) };
  });
  app.put(
    '/incidents/:id/postmortem',
    { schema: { params: IncidentParam, body: RootCauseBody } },
    async (request) => {
      const operator = await allow(deps.operators, request, 'incidents.write', 'incidents');
      return { postmortem: await deps.followUp.edit(request.params.id, request.body, operator.name) };
    },
  );
  app.post('/incidents/:id/postmortem/write', { schema: { params: IncidentParam } }, async (request) => {
    const operator = await allow(deps.operators, request, 'incidents.write', 'incidents');
    return deps.followUp.write(request.params.id, operator.name);
  });
};

const actionRoutes: FastifyPluginAsyncTypebox<FollowUpRoutesOptions> = async (app, deps) => {
  app.get('/incident-actions', async (request) => {
    await allow(deps.operators, request, 'incidents.read', 'incidents');
    return { actions: await deps.followUp.actions() };
  });
  app.get('/incidents/:id/actions', { schema: { params: IncidentParam } }, async (request) => {
    await allow(deps.operators, request, 'incidents.read', 'incidents');
    return { actions: await deps.followUp.actions(request.params.id) };
  });
  app.post(
    '/incidents/:id/actions',
    { schema: { params: IncidentParam, body: ActionBody } },
    async (request, reply) => {
      const operator = await allow(deps.operators, request, 'incidents.write', 'incidents');
      const b = request.body;
      const action = await deps.followUp.addAction(
        request.params.id,
        { title: b.title, kind: b.kind, owner: b.owner, dueAt: when(b.dueAt) },
        operator.name,
      );
      void reply.status(201);
      return { action };
    },
  );
  app.patch(
    '/incidents/:id/actions/:actionId',
    { schema: { params: ActionParam, body: ActionPatch } },
    async (request) => {
      const operator = await allow(deps.operators, request, 'incidents.write', 'incidents');
      const { dueAt, ...rest } = request.body;
      const change = dueAt === undefined ? rest : { ...rest, dueAt: when(dueAt) };
      const { id, actionId } = request.params;
      return { action: await deps.followUp.updateAction(id, actionId, change, operator.name) };
    },
  );
  app.delete('/incidents/:id/actions/:actionId', { schema: { params: ActionParam } }, async (request) => {
    const operator = await allow(deps.operators, request, 'incidents.write', 'incidents');
    await deps.followUp.removeAction(request.params.id, request.params.actionId, operator.name);
    return { deleted: request.params.actionId };
  });
};
