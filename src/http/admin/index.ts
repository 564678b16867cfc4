import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { AdmissionSnapshot } from '../../admission/index.ts';
import type { AnchoredVerifyResult, AuditLog } from '../../audit/index.ts';
import type { BanService } from '../../bans/index.ts';
import type { KickBreaker } from '../../breaker/index.ts';
import type { CommandService } from '../../commands/index.ts';
import type { ConsoleConfig } from '../../config/index.ts';
import { installConsole } from '../../console/index.ts';
import type { EventStream } from '../../events/index.ts';
import type { FlagService } from '../../flags/index.ts';
import type { Compensation, FollowUp, IncidentService } from '../../incidents/index.ts';
import type { Communications } from '../../comms/index.ts';
import type { RateBuckets, SessionDirectory } from '../../live/index.ts';
import type { Metrics } from '../../metrics/index.ts';
import type { OperatorService } from '../../operators/index.ts';
import type { RestoreService } from '../../restore/index.ts';
import type { SignalService } from '../../signals/index.ts';
import type { DisruptionLedger } from '../../store/index.ts';
import { ajvOptions, frameworkErrors, installErrorHandling } from '../errors.ts';
import { accessLog } from '../access-log.ts';
import { refuseNulText } from '../input.ts';
import { metricsRoute } from '../metrics.ts';
import { admissionRoutes } from './admission.ts';
import { auditRoutes } from './audit.ts';
import { authenticateOperators } from './auth.ts';
import { bansRoutes } from './bans.ts';
import { breakerRoutes } from './breaker.ts';
import { commandsRoutes } from './commands.ts';
import { disruptionsRoutes } from './disruptions.ts';
import { enrolRoutes } from './enrol.ts';
import { flagsRoutes } from './flags.ts';
import { followUpRoutes } from './incident-followup.ts';
import { incidentsRoutes } from './incidents.ts';
import { incidentUpdatesRoutes } from './incident-updates.ts';
import { operatorsRoutes } from './operators.ts';
import { restoresRoutes } from './restores.ts';
import { sessionsRoutes } from './sessions.ts';
import { signalsRoutes } from './signals.ts';

export interface AdminApiDeps {
  logger: FastifyBaseLogger;
  bodyLimitBytes: number;
  operators: OperatorService;
  commands: CommandService;
  bans: BanService;
  audit: AuditLog;
  /** Verifies the chain against the anchor (after anchoring this node's own appends). */
  verifyAudit: () => Promise<AnchoredVerifyResult>;
  live: SessionDirectory & RateBuckets;
  store: DisruptionLedger;
  breaker: KickBreaker;
  flags: FlagService;
  restores: RestoreService;
  signals: SignalService;
  /** `detection.intakeSecret`: lets Alertmanager and Sentry post signals without an operator token. */
  intakeSecret: string;
  incidents: IncidentService;
  compensation: Compensation;
  followUp: FollowUp;
  /** Incident communication: posted updates. */
  comms: Communications;
  /** This node's login admission queue; null while admission is off. */
  admission?: () => AdmissionSnapshot | null;
  metrics: Metrics;
  rateLimit: { perSecond: number; burst: number };
  clock: () => number;
  /** The web console (src/console); absent or `enabled: false` mounts none. */
  console?: { config: ConsoleConfig; events?: EventStream; bundleDir?: string };
}

const prefix = '/admin/v1';

/**
 * The admin listener: bearer operators, role checks, and thin routes (a plugin per resource)
 * that validate, call a service and let the error handler map failures. Never mounted on the
 * player port.
 */
export async function buildAdminApi(deps: AdminApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger.child({ listener: 'admin' }),
    bodyLimit: deps.bodyLimitBytes,
    ajv: ajvOptions,
    frameworkErrors,
    return503OnClosing: true,
    logController: new LogController({ disableRequestLogging: true }),
  });
  accessLog(app);
  installErrorHandling(app);
  refuseNulText(app);
  metricsRoute(app, deps.metrics);
  const web =
    deps.console?.config.enabled === true
      ? installConsole(
          app,
          {
            ...deps.console,
            operators: deps.operators,
            live: deps.live,
            audit: deps.audit,
            clock: deps.clock,
          },
          prefix,
        )
      : null;
  authenticateOperators(app, web ? { ...deps, consoleOperator: web.operatorOf } : deps);
  const { operators } = deps;
  void app.register(sessionsRoutes, { prefix, live: deps.live, operators });
  void app.register(commandsRoutes, { prefix, commands: deps.commands, operators });
  void app.register(restoresRoutes, { prefix, restores: deps.restores, operators });
  void app.register(bansRoutes, { prefix, bans: deps.bans, operators });
  void app.register(breakerRoutes, { prefix, breaker: deps.breaker, operators });
  void app.register(flagsRoutes, { prefix, flags: deps.flags, operators });
  void app.register(disruptionsRoutes, { prefix, store: deps.store, operators });
  void app.register(auditRoutes, { prefix, audit: deps.audit, verifyAudit: deps.verifyAudit, operators });
  void app.register(incidentsRoutes, { prefix, incidents: deps.incidents, operators, clock: deps.clock });
  void app.register(followUpRoutes, {
    prefix,
    compensation: deps.compensation,
    followUp: deps.followUp,
    operators,
  });
  void app.register(incidentUpdatesRoutes, { prefix, comms: deps.comms, operators });
  void app.register(operatorsRoutes, { prefix, operators, commands: deps.commands });
  void app.register(enrolRoutes, { operators });
  void app.register(admissionRoutes, { prefix, operators, admission: deps.admission ?? (() => null) });
  void app.register(signalsRoutes, {
    prefix,
    signals: deps.signals,
    operators,
    intakeSecret: deps.intakeSecret,
  });
  return app;
}
