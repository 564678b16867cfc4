import type { Directive } from './directive.ts';
import { closeCodes, type ServerMessage } from './protocol.ts';

/**
 * Every way the hub ends a socket: a directive from the bus, or something the hub found itself
 * (silence, a flood, a slow reader, a newer socket, shutdown).
 */
export type Ending =
  | Directive
  | {
      kind:
        | 'session-ended'
        | 'replaced'
        | 'moved'
        | 'heartbeat-timeout'
        | 'rate-limited'
        | 'slow-consumer'
        | 'going-away';
    };

/** What the client is told: the last message (if any), then the close frame. */
export interface Farewell {
  code: number;
  /** The close frame's reason text (at most 123 bytes by RFC 6455). */
  reason: string;
  message?: ServerMessage;
}

/** Mints the resume token a kicked client rejoins with. */
export type MintResume = (disruptionId: string) => string;

type Table = { [K in Ending['kind']]: (e: Extract<Ending, { kind: K }>, mint: MintResume) => Farewell };

const named = (code: number): string =>
  Object.entries(closeCodes).find(([, c]) => c === code)?.[0] ?? 'closed';

const bare = (code: number) => (): Farewell => ({ code, reason: named(code) });

const withMessage = (code: number, message: ServerMessage) => (): Farewell => ({
  code,
  reason: named(code),
  message,
});

/** The one table of close codes and last messages; docs/API.md lists the same for client authors. */
const farewells: Table = {
  kicked: (e, mint) => ({
    code: closeCodes.kicked,
    reason: named(closeCodes.kicked),
    message: { type: 'kicked', reason: e.reason, commandId: e.commandId, resumeToken: mint(e.disruptionId) },
  }),
  revoked: (e) => ({
    code: closeCodes.revoked,
    reason: named(closeCodes.revoked),
    message: { type: 'revoked', reason: e.reason },
  }),
  // Not a disruption: the player chose a newer session, so there is no resume token.
  superseded: withMessage(closeCodes.superseded, { type: 'revoked', reason: 'session-limit' }),
  'session-ended': withMessage(closeCodes.revoked, { type: 'revoked', reason: 'session-ended' }),
  replaced: withMessage(closeCodes.replaced, { type: 'notice', message: 'replaced by a newer connection' }),
  moved: withMessage(closeCodes.replaced, { type: 'notice', message: 'held by another node' }),
  'heartbeat-timeout': bare(closeCodes.heartbeatTimeout),
  'rate-limited': bare(closeCodes.rateLimited),
  'slow-consumer': bare(closeCodes.slowConsumer),
  'going-away': () => ({ code: closeCodes.goingAway, reason: 'server shutting down' }),
};

/**
 * The farewell for an ending; undefined for a kind this node does not know (a directive from a
 * node of another version reaches it over the bus), which the hub then ignores.
 */
export function farewellFor(ending: Ending, mint: MintResume): Farewell | undefined {
  // Own keys only: a bus message naming `toString` must not reach Object.prototype.
  if (!Object.hasOwn(farewells, ending.kind)) return undefined;
  return (farewells[ending.kind] as (e: Ending, mint: MintResume) => Farewell)(ending, mint);
}
