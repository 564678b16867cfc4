import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AdmissionSnapshot } from '../../admission/index.ts';
import { allow, type Authorizer } from './auth.ts';

export interface AdmissionRoutesOptions {
  /** This node's admission queue now; null while admission is off. */
  admission: () => AdmissionSnapshot | null;
  operators: Authorizer;
}

/** The login admission queue: depth, limit, in flight, oldest wait, per lane. */
export const admissionRoutes: FastifyPluginAsyncTypebox<AdmissionRoutesOptions> = async (app, deps) => {
  app.get('/admission', async (request) => {
    await allow(deps.operators, request, 'sessions.read', 'admission');
    return (
      deps.admission() ?? {
        enabled: false,
        reason: 'admission is off: admission.enabled is false, or identity.provider is not http',
      }
    );
  });
};
