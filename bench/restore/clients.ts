/**
 * The returning players of bench:restore, in their own process so their HTTP work does not
 * share Lifeline's event loop. Told (over IPC) which resume tokens were released, each client
 * waits a random part of the batch's interval, as Retry-After spreads real clients, rejoins over
 * HTTP and then joins the downstream. Reports totals when asked.
 */
import { Agent, request } from 'node:http';

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

/** One keep-alive HTTP request; resolves with the status once the body is read. */
function call(url: string, method: string, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent,
        headers: body
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
          : {},
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const [playerUrl, downstreamUrl] = process.argv.slice(2) as [string, string];
let restored = 0;
let errors = 0;

async function comeBack(resumeToken: string, spreadMs: number): Promise<void> {
  await new Promise((r) => setTimeout(r, Math.random() * spreadMs));
  try {
    if ((await call(`${playerUrl}/v1/rejoin`, 'POST', JSON.stringify({ resumeToken }))) !== 200) {
      errors++;
      return;
    }
    await call(`${downstreamUrl}/join`, 'GET');
    restored++;
  } catch {
    errors++;
  }
}

process.on('message', (m: { tokens?: string[]; spreadMs?: number; report?: boolean }) => {
  if (m.report) {
    process.send?.({ restored, errors });
    return;
  }
  for (const t of m.tokens ?? []) void comeBack(t, m.spreadMs ?? 0);
});
process.on('disconnect', () => process.exit(0));
setTimeout(() => process.exit(0), 600_000).unref();
