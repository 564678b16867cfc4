import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  incidentStatuses,
  type IncidentService,
  type IncidentStatus,
  incidentView,
} from '../../incidents/index.ts';
import { LifelineError } from '../../errors/index.ts';
import { int, parseTime } from '../query.ts';
import {
  ChecklistBody,
  ChecklistParam,
  DeclareBody,
  IncidentParam,
  IncidentsQuery,
  NoteBody,
  NoteCorrectionBody,
  NoteParam,
  RoleBody,
  StatusBody,
} from './incident-schemas.ts';
import { allow, type Authorizer } from './auth.ts';

export interface IncidentsRoutesOptions {
  incidents: IncidentService;
  operators: Authorizer;
  clock: () => number;
}

const time = (v: number | string | undefined, field: string): number | undefined =>
  v === undefined ? undefined : parseTime(String(v), field);

function statuses(text: string | undefined): IncidentStatus[] | undefined {
  if (text === undefined) return undefined;
  const list = text.split(',');
  for (const s of list) {
    if (!(incidentStatuses as readonly string[]).includes(s))
      throw new LifelineError('VALIDATION_FAILED', `status ${JSON.stringify(s)} is not an incident status`);
  }
  return list as IncidentStatus[];
}

/** Incidents: declare, list, read; status, roles, notes and checklist; timeline and impact. */
export const incidentsRoutes: FastifyPluginAsyncTypebox<IncidentsRoutesOptions> = async (app, deps) => {
  // Without the options' prefix: the routes inherit this plugin's.
  const options = { incidents: deps.incidents, operators: deps.operators, clock: deps.clock };
  await app.register(readRoutes, options);
  await app.register(changeRoutes, options);
};

/** Declare, list, read, timeline, impact. */
const readRoutes: FastifyPluginAsyncTypebox<IncidentsRoutesOptions> = async (app, deps) => {
  const view = (i: Parameters<typeof incidentView>[0]) => ({ incident: incidentView(i, deps.clock()) });

  app.post('/incidents', { schema: { body: DeclareBody } }, async (request, reply) => {
    const operator = await allow(deps.operators, request, 'incidents.write', 'incidents');
    const b = request.body;
    const incident = await deps.incidents.declare(
      {
        title: b.title,
        ...(b.severity === undefined ? {} : { severity: b.severity }),
        ...(b.impact === undefined ? {} : { impact: b.impact }),
        ...(b.startedAt === undefined ? {} : { startedAt: time(b.startedAt, 'startedAt') }),
        ...(b.detectedAt === undefined ? {} : { detectedAt: time(b.detectedAt, 'detectedAt') }),
        ...(b.roles === undefined ? {} : { roles: b.roles }),
      },
      operator.name,
    );
    void reply.status(201);
    return view(incident);
  });

  app.get('/incidents', { schema: { querystring: IncidentsQuery } }, async (request) => {
    await allow(deps.operators, request, 'incidents.read', 'incidents');
    const q = request.query;
    const list = statuses(q.status);
    return {
      incidents: await deps.incidents.list({
        ...(list === undefined ? {} : { statuses: list }),
        limit: int(q.limit, 100, 1000),
      }),
    };
  });

  app.get('/incidents/:id', { schema: { params: IncidentParam } }, async (request) => {
    await allow(deps.operators, request, 'incidents.read', `incident:${request.params.id}`);
    return view(await deps.incidents.get(request.params.id));
  });

  app.get('/incidents/:id/timeline', { schema: { params: IncidentParam } }, async (request) => {
    await allow(deps.operators, request, 'incidents.read', `incident:${request.params.id}`);
    const { incident, items, links, truncated } = await deps.incidents.timeline(request.params.id);
    const { startedAt: from, resolvedAt: to } = incident;
    return { incidentId: incident.id, from, to, truncated, links, items };
  });

  app.get('/incidents/:id/impact', { schema: { params: IncidentParam } }, async (request) => {
    await allow(deps.operators, request, 'incidents.read', `incident:${request.params.id}`);
    const { incident, impact } = await deps.incidents.impact(request.params.id);
    return { incidentId: incident.id, impact };
  });
};

/** Status, roles, notes (and their time corrections), checklist items. */
const changeRoutes: FastifyPluginAsyncTypebox<IncidentsRoutesOptions> = async (app, deps) => {
  const view = (i: Parameters<typeof incidentView>[0]) => ({ incident: incidentView(i, deps.clock()) });
  const writer = (request: Parameters<typeof allow>[1], id: string) =>
    allow(deps.operators, request, 'incidents.write', `incident:${id}`);

  app.patch(
    '/incidents/:id/status',
    { schema: { params: IncidentParam, body: StatusBody } },
    async (request) => {
      const operator = await writer(request, request.params.id);
      const { status, reason } = request.body;
      return view(
        await deps.incidents.setStatus(request.params.id, status as IncidentStatus, operator.name, reason),
      );
    },
  );

  app.post('/incidents/:id/roles', { schema: { params: IncidentParam, body: RoleBody } }, async (request) => {
    const operator = await writer(request, request.params.id);
    const { role, operator: to } = request.body;
    return view(await deps.incidents.handOff(request.params.id, role, to, operator.name));
  });

  app.post(
    '/incidents/:id/notes',
    { schema: { params: IncidentParam, body: NoteBody } },
    async (request, reply) => {
      const operator = await writer(request, request.params.id);
      const at = time(request.body.at, 'at');
      const incident = await deps.incidents.addNote(request.params.id, request.body.text, operator.name, at);
      void reply.status(201);
      return view(incident);
    },
  );

  app.patch(
    '/incidents/:id/notes/:noteId',
    { schema: { params: NoteParam, body: NoteCorrectionBody } },
    async (request) => {
      const operator = await writer(request, request.params.id);
      const at = time(request.body.at, 'at') as number;
      const { id, noteId } = request.params;
      return view(await deps.incidents.correctNote(id, noteId, at, request.body.reason, operator.name));
    },
  );

  app.patch(
    '/incidents/:id/checklist/:phase/:item',
    { schema: { params: ChecklistParam, body: ChecklistBody } },
    async (request) => {
      const operator = await writer(request, request.params.id);
      const { id, phase, item } = request.params;
      return view(await deps.incidents.checkItem(id, phase, item, request.body.done, operator.name));
    },
  );
};
