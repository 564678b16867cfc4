/**
 * The players' history before the drill starts. A scenario's owners "held a licence before"
 * (seed 001's hotfix granted previously owned licences): Lifeline knows that only from a licence
 * it verified, so before t0 each owner logs in once, on a node, while every upstream is healthy.
 * Those sessions stay idle (no socket) and are not the fleet's; see docs/DRILLS.md.
 */
import { fleetPlayerIds } from '../fleet/index.ts';
import type { FleetPlan } from '../fleet/index.ts';

interface LoginAnswer {
  status: number;
  body: { ticket?: string; retryAfterSeconds?: number; error?: { code?: string } };
}

async function post(url: string, body: unknown): Promise<LoginAnswer> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  return { status: res.status, body: (await res.json().catch(() => ({}))) as LoginAnswer['body'] };
}

/** One login to the end: queued logins poll their ticket after the Retry-After they were given. */
async function loginOnce(nodeUrl: string, playerId: string, region: string, shard: string): Promise<boolean> {
  let answer = await post(`${nodeUrl}/v1/login`, { playerId, region, shard });
  for (let polls = 0; answer.status === 202 && answer.body.ticket && polls < 600; polls++) {
    await new Promise((r) => setTimeout(r, Math.min(1000, (answer.body.retryAfterSeconds ?? 1) * 1000)));
    answer = await post(`${nodeUrl}/v1/login/poll`, { ticket: answer.body.ticket });
  }
  return answer.status === 200;
}

/** Logs every owner in once (16 at a time); resolves with how many Lifeline now knows. */
export async function ownersPlayedBefore(
  plan: FleetPlan,
  nodeUrl: string,
  signal: AbortSignal,
): Promise<number> {
  const owners = fleetPlayerIds(plan).filter((id) => id.startsWith('owner-'));
  const first = plan.regions[0];
  const shard = first?.shards[0];
  if (first === undefined || shard === undefined) return 0;
  let known = 0;
  let next = 0;
  const worker = async () => {
    while (next < owners.length && !signal.aborted) {
      const id = owners[next++] as string;
      if (await loginOnce(nodeUrl, id, first.region, shard).catch(() => false)) known++;
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return known;
}
