import type { LiveSession } from '../../sessions/records.ts';

/** The ending scripts' flat list (JSON, lastSeenAt, JSON, lastSeenAt, ...) as sessions. */
export function parseEnded(reply: readonly string[]): LiveSession[] {
  const out: LiveSession[] = [];
  for (let i = 0; i < reply.length; i += 2) {
    const s = JSON.parse(reply[i] as string) as LiveSession;
    const seen = reply[i + 1];
    if (seen !== undefined && seen !== '') s.lastSeenAt = Number(seen);
    out.push(s);
  }
  return out;
}
