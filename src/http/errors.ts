import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody, LifelineError } from '../errors/index.ts';
import { noControlPattern } from './schemas.ts';

/** Fastify's own failures, each mapped onto the catalog code a client sees. */
const fastifyCodes: Record<string, LifelineError['code']> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  // The router's own refusals (a path parameter with a bad %-escape, or longer than the router
  // takes): the same answer as any other parameter that fails its schema.
  FST_ERR_BAD_URL: 'VALIDATION_FAILED',
  FST_ERR_MAX_PARAM_LENGTH: 'VALIDATION_FAILED',
};

export function toLifelineError(err: unknown): LifelineError {
  if (err instanceof LifelineError) return err;
  const e = err as Partial<FastifyError>;
  if (e.validation) {
    return new LifelineError('VALIDATION_FAILED', `${e.validationContext ?? 'request'}${messageOf(e)}`, {
      cause: err,
    });
  }
  const code = e.code === undefined ? undefined : fastifyCodes[e.code];
  if (code) return new LifelineError(code, routerMessages[e.code as string], { cause: err });
  if (e.statusCode === 404) return new LifelineError('NOT_FOUND', undefined, { cause: err });
  return new LifelineError('INTERNAL', undefined, { cause: err });
}

const routerMessages: Record<string, string> = {
  FST_ERR_BAD_URL: 'A path parameter is not valid percent-encoded UTF-8',
  FST_ERR_MAX_PARAM_LENGTH: 'A path parameter is longer than allowed',
};

function messageOf(e: Partial<FastifyError>): string {
  const first = e.validation?.[0];
  if (!first) return ` ${e.message ?? 'is invalid'}`;
  const where = first.instancePath || '';
  if (first.keyword === 'pattern' && (first.params as { pattern?: string }).pattern === noControlPattern)
    return `${where} must not contain control characters`;
  if (first.keyword === 'additionalProperties') {
    const extra = (first.params as { additionalProperty?: string }).additionalProperty;
    return `${where} has an unknown field "${extra}"`;
  }
  return `${where} ${first.message ?? 'is invalid'}`;
}

/** A Retry-After header value: whole seconds from 1 to 3600, whatever a flag or a plan computed. */
export function retryAfterHeader(seconds: number): string {
  return String(Math.min(3600, Math.max(1, Math.ceil(Number.isFinite(seconds) ? seconds : 1))));
}

/** Every error leaves as `{error:{code,message}}` with the catalog's status; 5xx are logged. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const mapped = toLifelineError(err);
    if (mapped.status >= 500 && mapped.code === 'INTERNAL') request.log.error({ err }, 'request failed');
    const retryAfter = mapped.details?.retryAfterSeconds;
    if (typeof retryAfter === 'number') void reply.header('retry-after', retryAfterHeader(retryAfter));
    void reply.status(mapped.status).send(errorBody(mapped));
  });
  app.setNotFoundHandler((request, reply) => {
    void reply
      .status(404)
      .send(errorBody(new LifelineError('NOT_FOUND', `No route ${request.method} ${request.url}`)));
  });
}

/**
 * Fastify's `frameworkErrors` option: the router refuses some URLs before any route or error
 * handler runs, and would answer in its own shape; this answers them in the catalog's.
 */
export function frameworkErrors(err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const mapped = toLifelineError(err);
  void reply.status(mapped.status).send(errorBody(mapped));
}

/**
 * Ajv settings for every listener: unknown fields are an error (never silently dropped), and
 * types are not coerced, so `"port": "80"` is refused rather than guessed at.
 */
export const ajvOptions = {
  customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false },
} as const;
