import { Type } from 'typebox';

/** Ids and names that travel in requests: bounded, printable, no surprises. */
export const PlayerId = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:@-]+$' });
export const Name = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9-]*$' });
export const TokenString = Type.String({ minLength: 1, maxLength: 4096 });
/**
 * Free text a person typed (reasons, client versions): no C0 or C1 control characters and no DEL,
 * which would forge lines in logs and the audit trail or garble a console. The error handler turns
 * a miss into "<field> must not contain control characters".
 */
export const noControlPattern = '^[^\\u0000-\\u001F\\u007F-\\u009F]*$';
/** A reason for an audited action: 3 to 500 characters of text without control characters. */
export const Reason = Type.String({ minLength: 3, maxLength: 500, pattern: noControlPattern });

export const LoginBody = Type.Object(
  {
    playerId: Type.Optional(PlayerId),
    idToken: Type.Optional(TokenString),
    region: Name,
    shard: Name,
    zone: Type.Optional(Name),
    clientVersion: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: noControlPattern })),
  },
  { additionalProperties: false },
);

/**
 * `retryKey`: the client's random key for this refresh token, the same on every retry of it, so
 * that a retry of a refresh whose answer was lost gets the current tokens instead of revoking the
 * session as a reused token (docs/API.md, "Refresh").
 */
