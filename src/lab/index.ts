/**
 * The lab: simulated upstreams with injectable faults, one implementation shared by drills,
 * benches and tests. Each upstream is a real node:http server on loopback (port 0 by default)
 * with `url`, `controlUrl`, `faults`, `stats` and `close()`:
 *
 * - `identityUpstream`: the `http` verifier (src/identity/http.ts's contract);
 * - `oidcIssuer`: an OIDC issuer with a JWKS endpoint that mints ID tokens (src/identity/oidc.ts);
 * - `entitlementsUpstream`: GET /<playerId> → {licence} / 404 (src/entitlements/http.ts);
 * - `gameBackend`: the restore's downstream, with a capacity of its own and a health URL.
 *
 * Faults follow Toxiproxy's toxics (docs/LAB.md): down, error, latency, timeout, reset,
 * rate-limited, capacity, recover; switched from code (`upstream.faults.set(...)`) or over the
 * control API (`PUT /_lab/faults`, `GET /_lab/stats`). Stats are measured, never configured.
 * `process.ts` runs one upstream in a process of its own for benches.
 *
 * DNS (`dns/`): `DnsLab`, a parent zone delegating each upstream's hostname to a child server and a
 * caching resolver Lifeline points `dns.servers` at, with `unresolvable` and `delegation-removed`
 * faults (seed 001).
 *
 * Not here yet: the fleet of virtual players, scenario files and drills (issue 14, later steps).
 */
export { type Capacity, capacityFor, Semaphore, TimedSlots } from './capacity.ts';
export { type LabClock, realClock, VirtualClock } from './clock.ts';
export { type DnsFault, DnsLab, type DnsLabOptions } from './dns/index.ts';
export { type EntitlementsOptions, type EntitlementsUpstream, entitlementsUpstream } from './entitlements.ts';
export {
  type ActiveFault,
  type Fault,
  type FaultKind,
  FaultSet,
  faultKinds,
  parseFault,
  parseFaults,
} from './faults.ts';
export { type GameBackend, type GameOptions, gameBackend } from './game.ts';
export { type IdentityOptions, identityUpstream } from './identity.ts';
export { type MintClaims, type OidcIssuer, type OidcOptions, oidcIssuer } from './oidc.ts';
export { seededRandom } from './random.ts';
export type { LabSecond, LabStats, LabStatsSnapshot } from './stats.ts';
export {
  type LabAnswer,
  type LabHandler,
  type LabRequest,
  Upstream,
  type UpstreamOptions,
} from './upstream.ts';
