import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { LifelineError } from '../../errors/index.ts';
import { type SignalService, signatureMatches } from '../../signals/index.ts';
import { int, parseTime } from '../query.ts';
import { allow, type Authorizer } from './auth.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Set by the admin listener's `onRequest` hook on `POST /admin/v1/signals` from a machine
     * sender (no operator): `secret` when its bearer was the intake secret, `signed` when it
     * carries a `Sentry-Hook-Signature` the route checks against the raw body.
     */
    intakeSender: 'secret' | 'signed' | null;
    /** The body as received, on the signals routes only (the signature is over these bytes). */
    rawBody: string | null;
  }
}

export interface SignalsRoutesOptions {
  signals: SignalService;
  operators: Authorizer;
  /** `detection.intakeSecret`: empty when machine senders are not accepted. */
  intakeSecret: string;
}

const SignalsQuery = Type.Object(
  {
    state: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('all')])),
    since: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    detector: Type.Optional(Type.String({ minLength: 1, maxLength: 128, pattern: '^[^\\u0000-\\u001F]*$' })),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$' })),
  },
  { additionalProperties: false },
);

const SignalParam = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9-]+$' }) },
  { additionalProperties: false },
);

/**
 * Signals: listed and read by anyone with `signals.read`; posted by Alertmanager or Sentry (the
 * intake secret) or by an operator with `signals.write`.
 */
export const signalsRoutes: FastifyPluginAsyncTypebox<SignalsRoutesOptions> = async (app, deps) => {
  app.decorateRequest('rawBody', null);
  // The default JSON parser (prototype poisoning refused), keeping the text for the signature.
  const json = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    request.rawBody = body as string;
    json(request, body as string, done);
  });

  app.get('/signals', { schema: { querystring: SignalsQuery } }, async (request) => {
    await allow(deps.operators, request, 'signals.read', 'signals');
    const q = request.query;
    const signals = await deps.signals.list({
      state: q.state ?? 'open',
      since: parseTime(q.since, 'since'),
      detector: q.detector,
      limit: int(q.limit, 100, 1000),
    });
    return { signals };
  });

  app.get('/signals/:id', { schema: { params: SignalParam } }, async (request) => {
    await allow(deps.operators, request, 'signals.read', `signal:${request.params.id}`);
    return { signal: await deps.signals.get(request.params.id) };
  });

  app.post('/signals', async (request) => {
    if (request.intakeSender === null) await allow(deps.operators, request, 'signals.write', 'signals');
    if (request.intakeSender === 'signed') {
      const signature = request.headers['sentry-hook-signature'];
      if (
        typeof signature !== 'string' ||
        !signatureMatches(deps.intakeSecret, request.rawBody ?? '', signature)
      )
        throw new LifelineError('SIGNAL_SIGNATURE_INVALID');
    }
    return deps.signals.intake(request.body);
  });
};