export const RefreshBody = Type.Object(
  {
    refreshToken: TokenString,
    retryKey: Type.Optional(Type.String({ minLength: 16, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' })),
  },
  { additionalProperties: false },
);

export const SessionTokens = Type.Object({
  sessionId: Type.String(),
  accessToken: Type.String(),
  refreshToken: Type.String(),
  expiresIn: Type.Integer(),
});

const Version = Type.String({ minLength: 1, maxLength: 32, pattern: '^[0-9A-Za-z.+-]+$' });

export const KickSelector = Type.Object(
  {
    all: Type.Optional(Type.Boolean()),
    region: Type.Optional(Name),
    shard: Type.Optional(Name),
    zone: Type.Optional(Name),
    playerId: Type.Optional(PlayerId),
    sessionId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    playerIds: Type.Optional(Type.Array(PlayerId, { minItems: 1, maxItems: 10_000, uniqueItems: true })),
    licence: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
        minItems: 1,
        maxItems: 32,
        uniqueItems: true,
      }),
    ),
    clientVersion: Type.Optional(
      Type.Object(
        { min: Type.Optional(Version), max: Type.Optional(Version) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const Totp = Type.String({ minLength: 1, maxLength: 16 });

export const CommandBody = Type.Object(
  {
    action: Type.Literal('kick'),
    selector: KickSelector,
    reason: Reason,
    dryRun: Type.Optional(Type.Boolean()),
    totp: Type.Optional(Totp),
    maxSessions: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

export const ApproveBody = Type.Object({ totp: Totp }, { additionalProperties: false });
export const HaltBody = Type.Object({ reason: Reason }, { additionalProperties: false });
export const BreakerResetBody = Type.Object({ totp: Totp, reason: Reason }, { additionalProperties: false });
export const FlagBody = Type.Object(
  {
    value: Type.Union([Type.Boolean(), Type.String({ maxLength: 1000 }), Type.Number({ minimum: 0 })]),
    reason: Reason,
    /** Switched back by Lifeline if a P0/P1 signal starts within `detection.rollback.watchSeconds`. */
    autoRevert: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export const FlagParam = Type.Object(
  { key: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);

export const SessionsQuery = Type.Object(
  {
    region: Type.Optional(Name),
    shard: Type.Optional(Name),
    zone: Type.Optional(Name),
    playerId: Type.Optional(PlayerId),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$' })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 400, pattern: '^[A-Za-z0-9_-]+$' })),
  },
  { additionalProperties: false },
);

/** A list's cursor as it travels (see src/http/cursor.ts): base64url, bounded. */
export const Cursor = Type.String({ minLength: 1, maxLength: 400, pattern: '^[A-Za-z0-9_-]+$' });
const QueryTime = Type.String({ minLength: 1, maxLength: 40 });
const Limit = Type.String({ pattern: '^[0-9]{1,5}$' });
/** A comma-separated list of states (checked against the resource's own states by its route). */
const States = Type.String({ minLength: 1, maxLength: 200, pattern: '^[a-z-]+(,[a-z-]+)*$' });

export const CommandsQuery = Type.Object(
  {
    state: Type.Optional(States),
    pending: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
    actor: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    since: Type.Optional(QueryTime),
    until: Type.Optional(QueryTime),
    limit: Type.Optional(Limit),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const RestoresQuery = Type.Object(
  { state: Type.Optional(States), limit: Type.Optional(Limit), cursor: Type.Optional(Cursor) },
  { additionalProperties: false },
);

export const AuditQuery = Type.Object(
  {
    from: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    to: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    action: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    actor: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    afterSeq: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$' })),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const DisruptionsQuery = Type.Object(
  {
    commandId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    restoreId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    region: Type.Optional(Name),
    shard: Type.Optional(Name),
    zone: Type.Optional(Name),
    outcome: Type.Optional(
      Type.Union(['pending', 'ticketed', 'restored', 'expired', 'refused'].map((o) => Type.Literal(o))),
    ),
    playerId: Type.Optional(PlayerId),
    from: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    to: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$' })),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

const RoleName = Type.Union([
  Type.Literal('viewer'),
  Type.Literal('operator'),
  Type.Literal('admin'),
  Type.Literal('auditor'),
]);

/** A request to create an operator: the requester's TOTP; a second admin approves. */
export const OperatorBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    role: RoleName,
    totp: Type.Optional(Totp),
    reason: Type.Optional(Type.String({ minLength: 3, maxLength: 500 })),
  },
  { additionalProperties: false },
);

/** A request to change an operator's role: the requester's TOTP; a second admin approves. */
export const OperatorRoleBody = Type.Object(
  {
    role: RoleName,
    totp: Type.Optional(Totp),
    reason: Type.Optional(Type.String({ minLength: 3, maxLength: 500 })),
  },
  { additionalProperties: false },
);

/**
 * The new operator's one-time enrolment: the approver's part (`token`) and the requester's part.
 * The requester's part is optional here so that a missing one gets the same ENROLMENT_INVALID as
 * a wrong one.
 */
export const EnrolBody = Type.Object(
  {
    token: Type.String({ minLength: 1, maxLength: 200 }),
    requesterPart: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);

export const IdParam = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);
export const NameParam = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);

export const RejoinBody = Type.Object({ resumeToken: TokenString }, { additionalProperties: false });

const Time = Type.Union([Type.Integer({ minimum: 0 }), Type.String({ minLength: 1, maxLength: 40 })]);

export const RestoreSourceSchema = {
  commandId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  from: Type.Optional(Time),
  to: Type.Optional(Time),
  selector: Type.Optional(
    Type.Object(
      { region: Type.Optional(Name), shard: Type.Optional(Name), zone: Type.Optional(Name) },
      { additionalProperties: false, minProperties: 1 },
    ),
  ),
};

/** A restore's pacing: the seed playbook's fixed batches, or adaptive under a ceiling. */
const PacingSchema = Type.Union([
  Type.Object(
    {
      mode: Type.Literal('fixed'),
      batchSize: Type.Integer({ minimum: 1, maximum: 100_000 }),
      intervalMs: Type.Integer({ minimum: 10, maximum: 3_600_000 }),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      mode: Type.Literal('adaptive'),
      maxRate: Type.Number({ exclusiveMinimum: 0, maximum: 1_000_000 }),
    },
    { additionalProperties: false },
  ),
]);

export const RestoreBody = Type.Object(
  {
    ...RestoreSourceSchema,
    dryRun: Type.Optional(Type.Boolean()),
    totp: Type.Optional(Type.String({ minLength: 1, maxLength: 16 })),
    pacing: Type.Optional(PacingSchema),
    thresholds: Type.Optional(
      Type.Object(
        {
          cpuPercent: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
          connections: Type.Optional(Type.Integer({ minimum: 1 })),
          errorRate: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
          p99LatencyMs: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
          eventLoopDelayMs: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
          downstreamP99Ms: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
          healthUrl: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, pattern: '^https?://' })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const ReasonBody = Type.Object({ reason: Reason }, { additionalProperties: false });

export const PaceBody = Type.Object(
  { pacing: PacingSchema, reason: Reason },
  { additionalProperties: false },
);

/** A ban's end, from now: a minute to 3650 days (the ban service checks the same bounds). */
const BanDuration = Type.Integer({ minimum: 60, maximum: 3650 * 86_400 });

export const BanBody = Type.Object(
  { playerId: PlayerId, reason: Reason, durationSeconds: Type.Optional(BanDuration) },
  { additionalProperties: false },
);

/**
 * A ban list. The entries' ids and reasons are only bounded here: the ban service checks each
 * and names the first bad one (`entries[i]`), which a CLI maps back to its file's line.
 */
export const BanListBody = Type.Object(
  {
    entries: Type.Array(
      Type.Object(
        {
          playerId: Type.String({ maxLength: 256 }),
          reason: Type.Optional(Type.String({ maxLength: 1000 })),
        },
        { additionalProperties: false },
      ),
      { maxItems: 10_000 },
    ),
    reason: Type.Optional(Reason),
    durationSeconds: Type.Optional(BanDuration),
    totp: Type.Optional(Type.String({ minLength: 1, maxLength: 16 })),
  },
  { additionalProperties: false },
);
export const PlayerParam = Type.Object({ playerId: PlayerId }, { additionalProperties: false });
export const BansQuery = Type.Object(
  {
    playerId: Type.Optional(PlayerId),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$' })),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

export const PollBody = Type.Object(
  { ticket: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);
