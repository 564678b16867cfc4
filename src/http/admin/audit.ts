import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AnchoredVerifyResult, AuditLog } from '../../audit/index.ts';
import { LifelineError } from '../../errors/index.ts';
import { decodeCursor, pageLimit, readPage } from '../cursor.ts';
import { parseTime } from '../query.ts';

function seqOf(id: string): number {
  if (!/^[0-9]{1,15}$/.test(id))
    throw new LifelineError('VALIDATION_FAILED', 'cursor is not one this API handed out', {
      details: { field: 'cursor' },
    });
  return Number(id);
}
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
    const after = decodeCursor(q.cursor);
    const filters = {
      from: parseTime(q.from, 'from'),
      to: parseTime(q.to, 'to'),
      action: q.action,
      actor: q.actor,
      // The cursor's id is the last entry's seq; `afterSeq` is the older spelling of the same.
      afterSeq: after ? seqOf(after.id) : q.afterSeq === undefined ? undefined : Number(q.afterSeq),
    };
    const page = await readPage(
      pageLimit(q.limit, 100, 1000),
      (limit) => deps.audit.list({ ...filters, limit }),
      (e) => ({ at: e.at, id: String(e.seq) }),
    );
    return { entries: page.items, nextCursor: page.nextCursor };
  });

  app.get('/audit/verify', async (request) => {
    await allow(deps.operators, request, 'audit.read', 'audit');
    return deps.verifyAudit();
  });
};
