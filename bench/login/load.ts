/**
 * The login load generator, alone in its process: `concurrency` keep-alive connections (to one
 * server, or round-robin over a cluster's nodes), each sending the next `POST /v1/login` (a new
 * playerId every time) as soon as the previous answer arrives (closed loop). A warm-up, then a fixed measured window; announces `window-start` and
 * `window-end` so the parent can read the server's CPU counters at the same moments.
 *
 *   node bench/login/load.ts     (then the parent sends `run`)
 */
import { performance } from 'node:perf_hooks';
import * as hdr from 'hdr-histogram-js';
import { HttpConnection, postJsonRequest } from './http.ts';
import { announce, serveParent } from './ipc.ts';

export interface LoadSpec {
  port: number;
  /**
   * Several servers (the nodes of a cluster): connection i goes to `ports[i % ports.length]`,
   * so the load is spread round-robin over them. Without it every connection goes to `port`.
   */
  ports?: readonly number[];
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** Prefix of the generated playerIds, distinct per run so no two logins share one. */
  idPrefix: string;
}

export interface LoadResult {
  /** Answers with status 200 completed inside the measured window. */
  ok: number;
  /** Non-200 answers and transport errors inside the window. */
  errors: number;
  statuses: Record<string, number>;
  firstError: string | null;
  windowSeconds: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  warmupRequests: number;
  /** The load generator's own CPU use over the window, in % of one core. */
  clientCpuPercent: number;
  reconnects: number;
  /** Good answers in each second of the window, to show a steady rate or a decline. */
  perSecond: number[];
  /** The longest time inside the window with no answer at all (a stall), in ms. */
  longestStallMs: number;
  /** Answers with status 200 inside the window, by the port that gave them. */
  okByPort: Record<string, number>;
}

async function run(spec: LoadSpec): Promise<LoadResult> {
  const histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });
  const statuses: Record<string, number> = {};
  let ok = 0;
  let errors = 0;
  let warmupRequests = 0;
  let firstError: string | null = null;
  let reconnects = 0;
  let seq = 0;

  const begin = performance.now();
  const windowStart = begin + spec.warmupMs;
  const windowEnd = windowStart + spec.durationMs;
  let cpuAtStart: NodeJS.CpuUsage | undefined;
  let cpuAtEnd: NodeJS.CpuUsage | undefined;
  const startTimer = setTimeout(() => {
    cpuAtStart = process.cpuUsage();
    announce('window-start');
  }, spec.warmupMs);
  const endWindow = () => {
    if (cpuAtEnd) return;
    cpuAtEnd = process.cpuUsage(cpuAtStart);
    announce('window-end');
  };
  const endTimer = setTimeout(endWindow, spec.warmupMs + spec.durationMs);

  const perSecond = new Array<number>(Math.ceil(spec.durationMs / 1000)).fill(0);
  let lastAnswer = windowStart;
  let longestStall = 0;
  const ports = spec.ports && spec.ports.length > 0 ? spec.ports : [spec.port];
  const okByPort: Record<string, number> = Object.fromEntries(ports.map((p) => [String(p), 0]));

  const note = (now: number, status: string, error?: string, port?: number) => {
    if (now < windowStart) {
      warmupRequests++;
      return false;
    }
    if (now > windowEnd) return false;
    longestStall = Math.max(longestStall, now - lastAnswer);
    lastAnswer = now;
    const second = Math.floor((now - windowStart) / 1000);
    if (status === '200' && second < perSecond.length) perSecond[second] = (perSecond[second] as number) + 1;
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (status === '200') {
      ok++;
      if (port !== undefined) okByPort[port] = (okByPort[port] ?? 0) + 1;
    } else {
      errors++;
      firstError ??= error ?? `HTTP ${status}`;
    }
    return true;
  };

  // A server that stops answering must not hold the run: whatever is still open shortly after
  // the window closes is cut.
  const open = new Set<HttpConnection>();
  const drainTimer = setTimeout(
    () => {
      for (const c of open) c.destroy();
    },
    spec.warmupMs + spec.durationMs + 3_000,
  );

  const worker = async (port: number) => {
    let conn: HttpConnection | undefined;
    while (performance.now() < windowEnd) {
      if (!conn?.usable) {
        if (conn) {
          conn.destroy();
          open.delete(conn);
        }
        try {
          conn = await HttpConnection.open(port);
          open.add(conn);
          reconnects++;
        } catch (err) {
          note(performance.now(), 'connect-error', String(err));
          await new Promise((r) => setTimeout(r, 20));
          continue;
        }
      }
      const body = JSON.stringify({ playerId: `${spec.idPrefix}-${seq++}`, region: 'na', shard: 'na-1' });
      const sent = performance.now();
      try {
        const res = await conn.request(postJsonRequest(port, '/v1/login', body));
        const now = performance.now();
        const status = String(res.status);
        if (
          note(
            now,
            status,
            status === '200' ? undefined : `HTTP ${status}: ${res.body.toString().slice(0, 200)}`,
            port,
          )
        ) {
          if (status === '200') histogram.recordValue(Math.max(1, Math.round((now - sent) * 1000)));
        }
      } catch (err) {
        note(performance.now(), 'transport-error', String(err));
        conn.destroy();
        open.delete(conn);
      }
    }
    conn?.destroy();
    if (conn) open.delete(conn);
  };

  await Promise.all(
    Array.from({ length: spec.concurrency }, (_, i) => worker(ports[i % ports.length] as number)),
  );
  clearTimeout(startTimer);
  clearTimeout(endTimer);
  // The timer was set a moment after \`begin\`, so the workers can see the window close before it
  // fires: the parent still needs its window-end to read the server's counters.
  endWindow();
  clearTimeout(drainTimer);
  const cpu = cpuAtEnd ?? process.cpuUsage(cpuAtStart);
  const windowSeconds = spec.durationMs / 1000;
  const ms = (us: number) => Math.round(us) / 1000;
  const result: LoadResult = {
    ok,
    errors,
    statuses,
    firstError,
    windowSeconds,
    requestsPerSecond: Math.round(ok / windowSeconds),
    latencyMs: {
      p50: ms(histogram.getValueAtPercentile(50)),
      p90: ms(histogram.getValueAtPercentile(90)),
      p99: ms(histogram.getValueAtPercentile(99)),
      max: ms(histogram.maxValue),
      mean: ms(histogram.mean),
    },
    warmupRequests,
    clientCpuPercent: Math.round(((cpu.user + cpu.system) / 1000 / spec.durationMs) * 1000) / 10,
    // The first connection of each worker is not a reconnect.
    reconnects: reconnects - spec.concurrency,
    perSecond,
    longestStallMs: Math.round(Math.max(longestStall, windowEnd - lastAnswer)),
    okByPort,
  };
  histogram.destroy();
  return result;
}

serveParent(async (cmd, message) => {
  if (cmd === 'run') return { result: await run(message as unknown as LoadSpec) };
  if (cmd === 'stop') process.exit(0);
  throw new Error(`unknown command ${cmd}`);
}, 120_000);
announce('ready');
