/**
 * What operators do on the scenario clock: a kick, a runaway kick script (seed 000), a restore
 * and pausing or resuming it, a flag change, declaring and ending an outage, moving the incident
 * Lifeline declared. Each has an `at`; kicks carry an `id` that a
 * restore names.
 */
import { type TSchema, Type } from 'typebox';
import { incidentStatuses } from './kinds.ts';
import { name, positiveInteger, positiveNumber, seconds, strict, tagged, text } from './fields.ts';

function action<const K extends string, P extends Record<string, TSchema>>(kind: K, properties: P) {
  return strict({ do: Type.Literal(kind), at: seconds(), ...properties });
}

/** Whom a kick selects; at least one field, and `all` alone (cross-field rules). */
export const selectorSchema = strict({
  all: Type.Optional(Type.Literal(true, { errorMessage: 'must be true (or left out)' })),
  region: Type.Optional(name()),
  shard: Type.Optional(name()),
});

const pacingSchema = tagged('mode', [
  strict({
    mode: Type.Literal('fixed'),
    batchSize: positiveInteger(100_000),
    intervalMs: positiveInteger(3_600_000),
  }),
  strict({ mode: Type.Literal('adaptive'), maxRate: positiveNumber() }),
]);

/** A restore brings back one kick's disruptions, or those in a window of the scenario clock. */
const restoreFromSchema = tagged('source', [
  strict({ source: Type.Literal('kick'), kick: name() }),
  strict({
    source: Type.Literal('window'),
    from: seconds(),
    to: seconds(),
    selector: Type.Optional(selectorSchema),
  }),
]);

export const actionSchema = tagged('do', [
  action('kick', { id: name(), selector: selectorSchema, reason: text(500) }),
  /** A script that kicks `ratePerSecond` sessions a second for `durationSeconds`: what the breaker must stop. */
  action('runaway-kick', {
    id: name(),
    ratePerSecond: positiveNumber(),
    durationSeconds: positiveNumber(),
    selector: Type.Optional(selectorSchema),
    reason: text(500),
  }),
  action('restore', { from: restoreFromSchema, pacing: pacingSchema }),
  /** The key must be a flag Lifeline knows and the value fit its type (cross-field rules). */
  action('flag', {
    key: Type.String({ minLength: 1, maxLength: 64, errorMessage: 'must be a flag key' }),
    value: Type.Union([Type.Boolean(), Type.Number(), Type.String({ maxLength: 1000 })], {
      errorMessage: 'must be true, false, a number or a string',
    }),
  }),
  action('declare-outage', { reason: text(500) }),
  action('end-outage', {}),
  /** The operator pauses, then resumes, the latest restore the drill started (cross-field: one came before). */
  action('pause-restore', { reason: text(500) }),
  action('resume-restore', { reason: text(500) }),
  /** The commander moves the running incident Lifeline declared, posting `message` as a public update first. */
  action('incident', {
    status: Type.Union(
      incidentStatuses.map((s) => Type.Literal(s)),
      {
        errorMessage: `must be one of ${incidentStatuses.join(', ')}`,
      },
    ),
    message: Type.Optional(text(2000)),
  }),
]);
