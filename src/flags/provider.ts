import {
  type EvaluationContext,
  type JsonValue,
  type Provider,
  type ResolutionDetails,
  StandardResolutionReasons,
} from '@openfeature/server-sdk';

/** The provider: values from the store, cached here and refreshed on every change and poll. */
export class StoreProvider implements Provider {
  readonly metadata = { name: 'lifeline-store' } as const;
  readonly runsOn = 'server';
  values = new Map<string, boolean | string | number>();

  #resolve<T>(key: string, fallback: T): ResolutionDetails<T> {
    const value = this.values.get(key);
    if (value === undefined || typeof value !== typeof fallback) {
      return { value: fallback, reason: StandardResolutionReasons.DEFAULT };
    }
    return { value: value as T, reason: StandardResolutionReasons.STATIC };
  }

  async resolveBooleanEvaluation(key: string, fallback: boolean, _c: EvaluationContext) {
    return this.#resolve(key, fallback);
  }
  async resolveStringEvaluation(key: string, fallback: string, _c: EvaluationContext) {
    return this.#resolve(key, fallback);
  }
  async resolveNumberEvaluation(key: string, fallback: number, _c: EvaluationContext) {
    return this.#resolve(key, fallback);
  }
  async resolveObjectEvaluation<T extends JsonValue>(_key: string, fallback: T, _c: EvaluationContext) {
    return { value: fallback, reason: StandardResolutionReasons.DEFAULT };
  }
}
