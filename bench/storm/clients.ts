/**
 * The players of bench:storm, in their own process. `naive` clients retry a failed login every
 * 100 ms, as seed 001's did (the lab fleet's `naiveOptions`: the SDK with jitter, Retry-After,
 * queue tickets and the retry budget turned off); `sdk` clients are Lifeline's SDK (queue-aware, Retry-After, full
 * jitter, retry budget). All start at once. Reports, per client, when it started, when it was in,
 * and the first ETA it was given.
 *
 * With `--trickle K`, K logins come first, one at a time (each SDK login waits for the one before):
 * a quiet evening before the storm. It then prints `{"trickled": K}` and waits for the parent's
 * `storm` message (over IPC), so the parent can read the upstream's counters between the two.
 */
import { parseArgs } from 'node:util';
import { HttpPool, poolFetch } from '../../src/lab/fleet/http.ts';
import { naiveOptions } from '../../src/lab/fleet/naive.ts';
import { LifelineClient } from '../../src/sdk/index.ts';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    clients: { type: 'string', default: '20000' },
    mode: { type: 'string', default: 'sdk' },
    deadline: { type: 'string', default: '120' },
    trickle: { type: 'string', default: '0' },
  },
});
const url = values.url as string;
const N = Number(values.clients);
let deadline = Date.now() + Number(values.deadline) * 1000;
/** fetch over the lab fleet's bounded keep-alive pool: 20,000 clients must not open 20,000 sockets. */
const pooledFetch = poolFetch(new HttpPool(512));

interface Record_ {
  startedAt: number;
  inAt: number | null;
  firstEta: number | null;
  firstEtaAt: number | null;
  attempts: number;
}

/** Stops a client's waits once the deadline has passed, so an endless retry budget still ends. */
const untilDeadline = (ms: number): Promise<void> =>
  Date.now() >= deadline
    ? Promise.reject(new Error('deadline'))
    : new Promise((resolve) => setTimeout(resolve, Math.min(ms, Math.max(0, deadline - Date.now()))));

/** The fleet's naive client: the SDK with its protections off (`naiveOptions`), retrying every 100 ms. */
async function naive(i: number, r: Record_): Promise<void> {
  const counting = ((input: string, init?: RequestInit) => {
    r.attempts++;
    return pooledFetch(input, init);
  }) as typeof fetch;
  const client = new LifelineClient({ baseUrl: url, ...naiveOptions(counting, 100), sleep: untilDeadline });
  await client.login({ playerId: `p-${i}`, region: 'na', shard: 'na-1' });
  r.inAt = Date.now();
  client.close();
}

async function sdk(i: number, r: Record_): Promise<void> {
  const recording = (async (input: string, init?: RequestInit) => {
    r.attempts++;
    const res = await pooledFetch(input, init);
    if (res.status === 202 && r.firstEta === null) {
      const body = (await res.clone().json()) as { etaSeconds?: number };
      r.firstEta = body.etaSeconds ?? null;
      r.firstEtaAt = Date.now();
    }
    return res;
  }) as typeof fetch;
  const client = new LifelineClient({
    baseUrl: url,
    fetch: recording,
    retryBudget: { burst: 10, perSecond: 1 },
  });
  await client.login({ playerId: `p-${i}`, region: 'na', shard: 'na-1' });
  r.inAt = Date.now();
  client.close();
}

const trickle = Number(values.trickle);
if (trickle > 0) {
  for (let i = 0; i < trickle; i++) {
    const client = new LifelineClient({ baseUrl: url, fetch: pooledFetch });
    await client.login({ playerId: `t-${i}`, region: 'na', shard: 'na-1' });
    client.close();
  }
  const go = new Promise((resolve) => process.once('message', resolve));
  process.stdout.write(`${JSON.stringify({ trickled: trickle })}\n`);
  await go;
  deadline = Date.now() + Number(values.deadline) * 1000;
}

const records: Record_[] = Array.from({ length: N }, () => ({
  startedAt: 0,
  inAt: null,
  firstEta: null,
  firstEtaAt: null,
  attempts: 0,
}));
const t0 = Date.now();
let finished = 0;
const progress = process.env.BENCH_TRACE
  ? setInterval(() => {
      const attempts = records.reduce((a, r) => a + r.attempts, 0);
      process.stderr.write(
        `[clients] ${finished}/${N} finished, ${records.filter((r) => r.inAt).length} in, ${attempts} requests\n`,
      );
    }, 1000)
  : undefined;
/**
 * Clients start as fast as this process can start them, yielding to its event loop every
 * START_BATCH: started all in one synchronous loop, no client's connection left this process
 * until the last of 1,000 had been set up (~200 ms), while each was timed from the loop's start
 * (the node accepted its first connection 217 ms after it, idle until then). Each client is
 * timed from its own start.
 */
const START_BATCH = 16;
const running: Promise<void>[] = [];
for (const [i, r] of records.entries()) {
  if (i > 0 && i % START_BATCH === 0) await new Promise((resolve) => setImmediate(resolve));
  r.startedAt = Date.now();
  running.push(
    (values.mode === 'naive' ? naive(i, r) : sdk(i, r))
      .catch(() => {})
      .then(() => {
        finished++;
      }),
  );
}
await Promise.all(running);
clearInterval(progress);
// Flushed before exit: a pipe write is asynchronous, and exit would cut a long line short.
process.stdout.write(`${JSON.stringify({ t0, records })}\n`, () => process.exit(0));
