import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AnchoredVerifyResult, AuditLog } from '../../audit/index.ts';
import { int, parseTime } from '../query.ts';
import { AuditQuery } from '../schemas.ts';
import { allow, type Authorizer } from './auth.ts';

export interface AuditRoutesOptions {
  audit: Pick<AuditLog, 'list'>;
  /** Verifies the chain against the anchor (after anchoring this node's own appends). */
  verifyAudit: () => Promise<AnchoredVerifyResult>;
  operators: Authorizer;
}

/** The audit log: a page of entries, and the chain's verification. */
export const auditRoutes: FastifyPluginAsyncTypebox<AuditRoutesOptions> = async (app, deps) => {
  app.get('/audit', { schema: { querystring: AuditQuery } }, async (request) => {
    await allow(deps.operators, request, 'audit.read', 'audit');
    const q = request.query;
    const entries = await deps.audit.list({
      from: parseTime(q.from, 'from'),
      to: parseTime(q.to, 'to'),
      action: q.action,
      actor: q.actor,
      afterSeq: q.afterSeq === undefined ? undefined : Number(q.afterSeq),
      limit: int(q.limit, 100, 1000),
    });
    return { entries };
  });

  app.get('/audit/verify', async (request) => {
    await allow(deps.operators, request, 'audit.read', 'audit');
    return deps.verifyAudit();
  });
};
