import { Type } from 'typebox';

/** Ids and names that travel in requests: bounded, printable, no surprises. */
export const PlayerId = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:@-]+$' });
export const Name = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9-]*$' });
export const TokenString = Type.String({ minLength: 1, maxLength: 4096 });

export const LoginBody = Type.Object(
  {
    playerId: Type.Optional(PlayerId),
    idToken: Type.Optional(TokenString),
    region: Name,
    shard: Name,
    zone: Type.Optional(Name),
    clientVersion: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);

export const RefreshBody = Type.Object({ refreshToken: TokenString }, { additionalProperties: false });

export const SessionTokens = Type.Object({
  sessionId: Type.String(),
  accessToken: Type.String(),
  refreshToken: Type.String(),
  expiresIn: Type.Integer(),
});

export const KickSelector = Type.Object(
  {
    playerId: Type.Optional(PlayerId),
    sessionId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);

export const CommandBody = Type.Object(
  {
    action: Type.Literal('kick'),
    selector: KickSelector,
    reason: Type.String({ minLength: 3, maxLength: 500 }),
  },
  { additionalProperties: false },
);

export const SessionsQuery = Type.Object(
  {
    region: Type.Optional(Name),
    shard: Type.Optional(Name),
    zone: Type.Optional(Name),
    playerId: Type.Optional(PlayerId),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$' })),
  },
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
  },
  { additionalProperties: false },
);

export const DisruptionsQuery = Type.Object(
  {
    commandId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    playerId: Type.Optional(PlayerId),
    from: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    to: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,5}$' })),
  },
  { additionalProperties: false },
);

export const OperatorBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    role: Type.Union([
      Type.Literal('viewer'),
      Type.Literal('operator'),
      Type.Literal('admin'),
      Type.Literal('auditor'),
    ]),
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
