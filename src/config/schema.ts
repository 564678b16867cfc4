/**
 * The shape of Lifeline's configuration: one TypeBox schema holding every key's type, bounds and
 * default. `docs/CONFIGURATION.md` documents the same keys; a test checks that every key and its
 * environment variable appear there.
 *
 * Two non-standard schema options carry the operator-facing wording of errors, because the generic
 * JSON Schema messages ("must be <= 65535", "must match anyOf") do not say what would be accepted:
 * `errorMessage` on a value, `keyMessage` on a map whose key names are constrained.
 */
import { type Static, type TEnum, type TSchema, Type } from 'typebox';
import { defaultTemplates } from '../comms/templates.ts';

/** The values of `environment`, set by `NODE_ENV`. */
export const environments = ['development', 'production', 'test'] as const;
/** The environment Lifeline runs in. Only `production` changes behaviour (it refuses dev identity). */
export type Environment = (typeof environments)[number];

/** The values of `log.level`, from most to least severe; `silent` logs nothing. */
export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** A pino log level. */
export type LogLevel = (typeof logLevels)[number];

/** The values of `identity.provider`. */
export const identityProviders = ['dev', 'http', 'oidc'] as const;
/** How players prove who they are: `dev` trusts the given playerId, `http` asks an upstream service. */
export type IdentityProvider = (typeof identityProviders)[number];

/** The values of `session.whenFull`: what a login does when the player holds `session.maxPerPlayer` sessions. */
export const sessionLimitPolicies = ['replace-oldest', 'refuse'] as const;
/** `replace-oldest` ends the player's oldest session to make room; `refuse` refuses the new one. */
export type SessionLimitPolicy = (typeof sessionLimitPolicies)[number];

/** How access tokens are signed: EdDSA (Ed25519, the default) or ES256 (P-256, verifiable everywhere). */
export const tokenAlgorithms = ['EdDSA', 'ES256'] as const;
/** A `tokens.algorithm` value. */
export type TokenAlgorithm = (typeof tokenAlgorithms)[number];

/** The pattern every region, shard and zone name matches. */
export const topologyNamePattern = '^[a-z0-9][a-z0-9-]{0,31}$';
const topologyNameRule = 'must be 1-32 characters of a-z, 0-9 and "-", starting with a letter or digit';

const nodeIdPattern = '^[A-Za-z0-9._-]{1,64}$';

function oneOf<const V extends string[]>(values: readonly [...V], defaultValue: V[number]): TEnum<V> {
  return Type.Enum(values, { default: defaultValue, errorMessage: `must be one of ${values.join(', ')}` });
}

function positiveInteger(defaultValue: number) {
  return Type.Integer({ minimum: 1, default: defaultValue, errorMessage: 'must be a positive integer' });
}

function nonNegativeInteger(defaultValue: number) {
  return Type.Integer({
    minimum: 0,
    default: defaultValue,
    errorMessage: 'must be a whole number, 0 or more',
  });
}

function percent(defaultValue: number) {
  return Type.Number({
    minimum: 0,
    maximum: 100,
    default: defaultValue,
    errorMessage: 'must be a number from 0 to 100',
  });
}

/** An SLO's objective: the share of events that must be good, e.g. 0.999. */
function objective(defaultValue: number) {
  return Type.Number({
    minimum: 0.5,
    exclusiveMaximum: 1,
    default: defaultValue,
    errorMessage: 'must be a share of good events from 0.5 up to (not including) 1, e.g. 0.999',
  });
}

/** A share strictly between 0 and 1, e.g. 0.01 for 1%. */
function share(defaultValue: number) {
  return Type.Number({
    exclusiveMinimum: 0,
    exclusiveMaximum: 1,
    default: defaultValue,
    errorMessage: 'must be a number above 0 and below 1',
  });
}

function nonEmptyString(defaultValue: string) {
  return Type.String({ minLength: 1, default: defaultValue, errorMessage: 'must be a non-empty string' });
}

function template(defaultValue: string) {
  return Type.String({
    minLength: 1,
    maxLength: 4000,
    default: defaultValue,
    errorMessage: 'must be a text of 1 to 4000 characters',
  });
}

