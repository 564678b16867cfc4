import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { OperatorService } from '../../operators/index.ts';
import { EnrolBody } from '../schemas.ts';
import { ENROL_ROUTE } from './auth.ts';
import { operatorView } from './operators.ts';

export interface EnrolRoutesOptions {
  operators: Pick<OperatorService, 'enrol'>;
}

/**
 * A new operator redeems their enrolment: the one admin route without a bearer token (the auth
 * hook lets {@link ENROL_ROUTE} through), registered at the root so its URL is that constant.
 */
export const enrolRoutes: FastifyPluginAsyncTypebox<EnrolRoutesOptions> = async (app, deps) => {
  app.post(ENROL_ROUTE, { schema: { body: EnrolBody } }, async (request) => {
    const enrolled = await deps.operators.enrol(request.body.token, request.body.requesterPart);
    return {
      operator: operatorView(enrolled.operator),
      token: enrolled.token,
      otpauthUri: enrolled.otpauthUri,
    };
  });
};
