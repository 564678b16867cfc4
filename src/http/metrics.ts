import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics/index.ts';

/**
 * True when the Authorization header carries exactly `Bearer <token>`. Both sides are hashed first
 * so the comparison takes the same time whatever the length or the first wrong byte.
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  if (token === '' || header === undefined || !header.startsWith('Bearer ')) return false;
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(header.slice(7)), digest(token));
}

/**
 * `GET /metrics` in Prometheus' text format. On the admin listener it is served to anyone who
 * reaches that (private) listener; on the public player listener only with `token`, and a scrape
 * without it gets the same 404 as an unknown route, so the public port does not even say it exists.
 */
export function metricsRoute(app: FastifyInstance, metrics: Metrics, options: { token?: string } = {}): void {
  app.get('/metrics', async (request, reply) => {
    if (options.token !== undefined && !bearerMatches(request.headers.authorization, options.token))
      return reply.callNotFound();
    void reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
