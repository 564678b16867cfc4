/**
 * The players of the kick fan-out, alone in their process: the lab fleet's `Holders`
 * (src/lab/fleet/holders.ts) log in over a cluster's nodes and hold one control socket per
 * player on the node that logged it in; this process then sends the approval that starts the
 * kick and sums up when each socket got its `kicked` message, timed from that moment.
 *
 *   node bench/cluster/clients.ts     (then the parent sends `login`, `open`, `kick`, `stop`)
 *
 * Sending the approval from here keeps the start and every arrival on one clock.
 */
import { Holders } from '../../src/lab/fleet/holders.ts';
import { announce, serveParent } from '../login/ipc.ts';

const KICKED_CODE = 4001;

let holders: Holders | undefined;

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((q / 100) * sorted.length) - 1)] as number;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/**
 * Sends the approval and waits until every held socket has closed (or `deadlineMs` passes);
 * reports when each got its kick, measured from just before the approval was sent.
 */
async function kick(
  h: Holders,
  url: string,
  headers: Record<string, string>,
  body: string,
  deadlineMs: number,
) {
  const sentAtEpochMs = h.mark();
  const closed = h.allClosed(deadlineMs);
  const res = await fetch(url, { method: 'POST', headers, body });
  const answer = await res.text();
  const answeredMs = h.sinceMark();
  const allGone = await closed;
  const waitedMs = h.sinceMark();
  const held = h.holders.filter((p) => p.socket);
  const got = (p: (typeof held)[number]) => !Number.isNaN(p.timedMs);
  const times = Float64Array.from(held.filter(got).map((p) => p.timedMs));
  times.sort();
  const codes: Record<string, number> = {};
  for (const p of held) codes[p.closeCode] = (codes[p.closeCode] ?? 0) + 1;
  const lastByNode = h.byNode(() => false);
  for (const p of held) if (got(p)) lastByNode[p.node] = Math.max(lastByNode[p.node] as number, p.timedMs);
  return {
    status: res.status,
    answer: answer.slice(0, 2_000),
    sentAtEpochMs,
    answeredMs: round(answeredMs),
    allClosed: allGone,
    waitedMs: round(waitedMs),
    held: held.length,
    kicked: times.length,
    kickedWith4001: held.filter((p) => got(p) && p.closeCode === KICKED_CODE).length,
    stillOpen: h.open,
    closedBeforeKick: h.closedBeforeMark,
    unexpectedMessages: h.unexpected,
    closeCodes: codes,
    kickedByNode: h.byNode(got),
    heldByNode: h.byNode(() => true),
    lastByNodeMs: lastByNode.map(round),
    firstMs: round(times[0] ?? Number.NaN),
    p50Ms: round(percentile(times, 50)),
    p90Ms: round(percentile(times, 90)),
    p99Ms: round(percentile(times, 99)),
    lastMs: round(times[times.length - 1] ?? Number.NaN),
    /** Every arrival, sorted, for the parent to split by wave. */
    times: Array.from(times, round),
  };
}

function started(): Holders {
  if (!holders) throw new Error('login first');
  return holders;
}

serveParent(async (cmd, message) => {
  switch (cmd) {
    case 'login': {
      holders?.close();
      const nodes = message.urls as string[];
      holders = new Holders({
        nodes,
        prefix: String(message.prefix),
        region: 'na',
        shards: ['na-1', 'na-2', 'na-3'],
      });
      return { ...(await holders.login(Number(message.n))) };
    }
    case 'open':
      return { ...(await started().openAll()) };
    case 'kick':
      return kick(
        started(),
        String(message.url),
        message.headers as Record<string, string>,
        String(message.body),
        Number(message.deadlineMs),
      );
    case 'stop':
      holders?.close();
      process.exit(0);
      return undefined;
    default:
      throw new Error(`unknown command ${cmd}`);
  }
}, 240_000);
announce('ready');
