/** Sessions: login, refresh, the control WebSocket hub, and the topology they live in. */
export type { Directive, Kicked, RevokeReason, Revoked, Superseded } from './directive.ts';
export { SocketHub, type SocketHubDeps } from './hub.ts';
export { type LimitedRoute, PlayerLimits, type PlayerLimitsDeps, type RouteBuckets } from './limits.ts';
export { Presence, type PresenceDeps } from './presence.ts';
export { closeCodes, type ServerMessage } from './protocol.ts';
export { type LoginInput, SessionService, type SessionServiceDeps, type SessionTokens } from './service.ts';
export { checkPlacement, shardRegions, type Topology } from './topology.ts';
