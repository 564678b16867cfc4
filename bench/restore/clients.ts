/**
 * The returning players of bench:restore, in their own process so their HTTP work does not
 * share Lifeline's event loop: the lab fleet's `Returning` (src/lab/fleet/returning.ts). Told
 * (over IPC) which resume tokens were released, each player waits a random part of the batch's
 * interval, as Retry-After spreads real clients, rejoins through the SDK and then joins the
 * downstream. Reports totals when asked.
 *
 *   node bench/restore/clients.ts <playerUrl> <downstreamUrl>
 */
import { Returning } from '../../src/lab/fleet/index.ts';

const [playerUrl, downstreamUrl] = process.argv.slice(2) as [string, string];
const returning = new Returning({ playerUrl, gameJoinUrl: `${downstreamUrl}/join` });

process.on('message', (m: { tokens?: string[]; spreadMs?: number; report?: boolean }) => {
  if (m.report) {
    process.send?.({ restored: returning.restored, errors: returning.errors });
    return;
  }
  for (const t of m.tokens ?? []) returning.add(t, m.spreadMs ?? 0);
});
process.on('disconnect', () => process.exit(0));
setTimeout(() => process.exit(0), 600_000).unref();
