/** Writing a session: a plain put, and a put under the player's cap (openSession). */
import type { LiveSession, OpenedSession, SessionCap } from '../../sessions/records.ts';
import type { Client } from './client.ts';
import { parseEnded } from './parse.ts';
import type { Keys } from './keys.ts';

export async function putSession(c: Client, k: Keys, s: LiveSession): Promise<void> {
  await c.putSession(
    [k.session(s.id), k.sessions, k.byRegion, k.byShard, k.seen, k.nodes],
    [
      s.id,
      JSON.stringify(s),
      k.playerPrefix,
      s.playerId,
      s.region,
      s.shard,
      String(s.lastSeenAt),
      k.holderPrefix,
      s.node,
    ],
  );
}

export async function openSession(
  c: Client,
  k: Keys,
  s: LiveSession,
  cap: SessionCap,
): Promise<OpenedSession> {
  const reply = (await c.openSession(
    [...k.ending, k.nodes, k.session(s.id)],
    [
      ...k.endingPrefixes,
      s.id,
      JSON.stringify(s),
      s.playerId,
      s.region,
      s.shard,
      String(s.lastSeenAt),
      s.node,
      String(cap.max),
      cap.whenFull === 'refuse' ? '1' : '0',
    ],
  )) as [number, ...string[]];
  if (reply[0] === 0) return { opened: false, held: Number(reply[1]) };
  return { opened: true, replaced: parseEnded(reply.slice(1) as string[]) };
}