function port(defaultValue: number) {
  return Type.Integer({
    minimum: 0,
    maximum: 65535,
    default: defaultValue,
    errorMessage: 'must be an integer from 0 to 65535',
  });
}

function positiveNumber(defaultValue: number) {
  return Type.Number({
    exclusiveMinimum: 0,
    default: defaultValue,
    errorMessage: 'must be a number above 0',
  });
}

/** Token buckets on one player route: per client address, and per player (or per session). */
function playerBuckets(d: { ip: [number, number]; player: [number, number] }) {
  return section({
    ipPerSecond: positiveNumber(d.ip[0]),
    ipBurst: positiveInteger(d.ip[1]),
    playerPerSecond: positiveNumber(d.player[0]),
    playerBurst: positiveInteger(d.player[1]),
  });
}

/** A fixed-shape object section: unknown keys are errors, and a missing section takes its defaults. */
function section<P extends Record<string, TSchema>>(properties: P) {
  return Type.Object(properties, {
    additionalProperties: false,
    default: {},
    errorMessage: 'must be an object',
  });
}

/** The figures that make an incident at least this severe: any one reached is enough. */
function severityThresholds(players: number, payingPlayers: number, regions: number) {
  return section({
    players: positiveInteger(players),
    payingPlayers: positiveInteger(payingPlayers),
    regions: positiveInteger(regions),
  });
}

function topologyNames(minItems: number) {
  return Type.Array(Type.String({ pattern: topologyNamePattern, errorMessage: topologyNameRule }), {
    minItems,
    uniqueItems: true,
    errorMessage:
      minItems > 0
        ? `must be a list of at least ${minItems} distinct names`
        : 'must be a list of distinct names',
  });
}

const regionSchema = Type.Object(
  { shards: topologyNames(1), zones: topologyNames(0) },
  { additionalProperties: false, errorMessage: 'must be an object with shards and zones' },
);

function defaultRegion(name: string) {
  return { shards: [1, 2, 3].map((n) => `${name}-${n}`), zones: [`${name}-a`, `${name}-b`] };
}

/** The kinds of `routing.destinations[]`. */
export const destinationKinds = ['pagerduty', 'discord', 'slack', 'webhook'] as const;
/** Where routing sends a signal: PagerDuty Events v2, a Discord or Slack webhook, or a signed JSON webhook. */
export type DestinationKind = (typeof destinationKinds)[number];

/** The pattern of a destination's name (it keys the outbox, logs and metrics; never its URL). */
export const destinationNamePattern = '^[a-z0-9][a-z0-9-]{0,31}$';

/**
 * A secret in config: the value itself, or `env:NAME` to read it from the environment variable
 * NAME when the configuration loads (never a `LIFELINE_` one).
 */
function secretText(description: string) {
  return Type.Optional(Type.String({ minLength: 1, maxLength: 4096, errorMessage: description }));
}

const destinationSchema = Type.Object(
  {
    name: Type.String({
      pattern: destinationNamePattern,
      errorMessage: 'must be 1-32 characters of a-z, 0-9 and "-", starting with a letter or digit',
    }),
    kind: Type.Enum(destinationKinds, { errorMessage: `must be one of ${destinationKinds.join(', ')}` }),
    url: Type.Optional(
      Type.String({ pattern: '^https?://[^\\s]+$', errorMessage: 'must be an http:// or https:// URL' }),
    ),
    routingKey: secretText('must be a PagerDuty integration (routing) key, or env:NAME'),
    secret: secretText('must be the HMAC key (at least 16 characters), or env:NAME'),
    minSeverity: Type.Optional(Type.Enum(['P1', 'P2', 'P3'], { errorMessage: 'must be one of P1, P2, P3' })),
    perMinute: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, errorMessage: 'must be a number of requests per minute above 0' }),
    ),
    burst: Type.Optional(Type.Integer({ minimum: 1, errorMessage: 'must be a positive integer' })),
    announcements: Type.Optional(Type.Boolean({ errorMessage: 'must be true or false' })),
  },
  {
    additionalProperties: false,
    errorMessage:
      'must be an object {name, kind, url?, routingKey?, secret?, minSeverity?, perMinute?, burst?, announcements?}',
  },
);

