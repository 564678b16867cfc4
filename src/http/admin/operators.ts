import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { CommandService } from '../../commands/index.ts';
import type { OperatorService } from '../../operators/index.ts';
import type { Operator } from '../../operators/records.ts';
import { NameParam, OperatorBody, OperatorRoleBody, ReasonBody } from '../schemas.ts';
import { allow } from './auth.ts';

/** An operator as the API shows one: never the token hash or the TOTP secret. */
export const operatorView = (o: Operator) => ({
  id: o.id,
  name: o.name,
  role: o.role,
  createdAt: new Date(o.createdAt).toISOString(),
  revokedAt: o.revokedAt === null ? null : new Date(o.revokedAt).toISOString(),
  lastSeenAt: o.lastSeenAt == null ? null : new Date(o.lastSeenAt).toISOString(),
});

export interface OperatorsRoutesOptions {
  operators: OperatorService;
  commands: CommandService;
}

/** Operators: who am I, the list, and the guarded changes (add, change role), and revocation. */
export const operatorsRoutes: FastifyPluginAsyncTypebox<OperatorsRoutesOptions> = async (app, deps) => {
  app.get('/whoami', async (request) => operatorView(request.operator));

  app.get('/operators', async (request) => {
    await allow(deps.operators, request, 'operators.manage', 'operators');
    return { operators: (await deps.operators.list()).map(operatorView) };
  });

  // Creating an operator or changing a role is a guarded command: 202 with the command awaiting
  // a second admin, who approves it at /admin/v1/commands/:id/approve. A new operator's request
  // answers the requester's part of the enrolment, once; the approval answers the other part.
  app.post('/operators', { schema: { body: OperatorBody } }, async (request, reply) => {
    const b = request.body;
    const asked = await deps.commands.requestOperatorChange(
      { change: 'add', name: b.name, role: b.role, reason: b.reason, totp: b.totp },
      request.operator,
    );
    void reply.status(202);
    return { command: asked.command, enrolment: { operator: b.name, requesterPart: asked.requesterPart } };
  });

  app.patch(
    '/operators/:name',
    { schema: { params: NameParam, body: OperatorRoleBody } },
    async (request, reply) => {
      const b = request.body;
      const { command } = await deps.commands.requestOperatorChange(
        { change: 'role', name: request.params.name, role: b.role, reason: b.reason, totp: b.totp },
        request.operator,
      );
      void reply.status(202);
      return { command };
    },
  );

  app.delete('/operators/:name', { schema: { params: NameParam } }, async (request) => {
    const operator = await allow(
      deps.operators,
      request,
      'operators.manage',
      `operator:${request.params.name}`,
    );
    return { operator: operatorView(await deps.operators.revoke(request.params.name, operator.name)) };
  });

  // The same revocation with the reason the audit entry keeps: what `lifeline operators revoke
  // --reason` sends. One admin suffices: it removes power rather than granting it.
  app.post(
    '/operators/:name/revoke',
    { schema: { params: NameParam, body: ReasonBody } },
    async (request) => {
      const name = request.params.name;
      const operator = await allow(deps.operators, request, 'operators.manage', `operator:${name}`);
      return {
        operator: operatorView(await deps.operators.revoke(name, operator.name, request.body.reason)),
      };
    },
  );
};
