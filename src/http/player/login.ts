import type { FastifyReply } from 'fastify';
import type { AdmissionController, Admitted } from '../../admission/index.ts';
import { LifelineError } from '../../errors/index.ts';
import type { SessionTokens as IssuedTokens, SessionService } from '../../sessions/index.ts';
import { retryAfterHeader } from '../errors.ts';
import { LoginBody, PollBody } from '../schemas.ts';
import type { AddressLimit } from './limits.ts';
import type { TypedApp } from '../typed.ts';

export interface LoginRoutesOptions {
  sessions: SessionService;
  /** Present when identity is a remote upstream to protect. */
  admission: AdmissionController<IssuedTokens> | undefined;
  fromAddress: AddressLimit;
}

/** 200 with the tokens now, or 202 with a ticket, a place in line and Retry-After. */
function admitted(reply: FastifyReply, a: Admitted<IssuedTokens>) {
  if (a.kind === 'done') return a.value;
  void reply.status(202).header('retry-after', retryAfterHeader(a.retryAfterSeconds));
  return {
    queued: true,
    ticket: a.ticket,
    position: a.position,
    etaSeconds: a.etaSeconds,
    retryAfterSeconds: a.retryAfterSeconds,
  };
}

/**
 * Login. With a remote identity upstream, logins pass admission, and a queued client polls
 * /v1/login/poll with its ticket.
 */
export function loginRoutes(app: TypedApp, deps: LoginRoutesOptions): void {
  app.post('/v1/login', { schema: { body: LoginBody } }, async (request, reply) => {
    await deps.fromAddress('login', request.raw);
    if (!deps.admission) return deps.sessions.login(request.body);
    return admitted(
      reply,
      await deps.admission.enter((verified) => deps.sessions.login(request.body, verified)),
    );
  });

  app.post('/v1/login/poll', { schema: { body: PollBody } }, async (request, reply) => {
    if (!deps.admission) throw new LifelineError('LOGIN_TICKET_UNKNOWN', 'Logins are not queued here');
    return admitted(reply, await deps.admission.poll(request.body.ticket));
  });
}
