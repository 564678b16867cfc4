/**
 * The words a scenario file uses, as `as const` lists: the upstreams a fault can hit, the fault
 * kinds (Toxiproxy's toxics plus what an HTTP upstream and DNS add), node and client modes.
 */

/** The upstreams the lab simulates; `oidc` is the issuer and its JWKS, `identity` the http verifier. */
export const faultTargets = ['identity', 'oidc', 'entitlements', 'backend'] as const;
export type FaultTarget = (typeof faultTargets)[number];

/** What can go wrong with an upstream, in Toxiproxy's vocabulary where it has a word. */
export const faultKinds = [
  'down',
  'error',
  'latency',
  'timeout',
  'reset',
  'rate-limited',
  'capacity',
  'dns',
] as const;
export type FaultKind = (typeof faultKinds)[number];

/** `unresolvable`: the host stops resolving; `delegation-removed`: its NS delegation is gone (seed 001). */
export const dnsModes = ['unresolvable', 'delegation-removed'] as const;

/** The two deployments Lifeline supports: one node on SQLite, or several sharing PostgreSQL and Redis. */
export const nodeKinds = ['sqlite+memory', 'postgres+redis'] as const;
export type NodeKind = (typeof nodeKinds)[number];

/** `sdk`: Lifeline's client (jitter, Retry-After, queue tickets); `naive`: immediate retries, the seed's clients. */
export const clientModes = ['sdk', 'naive'] as const;
export type ClientMode = (typeof clientModes)[number];

/** What an operator does on the timeline. */
export const actionKinds = [
  'kick',
  'runaway-kick',
  'restore',
  'flag',
  'declare-outage',
  'end-outage',
  'pause-restore',
  'resume-restore',
  'incident',
] as const;
export type ActionKind = (typeof actionKinds)[number];

/** The statuses an `incident` action may move the running incident to (docs/INCIDENTS.md, Statuses). */
export const incidentStatuses = ['investigating', 'identified', 'monitoring', 'resolved'] as const;

/** The seed documents a scenario may replay (the file names' prefixes in the seeds folder). */
export const seedPattern = '^[0-9]{3}$';

/** Names of scenarios, regions, shards, action and fault ids: the config's topology-name rule. */
export const namePattern = '^[a-z0-9][a-z0-9-]{0,31}$';
export const nameRule = 'must be 1-32 characters of a-z, 0-9 and "-", starting with a letter or digit';
