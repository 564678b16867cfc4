import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { AnchoredVerifyResult, AuditLog } from '../audit/index.ts';
import type { BanService } from '../bans/index.ts';
import type { KickBreaker } from '../breaker/index.ts';
import { type CommandService, publicCommand } from '../commands/index.ts';
import { type ErrorCode, LifelineError } from '../errors/index.ts';
import type { FlagService } from '../flags/index.ts';
import type { Metrics } from '../metrics/index.ts';
import type { RestoreService } from '../restore/index.ts';
import type { LiveState } from '../live/index.ts';
import type { OperatorService, Permission } from '../operators/index.ts';
import type { Operator, RecordStore } from '../store/index.ts';
import { ajvOptions, frameworkErrors, installErrorHandling } from './errors.ts';
import { refuseNulText, textCheckedByService } from './input.ts';
import { metricsRoute } from './metrics.ts';
import {
  ApproveBody,
  AuditQuery,
  BanBody,
  BansQuery,
  BreakerResetBody,
  CommandBody,
  DisruptionsQuery,
  EnrolBody,
  FlagBody,
  FlagParam,
  HaltBody,
  IdParam,
  NameParam,
  OperatorBody,
  OperatorRoleBody,
  PlayerParam,
  ReasonBody,
  RestoreBody,
  SessionsQuery,
} from './schemas.ts';

export interface AdminApiDeps {
  logger: FastifyBaseLogger;
  bodyLimitBytes: number;
  operators: OperatorService;
  commands: CommandService;
  bans: BanService;
  audit: AuditLog;
  /** Verifies the chain against the anchor (after anchoring this node's own appends). */
  verifyAudit: () => Promise<AnchoredVerifyResult>;
  live: LiveState;
  store: RecordStore;
  breaker: KickBreaker;
  flags: FlagService;
  restores: RestoreService;
  metrics: Metrics;
  rateLimit: { perSecond: number; burst: number };
  clock: () => number;
}

/** An inline command that halted answers with its halt's own code, not a 200. */
function haltedToError(command: {
  state: string;
  haltCode: ErrorCode | null;
  id: string;
  progress: { ended: number };
}): void {
  if (command.state !== 'halted') return;
  throw new LifelineError(command.haltCode ?? 'INTERNAL', undefined, {
    details: { commandId: command.id, ended: command.progress.ended },
  });
}

/** A time in a query: epoch milliseconds or an ISO 8601 string. */
export function parseTime(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  // Beyond ±8.64e15 ms no Date exists, and PostgreSQL's bigint overflows (a 500 before).
  if (!Number.isFinite(n) || Math.abs(n) > 8.64e15)
    throw new LifelineError('VALIDATION_FAILED', `${field} is neither epoch ms nor an ISO time`);
  return n;
}

const int = (v: string | undefined, fallback: number, max: number): number =>
  v === undefined ? fallback : Math.min(Number(v), max);

const operatorView = (o: Operator) => ({
  id: o.id,
  name: o.name,
  role: o.role,
  createdAt: new Date(o.createdAt).toISOString(),
  revokedAt: o.revokedAt === null ? null : new Date(o.revokedAt).toISOString(),
});

const ENROL_ROUTE = '/admin/v1/enrol';

/**
 * The admin listener: bearer operators, role checks, and thin routes that validate, call a
 * service and let the error handler map failures. Never mounted on the player port.
 */
