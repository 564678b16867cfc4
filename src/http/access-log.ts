import type { FastifyInstance } from 'fastify';

/**
 * Access lines at `debug`, one per answered request, instead of Fastify's two at `info`: at the
 * default level the log tells what happened to players and operators (src/events/log.ts), not
 * which URLs were fetched. `log.level: debug` brings them back.
 */
export function accessLog(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    // pino's levels: debug is 20; skipping here spares building the line's fields.
    if (request.log.level !== 'debug' && request.log.level !== 'trace') return;
    request.log.debug({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  });
}
