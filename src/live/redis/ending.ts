/**
 * Ending sessions in chunks. One script call that ended a whole wave held Redis for as long as
 * the wave took (measured: 9,910 arguments held it 127–137 ms, stalling every node; a wave of
 * 100,000 would stall them for over a second). So the ids go END_CHUNK at a time, each chunk its
 * own atomic call, and other clients' commands run in between. Each session still ends
 * atomically and reaches exactly one caller.
 */
import type { LiveSession } from '../../sessions/records.ts';
import type { Client } from './client.ts';
import type { Keys } from './keys.ts';
import { parseEnded } from './parse.ts';
import { putSession } from './writes.ts';

/**
 * Sessions per script call. A session costs ~13 µs of script time on an idle machine and two or
 * three times that when Redis shares its cores (bench:redis-slowlog on the 2-core CI machine, a
 * dozen processes runnable: 100 a call took 1–6 ms, 200 up to 7–12 ms), so 100 keep a call well
 * under the 10 ms none may exceed, for one round trip per 100 sessions.
 */
export const END_CHUNK = 100;

/** Ends the live ones of `ids`, a chunk per call. */
export async function endSessions(c: Client, k: Keys, ids: readonly string[]): Promise<LiveSession[]> {
  return allOrNothing(c, k, async (ended) => {
    for (let i = 0; i < ids.length; i += END_CHUNK) {
      const reply = await c.endSessions(k.ending, [...k.endingPrefixes, ...ids.slice(i, i + END_CHUNK)]);
      ended.push(...parseEnded(reply as string[]));
    }
  });
}

/** Ends up to `limit` of the sessions `node` holds, a chunk per call, until its set runs dry. */
export async function endNodeSessions(
  c: Client,
  k: Keys,
  node: string,
  limit: number,
): Promise<LiveSession[]> {
  return allOrNothing(c, k, async (ended) => {
    for (let left = limit; left > 0; ) {
      const n = Math.min(left, END_CHUNK);
      const reply = await c.endNodeSessions(k.ending, [...k.endingPrefixes, node, String(n)]);
      const [popped, ...rest] = reply as [number, ...string[]];
      ended.push(...parseEnded(rest));
      left -= popped;
      if (popped < n) break;
    }
  });
}

/**
 * Runs `work`, which appends what it ends. If a chunk fails after others ended sessions, those
 * are put back before the failure is thrown, so the call changes nothing, as the single call it
 * replaces did (best effort: Redis may be away for the put-back too).
 */
async function allOrNothing(
  c: Client,
  k: Keys,
  work: (ended: LiveSession[]) => Promise<void>,
): Promise<LiveSession[]> {
  const ended: LiveSession[] = [];
  try {
    await work(ended);
  } catch (err) {
    await Promise.allSettled(ended.map((s) => putSession(c, k, s)));
    throw err;
  }
  return ended;
}
