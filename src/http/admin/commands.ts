import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type CommandService, publicCommand } from '../../commands/index.ts';
import { type ErrorCode, LifelineError } from '../../errors/index.ts';
import { commandStates } from '../../commands/records.ts';
import { decodeCursor, pageLimit, readPage, statesOf } from '../cursor.ts';
import { parseTime } from '../query.ts';
import { ApproveBody, CommandBody, CommandsQuery, HaltBody, IdParam } from '../schemas.ts';

const optionalTime = (key: 'since' | 'until', at: number | undefined) =>
  at === undefined ? {} : { [key]: at };
import { allow, type Authorizer } from './auth.ts';

/** An inline command that halted answers with its halt's own code, not a 200. */
function haltedToError(command: {
  state: string;
  haltCode: ErrorCode | null;
  id: string;
  progress: { ended: number };
}): void {
  if (command.state !== 'halted') return;
  throw new LifelineError(command.haltCode ?? 'INTERNAL', undefined, {
    details: { commandId: command.id, ended: command.progress.ended },
  });
}

export interface CommandsRoutesOptions {
  commands: CommandService;
  operators: Authorizer;
}

/** Kicks and the other guarded commands: request (or plan), approve, halt, read. */
export const commandsRoutes: FastifyPluginAsyncTypebox<CommandsRoutesOptions> = async (app, deps) => {
  app.post('/commands', { schema: { body: CommandBody } }, async (request, reply) => {
    const operator = await allow(deps.operators, request, 'commands.kick', `command:${request.body.action}`);
    const outcome = await deps.commands.request(request.body, operator, 'api');
    switch (outcome.kind) {
      case 'dry-run':
        return { dryRun: true, plan: outcome.plan, policy: outcome.policy };
      case 'awaiting-approval':
        void reply.status(202);
        return { command: outcome.command };
      case 'done':
        haltedToError(outcome.command);
        return { command: outcome.command, ended: outcome.command.progress.ended };
    }
  });

  app.post(
    '/commands/:id/approve',
    { schema: { params: IdParam, body: ApproveBody } },
    async (request, reply) => {
      const outcome = await deps.commands.approve(request.params.id, request.operator, request.body.totp);
      void reply.status(202);
      return outcome.enrolment
        ? {
            command: publicCommand(outcome.command),
            enrolment: {
              ...outcome.enrolment,
              expiresAt: new Date(outcome.enrolment.expiresAt).toISOString(),
            },
          }
        : { command: publicCommand(outcome.command) };
    },
  );

  app.post('/commands/:id/halt', { schema: { params: IdParam, body: HaltBody } }, async (request) => {
    const operator = await allow(deps.operators, request, 'commands.halt', `command:${request.params.id}`);
    return {
      command: publicCommand(await deps.commands.halt(request.params.id, operator, request.body.reason)),
    };
  });

  app.get('/commands', { schema: { querystring: CommandsQuery } }, async (request) => {
    await allow(deps.operators, request, 'commands.read', 'commands');
    const q = request.query;
    const after = decodeCursor(q.cursor);
    const states = q.pending === 'true' ? ['awaiting-approval' as const] : statesOf(q.state, commandStates);
    const filters = {
      ...(states ? { states } : {}),
      ...(q.actor === undefined ? {} : { actor: q.actor }),
      ...optionalTime('since', parseTime(q.since, 'since')),
      ...optionalTime('until', parseTime(q.until, 'until')),
      ...(after ? { after } : {}),
    };
    const page = await readPage(
      pageLimit(q.limit, 100, 1000),
      (limit) => deps.commands.list({ ...filters, limit }),
      (c) => ({ at: c.requestedAt, id: c.id }),
    );
    return { commands: page.items, nextCursor: page.nextCursor };
  });

  app.get('/commands/:id', { schema: { params: IdParam } }, async (request) => {
    await allow(deps.operators, request, 'commands.read', `command:${request.params.id}`);
    return { command: publicCommand(await deps.commands.get(request.params.id)) };
  });
};