export async function buildAdminApi(deps: AdminApiDeps): Promise<FastifyInstance> {
  const base = Fastify({
    loggerInstance: deps.logger.child({ listener: 'admin' }),
    bodyLimit: deps.bodyLimitBytes,
    ajv: ajvOptions,
    frameworkErrors,
    return503OnClosing: true,
  });
  installErrorHandling(base);
  refuseNulText(base);
  const app = base.withTypeProvider<TypeBoxTypeProvider>();

  const who = new WeakMap<FastifyRequest, Operator>();
  metricsRoute(base, deps.metrics);
  app.addHook('onRequest', async (request) => {
    // The one route a new operator calls before they have a bearer token: the enrolment's two
    // parts, 256 random bits each, are its own credential.
    if (request.routeOptions.url === ENROL_ROUTE && request.method === 'POST') return;
    // Prometheus scrapes without an operator token; the admin listener's address is its guard.
    if (request.routeOptions.url === '/metrics') return;
    const header = request.headers.authorization;
    const operator = await deps.operators.authenticate(
      header?.startsWith('Bearer ') ? header.slice(7) : undefined,
    );
    who.set(request, operator);
    // Per operator, so one runaway script cannot starve the person trying to stop it.
    const { perSecond, burst } = deps.rateLimit;
    const token = await deps.live.takeRateToken(`operator:${operator.id}`, perSecond, burst, deps.clock());
    if (!token.ok) {
      throw new LifelineError('RATE_LIMITED', undefined, {
        details: { retryAfterSeconds: Math.max(1, Math.ceil(token.retryAfterMs / 1000)) },
      });
    }
  });
  const allow = async (
    request: FastifyRequest,
    permission: Permission,
    target: string,
  ): Promise<Operator> => {
    const operator = who.get(request) as Operator;
    await deps.operators.authorize(operator, permission, target);
    return operator;
  };

  app.get('/admin/v1/whoami', async (request) => operatorView(who.get(request) as Operator));

  app.get('/admin/v1/sessions', { schema: { querystring: SessionsQuery } }, async (request) => {
    await allow(request, 'sessions.read', 'sessions');
    const { limit, ...filter } = request.query;
    const [counts, sessions] = await Promise.all([
      deps.live.countSessions(filter),
      deps.live.findSessions(filter, int(limit, 100, 10_000)),
    ]);
    return { counts, sessions };
  });

  app.post('/admin/v1/commands', { schema: { body: CommandBody } }, async (request, reply) => {
    const operator = await allow(request, 'commands.kick', `command:${request.body.action}`);
    const outcome = await deps.commands.request(request.body, operator, 'api');
    switch (outcome.kind) {
      case 'dry-run':
        return { dryRun: true, plan: outcome.plan, policy: outcome.policy };
      case 'awaiting-approval':
        void reply.status(202);
        return { command: outcome.command };
      case 'done':
        haltedToError(outcome.command);
        return { command: outcome.command, ended: outcome.command.progress.ended };
    }
  });

  app.post(
    '/admin/v1/commands/:id/approve',
    { schema: { params: IdParam, body: ApproveBody } },
    async (request, reply) => {
      const operator = who.get(request) as Operator;
      const outcome = await deps.commands.approve(request.params.id, operator, request.body.totp);
      void reply.status(202);
      return outcome.enrolment
        ? {
            command: publicCommand(outcome.command),
            enrolment: {
              ...outcome.enrolment,
              expiresAt: new Date(outcome.enrolment.expiresAt).toISOString(),
            },
          }
        : { command: publicCommand(outcome.command) };
    },
  );

  app.post(
    '/admin/v1/commands/:id/halt',
    { schema: { params: IdParam, body: HaltBody } },
    async (request) => {
      const operator = await allow(request, 'commands.halt', `command:${request.params.id}`);
      return {
        command: publicCommand(await deps.commands.halt(request.params.id, operator, request.body.reason)),
      };
    },
  );

  app.post('/admin/v1/restores', { schema: { body: RestoreBody } }, async (request, reply) => {
    const operator = await allow(request, 'restores.read', 'restores');
    const b = request.body;
    const source = {
      ...(b.commandId === undefined ? {} : { commandId: b.commandId }),
      ...(b.from === undefined ? {} : { from: parseTime(String(b.from), 'from') }),
      ...(b.to === undefined ? {} : { to: parseTime(String(b.to), 'to') }),
      ...(b.selector === undefined ? {} : { selector: b.selector }),
    };
    if (b.dryRun) return { dryRun: true, plan: await deps.restores.plan(source) };
    if (!b.pacing)
      throw new LifelineError('VALIDATION_FAILED', 'A restore needs "pacing" (fixed or adaptive)');
    const status = await deps.restores.start(
      { source, pacing: b.pacing, thresholds: b.thresholds, totp: b.totp },
      operator,
    );
    void reply.status(202);
    return status;
  });

  app.get('/admin/v1/restores/:id', { schema: { params: IdParam } }, async (request) => {
    await allow(request, 'restores.read', `restore:${request.params.id}`);
    return deps.restores.status(request.params.id);
  });

  for (const verb of ['pause', 'resume', 'cancel'] as const) {
    app.post(
      `/admin/v1/restores/:id/${verb}`,
      { schema: { params: IdParam, body: ReasonBody } },
      async (request) => {
        const operator = await allow(request, 'restores.control', `restore:${request.params.id}`);
        return deps.restores[verb](request.params.id, operator, request.body.reason);
      },
    );
  }

  app.post('/admin/v1/bans', { schema: { body: BanBody } }, async (request, reply) => {
    const outcome = await deps.bans.ban(request.body, who.get(request) as Operator);
    void reply.status(201);
    return outcome;
  });

  app.delete(
    '/admin/v1/bans/:playerId',
    { schema: { params: PlayerParam, body: ReasonBody } },
    async (request) => {
      const operator = who.get(request) as Operator;
      return { ban: await deps.bans.lift(request.params.playerId, request.body.reason, operator) };
    },
  );

  app.get('/admin/v1/bans', { schema: { querystring: BansQuery } }, async (request) => {
    await allow(request, 'bans.read', 'bans');
    const q = request.query;
    return { bans: await deps.bans.list({ playerId: q.playerId, limit: int(q.limit, 1000, 10_000) }) };
  });

  app.get('/admin/v1/breaker', async (request) => {
    await allow(request, 'breaker.read', 'breaker:kick');
    return { breaker: await deps.breaker.status() };
  });

  app.post('/admin/v1/breaker/reset', { schema: { body: BreakerResetBody } }, async (request) => {
    const operator = await allow(request, 'breaker.reset', 'breaker:kick');
    await deps.operators.stepUp(operator, request.body.totp);
    await deps.breaker.reset(operator.name, request.body.reason);
    return { breaker: await deps.breaker.status() };
  });

  app.get('/admin/v1/flags', async (request) => {
    await allow(request, 'flags.read', 'flags');
    await deps.flags.refresh();
    return { flags: deps.flags.list() };
  });

  app.put(
    '/admin/v1/flags/:key',
    { schema: { params: FlagParam, body: FlagBody }, config: textCheckedByService },
    async (request) => {
      const operator = await allow(request, 'flags.write', `flag:${request.params.key}`);
      return {
        flag: await deps.flags.set(
          request.params.key,
          request.body.value,
          operator.name,
          request.body.reason,
        ),
      };
    },
  );

  app.get('/admin/v1/commands/:id', { schema: { params: IdParam } }, async (request) => {
    await allow(request, 'commands.read', `command:${request.params.id}`);
    return { command: publicCommand(await deps.commands.get(request.params.id)) };
  });

  app.get('/admin/v1/disruptions', { schema: { querystring: DisruptionsQuery } }, async (request) => {
    await allow(request, 'disruptions.read', 'disruptions');
    const q = request.query;
    const disruptions = await deps.store.listDisruptions({
      commandId: q.commandId,
      playerId: q.playerId,
      restoreId: q.restoreId,
      region: q.region,
      shard: q.shard,
      zone: q.zone,
      outcome: q.outcome,
      from: parseTime(q.from, 'from'),
      to: parseTime(q.to, 'to'),
      limit: int(q.limit, 1000, 10_000),
    });
    return { disruptions };
  });

  app.get('/admin/v1/audit', { schema: { querystring: AuditQuery } }, async (request) => {
    await allow(request, 'audit.read', 'audit');
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

  app.get('/admin/v1/audit/verify', async (request) => {
    await allow(request, 'audit.read', 'audit');
    return deps.verifyAudit();
  });

  app.get('/admin/v1/operators', async (request) => {
    await allow(request, 'operators.manage', 'operators');
    return { operators: (await deps.operators.list()).map(operatorView) };
  });

  // Creating an operator or changing a role is a guarded command: 202 with the command awaiting
  // a second admin, who approves it at /admin/v1/commands/:id/approve. A new operator's request
  // answers the requester's part of the enrolment, once; the approval answers the other part.
  app.post('/admin/v1/operators', { schema: { body: OperatorBody } }, async (request, reply) => {
    const b = request.body;
    const asked = await deps.commands.requestOperatorChange(
      { change: 'add', name: b.name, role: b.role, reason: b.reason, totp: b.totp },
      who.get(request) as Operator,
    );
    void reply.status(202);
    return { command: asked.command, enrolment: { operator: b.name, requesterPart: asked.requesterPart } };
  });

  app.patch(
    '/admin/v1/operators/:name',
    { schema: { params: NameParam, body: OperatorRoleBody } },
    async (request, reply) => {
      const b = request.body;
      const { command } = await deps.commands.requestOperatorChange(
        { change: 'role', name: request.params.name, role: b.role, reason: b.reason, totp: b.totp },
        who.get(request) as Operator,
      );
      void reply.status(202);
      return { command };
    },
  );

  app.post(ENROL_ROUTE, { schema: { body: EnrolBody } }, async (request) => {
    const enrolled = await deps.operators.enrol(request.body.token, request.body.requesterPart);
    return {
      operator: operatorView(enrolled.operator),
      token: enrolled.token,
      otpauthUri: enrolled.otpauthUri,
    };
  });

  app.delete('/admin/v1/operators/:name', { schema: { params: NameParam } }, async (request) => {
    const operator = await allow(request, 'operators.manage', `operator:${request.params.name}`);
    return { operator: operatorView(await deps.operators.revoke(request.params.name, operator.name)) };
  });

  return base;
}
