import { isLifelineError, LifelineError } from '../../errors/index.ts';
import type { Deadline } from './deadline.ts';

/** A Redis failure in Lifeline's words: the caller gets a coded 503, not a driver error. */
export function unavailable(err: unknown): unknown {
  if (isLifelineError(err)) return err;
  return new LifelineError('LIVE_UNAVAILABLE', undefined, { cause: err });
}

/**
 * Makes every public method of a class map a Redis failure to LIVE_UNAVAILABLE, and fail when
 * Redis stops answering (the instance's `deadline`, if it has one): done once for all of them,
 * rather than by a try in each of a dozen methods.
 */
export function mapFailures(proto: object): void {
  for (const name of Object.getOwnPropertyNames(proto)) {
    const method = Reflect.get(proto, name) as unknown;
    if (name === 'constructor' || typeof method !== 'function') continue;
    Reflect.set(proto, name, async function (this: unknown, ...args: unknown[]) {
      try {
        const work = (method as (...a: unknown[]) => Promise<unknown>).apply(this, args);
        const deadline = (this as { deadline?: Deadline }).deadline;
        return await (deadline ? deadline.run(work) : work);
      } catch (err) {
        throw unavailable(err);
      }
    });
  }
}
