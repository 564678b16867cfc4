/** Request shapes of the incident routes (src/http/admin/incidents.ts). */
import { Type } from 'typebox';
import { noControlPattern, Reason } from '../schemas.ts';

const Title = Type.String({ minLength: 3, maxLength: 200, pattern: noControlPattern });
const NoteText = Type.String({ minLength: 1, maxLength: 4000, pattern: noControlPattern });
const OperatorName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._@-]+$' });
const Count = Type.Integer({ minimum: 0, maximum: 1_000_000_000 });
/** Epoch milliseconds, or an ISO 8601 time. */
export const Time = Type.Union([
  Type.Integer({ minimum: 0, maximum: 8.64e15 }),
  Type.String({ minLength: 1, maxLength: 40, pattern: noControlPattern }),
]);
const Severity = Type.Union([Type.Literal('P0'), Type.Literal('P1'), Type.Literal('P2'), Type.Literal('P3')]);
const Status = Type.Union(
  ['investigating', 'identified', 'monitoring', 'resolved', 'post-incident', 'closed'].map((s) =>
    Type.Literal(s),
  ),
);
const Role = Type.Union([Type.Literal('commander'), Type.Literal('comms'), Type.Literal('scribe')]);
const Key = Type.String({ minLength: 1, maxLength: 32, pattern: '^[a-z][a-z0-9-]*$' });
const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9-]+$' });

export const DeclareBody = Type.Object(
  {
    title: Title,
    severity: Type.Optional(Severity),
    impact: Type.Optional(
      Type.Object(
        { players: Type.Optional(Count), payingPlayers: Type.Optional(Count), regions: Type.Optional(Count) },
        { additionalProperties: false },
      ),
    ),
    startedAt: Type.Optional(Time),
    detectedAt: Type.Optional(Time),
    roles: Type.Optional(
      Type.Object(
        {
          commander: Type.Optional(OperatorName),
          comms: Type.Optional(OperatorName),
          scribe: Type.Optional(OperatorName),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const IncidentsQuery = Type.Object(
  {
    status: Type.Optional(Type.String({ maxLength: 200, pattern: '^[a-z-]+(,[a-z-]+)*$' })),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$' })),
  },
  { additionalProperties: false },
);

export const IncidentParam = Type.Object({ id: Id }, { additionalProperties: false });
export const NoteParam = Type.Object({ id: Id, noteId: Id }, { additionalProperties: false });
export const ChecklistParam = Type.Object({ id: Id, phase: Key, item: Key }, { additionalProperties: false });

export const StatusBody = Type.Object(
  { status: Status, reason: Type.Optional(Reason) },
  { additionalProperties: false },
);
export const RoleBody = Type.Object({ role: Role, operator: OperatorName }, { additionalProperties: false });
export const NoteBody = Type.Object(
  { text: NoteText, at: Type.Optional(Time) },
  { additionalProperties: false },
);
export const NoteCorrectionBody = Type.Object({ at: Time, reason: Reason }, { additionalProperties: false });
export const ChecklistBody = Type.Object({ done: Type.Boolean() }, { additionalProperties: false });
