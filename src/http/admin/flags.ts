import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FlagService } from '../../flags/index.ts';
import { textCheckedByService } from '../input.ts';
import { FlagBody, FlagParam } from '../schemas.ts';
import { allow, type Authorizer } from './auth.ts';

export interface FlagsRoutesOptions {
  flags: FlagService;
  operators: Authorizer;
}

/** Feature flags and kill switches. */
export const flagsRoutes: FastifyPluginAsyncTypebox<FlagsRoutesOptions> = async (app, deps) => {
  app.get('/flags', async (request) => {
    await allow(deps.operators, request, 'flags.read', 'flags');
    await deps.flags.refresh();
    return { flags: deps.flags.list() };
  });

  app.put(
    '/flags/:key',
    { schema: { params: FlagParam, body: FlagBody }, config: textCheckedByService },
    async (request) => {
      const operator = await allow(deps.operators, request, 'flags.write', `flag:${request.params.key}`);
      return {
        flag: await deps.flags.set(
          request.params.key,
          request.body.value,
          operator.name,
          request.body.reason,
          { autoRevert: request.body.autoRevert === true },
        ),
      };
    },
  );
};
