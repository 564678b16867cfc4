/**
 * Upstream faults on the scenario clock: each hits one upstream from `at` until `until` (or the
 * end of the scenario), in the lab's vocabulary (Toxiproxy's toxics, plus what HTTP and DNS add).
 */
import { type TSchema, Type } from 'typebox';
import { name, oneOf, positiveInteger, positiveNumber, seconds, share, strict, tagged } from './fields.ts';
import { dnsModes, faultTargets } from './kinds.ts';

function fault<const K extends string, P extends Record<string, TSchema>>(kind: K, properties: P) {
  return strict({
    kind: Type.Literal(kind),
    /** Optional name, so a report (and an operator action's reason) can point at it. */
    id: Type.Optional(name()),
    target: oneOf(faultTargets),
    at: seconds(),
    until: Type.Optional(seconds()),
    ...properties,
  });
}

const httpStatus = Type.Integer({ minimum: 500, maximum: 599, errorMessage: 'must be a 5xx status' });
const milliseconds = Type.Integer({ minimum: 0, maximum: 600_000, errorMessage: 'must be 0-600000 ms' });

export const faultSchema = tagged('kind', [
  /** Connections refused. */
  fault('down', {}),
  /** A share of requests answered with a 5xx. */
  fault('error', { rate: share(), status: Type.Optional(httpStatus) }),
  fault('latency', { ms: milliseconds, jitterMs: Type.Optional(milliseconds) }),
  /** Requests accepted and never answered (Toxiproxy's timeout with no limit). */
  fault('timeout', {}),
  /** Connections reset mid-request (reset_peer). */
  fault('reset', {}),
  /** 429 with Retry-After. */
  fault('rate-limited', { retryAfterSeconds: positiveInteger(3600) }),
  /** A limit on throughput or concurrency; exactly one of the two (a cross-field rule). */
  fault('capacity', {
    perSecond: Type.Optional(positiveNumber()),
    inFlight: Type.Optional(positiveInteger(1_000_000)),
  }),
  /** The upstream's hostname fails; resolvers keep a cached answer for up to cacheTtlSeconds. */
  fault('dns', { mode: oneOf(dnsModes), cacheTtlSeconds: Type.Optional(seconds()) }),
]);
