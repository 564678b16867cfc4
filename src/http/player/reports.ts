import { Type } from 'typebox';
import { type PlayerReports, reportCategories } from '../../signals/index.ts';
import { Name, noControlPattern } from '../schemas.ts';
import type { TypedApp } from '../typed.ts';
import type { AddressLimit } from './limits.ts';

const ReportBody = Type.Object(
  {
    category: Type.Union(reportCategories.map((c) => Type.Literal(c))),
    region: Type.Optional(Name),
    shard: Type.Optional(Name),
    text: Type.Optional(Type.String({ maxLength: 1000, pattern: noControlPattern })),
  },
  { additionalProperties: false },
);

export interface ReportRoutesOptions {
  reports: PlayerReports;
  fromAddress: AddressLimit;
}

/**
 * A player report: the address's bucket first, then (with `Authorization: Bearer <access
 * token>`) the player's; 202 once counted.
 */
export function reportRoutes(app: TypedApp, deps: ReportRoutesOptions): void {
  app.post('/v1/reports', { schema: { body: ReportBody } }, async (request, reply) => {
    await deps.fromAddress('report', request.raw);
    const header = request.headers.authorization;
    await deps.reports.report(request.body, header?.startsWith('Bearer ') ? header.slice(7) : undefined);
    void reply.status(202);
    return { accepted: true };
  });
}