/** The values of `siem.sink`. */
export const siemSinks = ['off', 'file', 'syslog'] as const;

/** The whole configuration schema. Validate with `loadConfig`, which also applies env and files. */
export const configSchema = Type.Object(
  {
    environment: oneOf(environments, 'development'),
    nodeId: Type.String({
      pattern: nodeIdPattern,
      default: 'node-1',
      errorMessage: 'must be 1-64 characters of A-Z, a-z, 0-9, ".", "_" and "-"',
    }),
    dataDir: nonEmptyString('./data'),
    player: section({
      host: nonEmptyString('0.0.0.0'),
      port: port(8080),
      backlog: Type.Integer({
        minimum: 1,
        maximum: 65535,
        default: 4096,
        errorMessage: 'must be an integer from 1 to 65535',
      }),
      bodyLimitBytes: positiveInteger(16384),
      trustProxy: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
        default: [],
        uniqueItems: true,
        errorMessage:
          'must be a list of trusted proxy addresses or CIDRs, e.g. ["10.0.0.0/8"] (true, which trusted every peer, is no longer accepted)',
      }),
      rateLimit: section({
        login: playerBuckets({ ip: [10, 30], player: [1, 5] }),
        refresh: playerBuckets({ ip: [20, 60], player: [1, 5] }),
        rejoin: playerBuckets({ ip: [20, 60], player: [2, 10] }),
        upgrade: playerBuckets({ ip: [20, 60], player: [2, 10] }),
        report: playerBuckets({ ip: [0.2, 5], player: [0.05, 3] }),
      }),
    }),
    admin: section({
      host: nonEmptyString('127.0.0.1'),
      port: port(8081),
      bodyLimitBytes: positiveInteger(65536),
      rateLimit: section({ perSecond: positiveInteger(5), burst: positiveInteger(10) }),
    }),
    commands: section({
      smallMaxSessions: positiveInteger(50),
      approvalTtlSeconds: positiveInteger(900),
      tolerancePercent: percent(1),
      toleranceMinSessions: nonNegativeInteger(2),
      canaryPercent: percent(1),
      canaryMaxSessions: positiveInteger(100),
      holdSeconds: nonNegativeInteger(30),
      payingLicences: Type.Array(Type.String({ minLength: 1 }), {
        default: ['standard', 'premium'],
        uniqueItems: true,
        errorMessage: 'must be a list of distinct licence names',
      }),
    }),
    operators: section({
      enrolmentTtlSeconds: positiveInteger(3600),
      stepUp: section({
        maxFailures: positiveInteger(5),
        windowSeconds: positiveInteger(900),
        lockSeconds: positiveInteger(900),
      }),
    }),
    slo: section({
      loginSuccess: objective(0.999),
      sessionContinuity: objective(0.999),
      kickRate: objective(0.999),
      rejoinSuccess: objective(0.99),
      minEventsPerHour: nonNegativeInteger(100),
      periodDays: positiveInteger(30),
    }),
    dns: section({
      // Each entry is checked as an address in validate.ts (dnsProblems), with a message that says so.
      servers: Type.Array(Type.String({ minLength: 1 }), {
        default: [],
        uniqueItems: true,
        errorMessage:
          'must be a list of distinct DNS server addresses, as "127.0.0.1:5353", "[::1]:53" or "10.0.0.2"',
      }),
      cacheTtlCapSeconds: positiveInteger(300),
      timeoutMs: positiveInteger(2000),
    }),
    detection: section({
      enabled: Type.Boolean({ default: true, errorMessage: 'must be true or false' }),
      // Fractions are for drills on a compressed clock (10 scenario seconds at ×40 is 0.25 s).
      stepSeconds: Type.Number({
        minimum: 0.1,
        maximum: 300,
        default: 10,
        errorMessage: 'must be a number of seconds from 0.1 to 300',
      }),
      /**
       * Announced change windows (deploys, maintenance): a drop in players online inside one is
       * not a page, nor is a bulk action. ISO 8601 times; `from` before `to` (validate.ts).
       */
      changeWindows: Type.Array(
        Type.Object(
          {
            from: Type.String({ format: 'date-time' }),
            to: Type.String({ format: 'date-time' }),
            what: Type.String({ minLength: 1, maxLength: 200 }),
          },
          { additionalProperties: false },
        ),
        {
          default: [],
          maxItems: 1000,
          errorMessage:
            'must be a list of {from, to, what} with ISO 8601 times, e.g. {"from":"2026-12-01T14:00:00Z","to":"2026-12-01T14:30:00Z","what":"deploy 1.4"}',
        },
      ),
      intakeSecret: Type.String({
        pattern: '^(.{32,})?$',
        default: '',
        errorMessage: 'must be empty (operator tokens only) or a secret of at least 32 characters',
      }),
      failures: section({
        minShift: share(0.01),
        threshold: positiveNumber(20),
        warmupSeconds: nonNegativeInteger(3600),
        halfLifeHours: positiveNumber(6),
        minSteps: positiveInteger(2),
      }),
      drop: section({
        slack: share(0.005),
        threshold: positiveNumber(0.05),
        minDeficit: positiveInteger(100),
        graceMinutes: nonNegativeInteger(10),
      }),
      reports: section({
        minExtra: positiveNumber(3),
        threshold: positiveNumber(20),
        halfLifeMinutes: positiveInteger(60),
      }),
      audit: section({
        intervalSeconds: positiveInteger(2),
        learnDays: positiveInteger(7),
        quietMinutes: positiveInteger(60),
      }),
      rollback: section({ watchSeconds: positiveInteger(600) }),
    }),
    probes: section({
      hostnames: Type.Array(Type.String({ minLength: 1, maxLength: 253 }), {
        default: [],
        errorMessage: 'must be a list of hostnames',
      }),
      delegations: Type.Array(
        Type.Object(
          {
            zone: Type.String({ minLength: 1, maxLength: 253 }),
            expect: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
            parentServers: Type.Optional(
              Type.Array(Type.String({ minLength: 1 }), {
                minItems: 1,
                errorMessage: 'must be a list of DNS server addresses, as "127.0.0.1:5353"',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        { default: [], errorMessage: 'must be a list of {zone, expect?}' },
      ),
      intervalSeconds: positiveInteger(30),
      dnsServers: Type.Array(Type.String({ minLength: 1 }), {
        default: [],
        errorMessage: 'must be a list of host:port',
      }),
      timeoutMs: positiveInteger(2000),
    }),
    console: section({
      enabled: Type.Boolean({ default: true, errorMessage: 'must be true or false' }),
      sessionTtlSeconds: positiveInteger(28_800),
      secureCookie: Type.Boolean({ default: false, errorMessage: 'must be true or false' }),
      streamIntervalMs: Type.Integer({
        minimum: 100,
        default: 1000,
        errorMessage: 'must be a whole number of milliseconds, 100 or more',
      }),
      maxStreams: positiveInteger(100),
      oidc: section({
        issuer: Type.String({ default: '', errorMessage: 'must be a string' }),
        clientId: Type.String({ default: '', errorMessage: 'must be a string' }),
        clientSecret: Type.String({ default: '', errorMessage: 'must be a string' }),
        redirectUri: Type.String({ default: '', errorMessage: 'must be a string' }),
        usernameClaim: nonEmptyString('preferred_username'),
        groupsClaim: nonEmptyString('groups'),
        roles: Type.Record(
          Type.String({ minLength: 1 }),
          Type.Enum(['viewer', 'operator', 'admin', 'auditor'], {
            errorMessage: 'must be one of viewer, operator, admin, auditor',
          }),
          { default: {}, errorMessage: 'must be an object mapping a group to a role' },
        ),
      }),
    }),
    admission: section({
      enabled: Type.Boolean({ default: true, errorMessage: 'must be true or false' }),
      initialLimit: positiveInteger(10),
      minLimit: positiveInteger(1),
      maxLimit: positiveInteger(50),
      maxQueue: positiveInteger(20000),
      targetLatencyMs: positiveInteger(1000),
      ticketTtlSeconds: positiveInteger(300),
    }),
    restore: section({
      ticketTtlSeconds: positiveInteger(900),
      healthyHoldSeconds: positiveInteger(10),
      tickMs: positiveInteger(1000),
      waitingRetryAfterSeconds: Type.Integer({
        minimum: 1,
        maximum: 3600,
        default: 30,
        errorMessage: 'must be a whole number of seconds from 1 to 3600',
      }),
      healthUrlHosts: Type.Array(Type.String({ minLength: 1, maxLength: 253 }), {
        default: ['127.0.0.1', '::1', 'localhost'],
        uniqueItems: true,
        errorMessage: 'must be a list of distinct hostnames or IP addresses',
      }),
      startupGraceSeconds: Type.Integer({
        minimum: 0,
        maximum: 600,
        default: 15,
        errorMessage: 'must be a whole number of seconds from 0 to 600',
      }),
    }),
    breaker: section({
      minKicks: positiveInteger(50),
      onlinePercent: percent(0.5),
      windowSeconds: positiveInteger(60),
    }),
    incidents: section({
      p0: severityThresholds(10000, 1000, 3),
      p1: severityThresholds(1000, 100, 2),
      p2: severityThresholds(1, 1, 1),
      autoDeclare: Type.Boolean({ default: true, errorMessage: 'must be true or false' }),
      revenuePerPayingPlayerHour: Type.Number({
        minimum: 0,
        default: 0,
        errorMessage: 'must be a number, 0 or more',
      }),
      currency: nonEmptyString('USD'),
      rtoObjectiveSeconds: positiveInteger(3600),
      rpoObjectiveRecords: nonNegativeInteger(0),
      /** A `routing.destinations[]` webhook that receives each compensation grant (empty: none). */
      compensationDestination: Type.String({ default: '', errorMessage: 'must be a destination name' }),
      /** Hours after a P0's resolution before a missing post-mortem raises a reminder signal. */
      postmortemDueHours: positiveInteger(48),
      /** How often the post-mortem reminder and the overdue action items are checked. */
      followUpCheckSeconds: positiveInteger(600),
    }),
    comms: section({
      pageName: nonEmptyString('Lifeline'),
      statusUrl: Type.String({ maxLength: 2048, default: '', errorMessage: 'must be a URL or empty' }),
      minSeverity: oneOf(['P0', 'P1', 'P2', 'P3'], 'P1'),
      inGame: Type.Boolean({ default: true, errorMessage: 'must be true or false' }),
      noticeIntervalSeconds: nonNegativeInteger(60),
      updateIntervalMinutes: positiveInteger(30),
      historyDays: positiveInteger(7),
      statusCacheSeconds: nonNegativeInteger(10),
      templates: section({
        announcement: template(defaultTemplates.announcement),
        update: template(defaultTemplates.update),
        allClear: template(defaultTemplates.allClear),
      }),
    }),
    log: section({ level: oneOf(logLevels, 'info') }),
    tokens: section({
      issuer: nonEmptyString('lifeline'),
      audience: nonEmptyString('game'),
      accessTtlSeconds: positiveInteger(600),
      refreshTtlSeconds: positiveInteger(604800),
      refreshReuseGraceSeconds: nonNegativeInteger(0),
      resumeTtlSeconds: positiveInteger(3600),
      endedGrantRetentionSeconds: positiveInteger(86400),
      grantPurgeIntervalSeconds: positiveInteger(600),
      algorithm: oneOf(tokenAlgorithms, 'EdDSA'),
      signingWorkers: Type.Integer({
        minimum: 0,
        maximum: 64,
        default: 1,
        errorMessage: 'must be an integer from 0 to 64',
      }),
    }),
    session: section({
      heartbeatIntervalSeconds: positiveInteger(15),
      heartbeatTimeoutSeconds: positiveInteger(45),
      idleTimeoutSeconds: positiveInteger(900),
      maxPerPlayer: positiveInteger(5),
      whenFull: oneOf(sessionLimitPolicies, 'replace-oldest'),
      maxMessageBytes: positiveInteger(4096),
      messageRate: section({ perSecond: positiveInteger(10), burst: positiveInteger(50) }),
      maxBufferedBytes: positiveInteger(16384),
    }),
    identity: section({
      provider: oneOf(identityProviders, 'dev'),
      http: section({
        url: Type.String({ default: '', errorMessage: 'must be a string' }),
        timeoutMs: positiveInteger(2000),
      }),
      oidc: section({
        issuer: Type.String({ default: '', errorMessage: 'must be a string' }),
        audience: Type.String({ default: '', errorMessage: 'must be a string' }),
        jwksUrl: Type.String({ default: '', errorMessage: 'must be a string' }),
        playerClaim: nonEmptyString('sub'),
        clockToleranceSeconds: nonNegativeInteger(30),
        jwksCooldownSeconds: positiveInteger(30),
      }),
    }),
    entitlements: section({
      source: oneOf(['static', 'http'], 'static'),
      http: section({
        url: Type.String({ default: '', errorMessage: 'must be a string' }),
        timeoutMs: positiveInteger(1500),
        lkgMaxAgeSeconds: positiveInteger(2_592_000),
        failOpen: Type.Boolean({ default: false, errorMessage: 'must be true or false' }),
        breakerFailures: positiveInteger(5),
        halfOpenAfterMs: positiveInteger(5000),
        halfOpenCalls: positiveInteger(5),
        reverifyPerSecond: positiveInteger(20),
      }),
      defaultLicence: nonEmptyString('standard'),
      licences: Type.Record(
        Type.String({ minLength: 1 }),
        Type.String({ minLength: 1, errorMessage: 'must be a non-empty licence name' }),
        { default: {}, errorMessage: 'must be an object mapping playerId to licence' },
      ),
      file: Type.Optional(Type.String({ minLength: 1, errorMessage: 'must be a non-empty path' })),
    }),
    topology: section({
      regions: Type.Record(Type.String({ pattern: topologyNamePattern }), regionSchema, {
        additionalProperties: false,
        minProperties: 1,
        default: { na: defaultRegion('na'), eu: defaultRegion('eu'), ap: defaultRegion('ap') },
        errorMessage: 'must be an object with at least one region',
        keyMessage: `region name ${topologyNameRule}`,
      }),
    }),
    store: section({
      kind: oneOf(['sqlite', 'postgres'], 'sqlite'),
      sqlite: section({ file: nonEmptyString('lifeline.db') }),
      postgres: section({
        url: Type.String({ default: '', errorMessage: 'must be a postgres:// URL' }),
        schema: Type.String({
          pattern: '^[A-Za-z_][A-Za-z0-9_]{0,62}$',
          default: 'lifeline',
          errorMessage: 'must be 1-63 characters of A-Z, a-z, 0-9 and "_", not starting with a digit',
        }),
        poolSize: positiveInteger(10),
      }),
    }),
    live: section({
      kind: oneOf(['memory', 'redis'], 'memory'),
      redis: section({
        url: Type.String({ default: '', errorMessage: 'must be a redis:// or rediss:// URL' }),
        prefix: Type.String({
          pattern: '^[A-Za-z0-9._:-]{0,64}$',
          default: 'lifeline:',
          errorMessage: 'must be up to 64 characters of A-Z, a-z, 0-9, ".", "_", ":" and "-" (no braces)',
        }),
      }),
      presenceTtlSeconds: Type.Integer({
        minimum: 2,
        default: 15,
        errorMessage: 'must be a whole number of seconds, 2 or more',
      }),
    }),
    metrics: section({
      eventLoopResolutionMs: positiveInteger(20),
      token: Type.String({
        pattern: '^(.{16,})?$',
        default: '',
        errorMessage:
          'must be empty (metrics only on the admin listener) or a secret of at least 16 characters',
      }),
    }),
    secrets: section({
      keyFile: Type.String({ default: '', errorMessage: 'must be a path, or empty for <dataDir>.kek' }),
      key: Type.String({ default: '', errorMessage: 'must be base64 of 32 bytes, or empty to use keyFile' }),
    }),
    routing: section({
      destinations: Type.Array(destinationSchema, {
        default: [],
        maxItems: 32,
        errorMessage: 'must be a list of at most 32 destinations',
      }),
      groupWaitSeconds: nonNegativeInteger(30),
      groupIntervalSeconds: positiveInteger(300),
      repeatIntervalSeconds: positiveInteger(14400),
      quietSeconds: nonNegativeInteger(300),
      tickMs: positiveInteger(1000),
      timeoutMs: positiveInteger(10000),
      maxBackoffSeconds: positiveInteger(300),
      retentionSeconds: positiveInteger(604800),
    }),
    siem: section({
      sink: oneOf(siemSinks, 'off'),
      file: section({
        path: Type.String({
          default: '',
          errorMessage: 'must be a path, or empty for <dataDir>.siem/audit.jsonl',
        }),
        maxBytes: positiveInteger(104857600),
        keep: positiveInteger(5),
      }),
      syslog: section({
        host: Type.String({ default: '', errorMessage: 'must be a hostname or IP address' }),
        port: port(514),
        transport: oneOf(['udp', 'tcp'], 'udp'),
        appName: nonEmptyString('lifeline'),
      }),
      intervalSeconds: positiveInteger(5),
      batch: positiveInteger(500),
    }),
    audit: section({
      checkpointIntervalSeconds: positiveInteger(60),
      witnessIntervalSeconds: positiveInteger(5),
      anchor: section({
        dir: Type.String({ default: '', errorMessage: 'must be a path, or empty for <dataDir>.anchor' }),
        url: Type.String({ default: '', errorMessage: 'must be an http:// or https:// URL, or empty' }),
        shared: Type.Boolean({ default: true, errorMessage: 'must be true or false' }),
        adoptExisting: Type.Boolean({ default: false, errorMessage: 'must be true or false' }),
      }),
    }),
  },
  { additionalProperties: false, errorMessage: 'must be an object' },
);

type DeepReadonly<T> = T extends readonly (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** Every value partly optional, for `loadConfig`'s `overrides`. Arrays are given whole. */
export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/**
 * Lifeline's validated configuration, deep-frozen. From `loadConfig`, `dataDir` and
 * `entitlements.file` are absolute paths.
 */
export type Config = DeepReadonly<Static<typeof configSchema>>;
/** The regions Lifeline serves: region name to its shards and zones. */
export type Topology = Config['topology'];
/** One region's shards (at least one) and zones (possibly none). */
export type RegionTopology = Topology['regions'][string];
/** The HTTP listener settings of the player plane. */
export type PlayerListenerConfig = Config['player'];
/** The HTTP listener settings of the admin plane. */
export type AdminListenerConfig = Config['admin'];
/** The web console: sessions, its stream and operator SSO. */
export type ConsoleConfig = Config['console'];
/** Token issuing settings. */
export type TokensConfig = Config['tokens'];
/** Session liveness settings. */
export type SessionConfig = Config['session'];
/** Identity provider settings. */
export type IdentityConfig = Config['identity'];
/** Entitlement (licence) settings. */
export type EntitlementsConfig = Config['entitlements'];
/** Record store adapter settings. */
export type StoreConfig = Config['store'];
/** Detectors, signal intake and player reports (issue 15). */
export type DetectionConfig = Config['detection'];
/** Live state and bus adapter settings. */
export type LiveConfig = Config['live'];
/** Where signals are sent, and the grouping timers. */
export type RoutingConfig = Config['routing'];
/** One notification destination. */
export type DestinationConfig = RoutingConfig['destinations'][number];
/** The audit stream's export to a SIEM. */
export type SiemConfig = Config['siem'];

export type IncidentsConfig = Config['incidents'];
/** Communication about incidents: templates, the status page, in-game notices. */
export type CommsConfig = Config['comms'];

/**
 * Keys whose value, when given by a file, env or overrides, replaces the default whole instead of
 * merging into it: a map of regions or licences is a list of facts, and a merge would keep
 * default entries (the sample regions) that the operator meant to drop.
 */
export const replacedKeys: ReadonlySet<string> = new Set(['topology.regions', 'entitlements.licences']);
