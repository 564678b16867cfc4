/**
 * The shape of a scenario file: one TypeBox schema, strict (unknown keys refused, nothing
 * coerced). docs/SCENARIOS.md documents the same fields. Rules that span fields (times inside the
 * scenario, ids that exist) live in rules.ts.
 */
import { type Static, type TSchema, Type } from 'typebox';
import { actionSchema, type selectorSchema } from './actions.ts';
import {
  count,
  name,
  oneOf,
  positiveInteger,
  positiveNumber,
  seconds,
  share,
  strict,
  tagged,
  text,
} from './fields.ts';
import { faultSchema } from './faults.ts';
import { clientModes, nameRule, namePattern, nodeKinds, seedPattern } from './kinds.ts';

/** A map keyed by region name; a key that breaks the name rule is refused with `keyMessage`. */
function byName<S extends TSchema>(value: S, minProperties = 0) {
  return Type.Record(Type.String({ pattern: namePattern }), value, {
    additionalProperties: false,
    minProperties,
    errorMessage: `must be an object keyed by region name${minProperties > 0 ? ', with at least one region' : ''}`,
    keyMessage: `region name ${nameRule}`,
  });
}

/** One optional entry per upstream: a key that names no upstream is refused. */
function perUpstream<S extends TSchema>(value: S) {
  return strict({
    identity: Type.Optional(value),
    oidc: Type.Optional(value),
    entitlements: Type.Optional(value),
    backend: Type.Optional(value),
  });
}

/** How players arrive: a day's curve, or everyone within a few seconds (a storm). */
const arrivalSchema = tagged('curve', [
  strict({
    curve: Type.Literal('diurnal'),
    /** The share of `count` online at the quietest and the busiest moment. */
    troughShare: share(),
    peakShare: share(),
    /** A "day" on the scenario clock, and when in it the peak falls. */
    periodSeconds: positiveNumber(),
    peakAtSeconds: seconds(),
    /** Players come online over this long from 0, instead of the curve's share all at once. */
    rampSeconds: Type.Optional(positiveNumber()),
  }),
  strict({ curve: Type.Literal('storm'), at: seconds(), overSeconds: positiveNumber() }),
]);

const playersSchema = strict({
  count: positiveInteger(10_000_000),
  /** Relative weights per region; left out, players spread evenly (and evenly over each region's shards). */
  regionWeights: Type.Optional(byName(positiveNumber())),
  arrival: arrivalSchema,
  /** Seconds a player waits between actions, drawn uniformly from min to max. */
  thinkSeconds: strict({ min: seconds(), max: seconds() }),
  client: oneOf(clientModes),
  /** The share of players who own the game (the rest are rightly refused by entitlements). */
  ownerShare: Type.Optional(share()),
});

const regionSchema = strict({
  shards: Type.Array(name(), { minItems: 1, maxItems: 256, errorMessage: 'must list 1-256 shard names' }),
});

const nodeEventSchema = strict({
  at: seconds(),
  /** `node-1` … `node-<count>`. */
  node: Type.String({ pattern: '^node-[1-9][0-9]{0,2}$', errorMessage: 'must be node-<n>' }),
  action: oneOf(['kill', 'restart'] as const),
});

const nodesSchema = strict({
  count: positiveInteger(64),
  kind: oneOf(nodeKinds),
  events: Type.Optional(Type.Array(nodeEventSchema, { maxItems: 1000 })),
});

/** An upstream's normal behaviour: what it can take, and how slow it is when healthy. */
const upstreamSchema = strict({
  capacityPerSecond: Type.Optional(positiveNumber()),
  latencyMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 60_000, errorMessage: 'must be 0-60000 ms' })),
});

export const objectivesSchema = strict({
  /** From a fault's onset to the last affected player back in. */
  rtoSeconds: Type.Optional(seconds()),
  /** Disruption records not in a final state at the end, and acknowledged writes lost. */
  rpo: Type.Optional(strict({ maxUnsettled: count(), maxLostWrites: count() })),
  maxSessionsLost: Type.Optional(count()),
  maxOwnersDenied: Type.Optional(count()),
  /** Peak load over capacity, per upstream; each named upstream must declare capacityPerSecond. */
  maxUpstreamLoadRatio: Type.Optional(perUpstream(positiveNumber())),
  /** Sessions a kick ended before the kick breaker opened. */
  maxKickedBeforeTrip: Type.Optional(count()),
  maxTimeToDetectSeconds: Type.Optional(seconds()),
  /** A login storm: from the first login asked to the last answered, over N/C (C: identity's capacity). */
  maxAllInRatio: Type.Optional(positiveNumber()),
  /** A login storm: the first quoted ETA's error at the 90th percentile, as a fraction (0.2 is 20%). */
  maxFirstEtaErrorP90: Type.Optional(positiveNumber()),
});

export const scenarioSchema = strict({
  name: name(),
  description: text(2000),
  /** The seed document the scenario replays: `000` for seeds/000_….txt. */
  seed: Type.String({ pattern: seedPattern, errorMessage: 'must be a three-digit seed number, e.g. "001"' }),
  durationSeconds: positiveInteger(7 * 24 * 3600),
  /** Scenario seconds per wall-clock second; `--time-scale` overrides it. @defaultValue 1 */
  timeScale: Type.Optional(positiveNumber()),
  topology: strict({ regions: byName(regionSchema, 1) }),
  players: playersSchema,
  nodes: nodesSchema,
  upstreams: Type.Optional(perUpstream(upstreamSchema)),
  faults: Type.Array(faultSchema, { maxItems: 10_000 }),
  actions: Type.Array(actionSchema, { maxItems: 10_000 }),
  objectives: objectivesSchema,
});

/** A scenario as read from its file. */
export type ScenarioFile = Static<typeof scenarioSchema>;
/** A validated scenario, with its defaults filled in. */
export type Scenario = ScenarioFile & { timeScale: number };
export type Fault = Static<typeof faultSchema>;
export type Action = Static<typeof actionSchema>;
export type Selector = Static<typeof selectorSchema>;
