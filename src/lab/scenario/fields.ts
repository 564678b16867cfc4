/**
 * Small schema builders that carry the reader-facing wording of a failure in `errorMessage`, as
 * src/config/schema.ts does: the generic JSON Schema messages do not say what would be accepted.
 */
import { type TSchema, Type } from 'typebox';
import { namePattern, nameRule } from './kinds.ts';

export function name() {
  return Type.String({ pattern: namePattern, errorMessage: nameRule });
}

export function oneOf<const V extends string[]>(values: readonly [...V]) {
  return Type.Enum(values, { errorMessage: `must be one of ${values.join(', ')}` });
}

export function positiveInteger(maximum: number) {
  return Type.Integer({ minimum: 1, maximum, errorMessage: `must be a whole number from 1 to ${maximum}` });
}

export function count() {
  return Type.Integer({
    minimum: 0,
    maximum: Number.MAX_SAFE_INTEGER,
    errorMessage: 'must be a whole number, 0 or more',
  });
}

export function positiveNumber() {
  return Type.Number({ exclusiveMinimum: 0, maximum: 1e9, errorMessage: 'must be a number above 0' });
}

/** Seconds on the scenario clock; whether it falls inside the scenario is a cross-field rule. */
export function seconds() {
  return Type.Number({ minimum: 0, maximum: 1e9, errorMessage: 'must be a number of seconds, 0 or more' });
}

export function share() {
  return Type.Number({ minimum: 0, maximum: 1, errorMessage: 'must be a number from 0 to 1' });
}

export function text(maxLength: number) {
  return Type.String({
    minLength: 1,
    maxLength,
    pattern: '^[^\\u0000-\\u001F\\u007F-\\u009F]*$',
    errorMessage: `must be 1-${maxLength} characters without control characters`,
  });
}

/** An object that refuses keys it does not declare: a typo in a scenario must not be ignored. */
export function strict<P extends Record<string, TSchema>>(properties: P) {
  return Type.Object(properties, { additionalProperties: false });
}

/** A union told apart by `field`; validation reports the matching branch's errors, not every branch's. */
export function tagged<const S extends TSchema[]>(field: string, branches: [...S]) {
  return Type.Union(branches, { discriminator: field });
}
