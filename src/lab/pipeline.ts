/**
 * How the faults in force decide one request's fate, in the order a packet would meet them:
 * the connection (down, reset, timeout), the wire (latency), the server's slots (capacity),
 * then its answer (429, 5xx). A random draw is taken only for a fault that is set, so with one
 * seed the same requests fail whatever else is switched on meanwhile.
 */
import type { Capacity } from './capacity.ts';
import type { LabClock } from './clock.ts';
import type { FaultSet } from './faults.ts';

export type Verdict =
  | { do: 'refuse' }
  | { do: 'reset' }
  | { do: 'hold'; ms: number | undefined }
  | { do: 'answer'; status: number; headers: Record<string, string>; release: () => void }
  | { do: 'serve'; release: () => void };

export interface FaultContext {
  faults: FaultSet;
  random: () => number;
  clock: LabClock;
  /** The `capacity` fault's slots, kept across requests while the fault is unchanged. */
  capacity: () => Capacity | undefined;
}

const draw = (random: () => number, rate: number | undefined) => random() < (rate ?? 1);

export async function judge(ctx: FaultContext): Promise<Verdict> {
  const { faults, random, clock } = ctx;
  if (faults.get('down')) return { do: 'refuse' };
  if (faults.get('reset') && draw(random, faults.get('reset')?.rate)) return { do: 'reset' };
  const timeout = faults.get('timeout');
  if (timeout) return { do: 'hold', ms: timeout.ms };
  const latency = faults.get('latency');
  if (latency) {
    const jitter = latency.jitterMs ?? 0;
    await clock.sleep(Math.max(0, latency.ms + (random() * 2 - 1) * jitter));
  }
  const release = (await ctx.capacity()?.enter()) ?? (() => {});
  const limited = faults.get('rate-limited');
  if (limited && draw(random, limited.rate))
    return {
      do: 'answer',
      status: 429,
      headers: { 'retry-after': String(limited.retryAfterSeconds) },
      release,
    };
  const error = faults.get('error');
  if (error && draw(random, error.rate))
    return { do: 'answer', status: error.status ?? 503, headers: {}, release };
  return { do: 'serve', release };
}
