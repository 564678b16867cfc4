import type { RestoreService } from '../../restore/index.ts';
import type { SessionService } from '../../sessions/index.ts';
import { retryAfterHeader } from '../errors.ts';
import { RefreshBody, RejoinBody, SessionTokens } from '../schemas.ts';
import type { AddressLimit } from './limits.ts';
import type { TypedApp } from '../typed.ts';

export interface ResumeRoutesOptions {
  sessions: SessionService;
  restores: RestoreService;
  fromAddress: AddressLimit;
}

/** The two ways back to a session without logging in again: a refresh, and a rejoin after a kick. */
export function resumeRoutes(app: TypedApp, deps: ResumeRoutesOptions): void {
  app.post(
    '/v1/refresh',
    { schema: { body: RefreshBody, response: { 200: SessionTokens } } },
    async (request) => {
      await deps.fromAddress('refresh', request.raw);
      return deps.sessions.refresh(request.body.refreshToken, request.body.retryKey);
    },
  );

  // A kicked client comes back: 200 with tokens once its batch is released, 202 with
  // Retry-After until then, 403 REJOIN_REFUSED with the reason when it cannot.
  app.post('/v1/rejoin', { schema: { body: RejoinBody } }, async (request, reply) => {
    await deps.fromAddress('rejoin', request.raw);
    const answer = await deps.restores.rejoin(request.body.resumeToken);
    if (answer.kind === 'restored') return { ...answer.tokens, restored: true };
    void reply.status(202).header('retry-after', retryAfterHeader(answer.retryAfterSeconds));
    return {
      waiting: true,
      restoreId: answer.restoreId,
      position: answer.position,
      etaSeconds: answer.etaSeconds,
      retryAfterSeconds: answer.retryAfterSeconds,
    };
  });
}
