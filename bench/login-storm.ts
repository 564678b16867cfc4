/**
 * bench:storm — N clients log in at once against an identity upstream of capacity C, at several
 * sizes, from a cold node and after a trickle.
 *
 * Processes: the lab's identity upstream (`src/lab/process.ts identity` with a `capacity` fault of
 * `slots` × `serviceMs`: C = slots × 1000 / serviceMs, the rest queued without bound, work finished
 * even for callers that left), Lifeline (this process, identity provider `http` with a 1 s
 * timeout; a fresh node and a fresh upstream per case), and the clients (bench/storm/clients.ts).
 *
 * Cases: each size × each start. `cold`: the storm is the node's first traffic. `trickle`: first
 * `--trickle` logins one at a time (the quiet evening before), then the storm: what admission
 * learnt from calls made one at a time must not be taken for the upstream's capacity.
 * Modes: `sdk` (admission on, Lifeline's SDK clients: queue-aware, Retry-After, full jitter, a
 * retry budget; the limit starts at the upstream's slots and may grow to twice that, so a call
 * waits at the upstream when a slot frees) and `naive` (admission off, clients retry every 100 ms:
 * seed 001's storm, the unprotected baseline; run once, at the largest size from cold).
 *
 * Prints per case the time until all N were in against N/C (target ≤ 1.15 × N/C), the error of
 * the first ETA each queued client was told against the wait that followed (median / p90, target
 * ≤ 20%), and the baselines: N/C, the most the upstream answered in one whole second of the storm
 * (the capacity it showed), its peak concurrency against its slots, and the machine's load.
 * BENCH_TRACE=1 adds the upstream's idle-slot and late-timer trace and the ETA breakdown.
 *
 *   npm run bench:storm [-- --sizes 1000,3000,20000 --starts cold,trickle --modes naive,sdk
 *                           --trickle 300 --slots 5 --service-ms 20 --deadline 120]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { createApp } from '../src/app.ts';
import type { LabStatsSnapshot } from '../src/lab/index.ts';
import { removeAnchor, testConfig } from '../test/helpers.ts';
import { machineLoad, sampleMachine } from './login/machine.ts';
import { allInRatio, etaErrorPercentiles } from '../src/lab/drill/index.ts';
import { type ClientsReport, firstLogins, goodput, traceEtas, upstreamDuring } from './storm/analyse.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,3000,20000' },
    starts: { type: 'string', default: 'cold,trickle' },
    modes: { type: 'string', default: 'naive,sdk' },
    trickle: { type: 'string', default: '300' },
    slots: { type: 'string', default: '5' },
    'service-ms': { type: 'string', default: '20' },
    /** The longest one case may run, seconds; a case gets max(30, 2 × N/C) below that. */
    deadline: { type: 'string', default: '120' },
  },
});
const list = (s: string) => s.split(',').filter(Boolean);
const SIZES = list(values.sizes).map(Number);
const STARTS = list(values.starts).filter((s) => s === 'cold' || s === 'trickle');
const MODES = list(values.modes);
const TRICKLE = Number(values.trickle);
const SLOTS = Number(values.slots);
const SERVICE_MS = Number(values['service-ms']);
const C = (SLOTS * 1000) / SERVICE_MS;
if (SIZES.some((n) => !Number.isInteger(n) || n < 1 || n > 50_000) || !(C > 0)) {
  console.error('--sizes: integers 1..50000; --slots and --service-ms: positive');
  process.exit(2);
}
const children: ChildProcess[] = [];
const dirs: string[] = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) {
    rmSync(d, { recursive: true, force: true });
    removeAnchor(`${d}.anchor`);
  }
});

/** A child process on this Node with IPC (it exits when this process goes); its stdout as lines. */
function child(script: string, args: string[]) {
  const proc = spawn(process.execPath, ['--max-old-space-size=4096', script, ...args], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  children.push(proc);
  const lines = createInterface({ input: proc.stdout as NodeJS.ReadableStream });
  const queue: string[] = [];
  const waiting: ((l: string) => void)[] = [];
  lines.on('line', (l) => {
    const w = waiting.shift();
    if (w) w(l);
    else queue.push(l);
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const nextLine = () =>
    new Promise<string>((resolve, reject) => {
      const q = queue.shift();
      if (q !== undefined) return resolve(q);
      waiting.push(resolve);
      void exited.then(() => reject(new Error(`${script} exited`)));
    });
  return { proc, nextLine };
}

async function labIdentity() {
  const up = child(join(import.meta.dirname, '../src/lab/process.ts'), ['identity', '--max-seconds', '900']);
  const info = JSON.parse(await up.nextLine()) as { verifyUrl: string; controlUrl: string };
  const res = await fetch(`${info.controlUrl}/_lab/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'capacity', inFlight: SLOTS, serviceMs: SERVICE_MS }),
  });
  if (!res.ok) throw new Error(`lab identity: ${res.status} ${await res.text()}`);
  const stats = async () => (await (await fetch(`${info.controlUrl}/_lab/stats`)).json()) as LabStatsSnapshot;
  return { ...up, verifyUrl: info.verifyUrl, stats };
}

async function lifeline(identityUrl: string, mode: string, n: number) {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-bench-storm-'));
  dirs.push(dir);
  // The tests' loopback configuration (ephemeral ports, silent logs), plus this case's.
  const config = testConfig(dir, {
    identity: { provider: 'http', http: { url: identityUrl, timeoutMs: 1000 } },
    admission: { enabled: mode === 'sdk', initialLimit: SLOTS, maxLimit: 2 * SLOTS, maxQueue: n * 2 },
  });
  const app = await createApp({ config, logger: pino({ level: 'silent' }) });
  return { app, playerUrl: (await app.listen()).playerUrl };
}

interface Case {
  n: number;
  start: 'cold' | 'trickle';
  mode: string;
}

async function run(c: Case) {
  const label = `${c.mode} ${c.n} ${c.start}`;
  const deadline = Math.min(Number(values.deadline), Math.max(30, Math.ceil((2 * c.n) / C)));
  const identity = await labIdentity();
  const { app, playerUrl } = await lifeline(identity.verifyUrl, c.mode, c.n);
  const trickle = c.start === 'trickle' ? TRICKLE : 0;
  const clients = child(join(import.meta.dirname, 'storm/clients.ts'), [
    ...['--url', playerUrl, '--clients', String(c.n), '--mode', c.mode],
    ...['--deadline', String(deadline), '--trickle', String(trickle)],
  ]);
  if (trickle > 0) await clients.nextLine();
  const seen = watchAdmission(app.events);
  const before = await identity.stats();
  const machineBefore = sampleMachine();
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  if (trickle > 0) clients.proc.send('storm');
  const report = JSON.parse(await clients.nextLine()) as ClientsReport;
  loop.disable();
  const load = machineLoad(machineBefore, sampleMachine(), [
    process.pid,
    ...[identity.proc.pid, clients.proc.pid].filter((p) => p !== undefined),
  ]);
  const upstream = upstreamDuring(before, await identity.stats(), report.t0);
  identity.proc.kill('SIGKILL');
  await app.close();
  seen.stop();
  if (process.env.BENCH_TRACE) {
    trace(label, report, upstream, loop);
    console.error(`[${label}] admission limit, lowest each second: ${seen.limits.join(' ')}`);
    console.error(`[${label}] logins by outcome: ${JSON.stringify(seen.outcomes)}`);
  }
  return summarise(c, report, upstream, load, deadline);
}

/** The admission limit's lowest value in each second, and logins by outcome, from the node's events. */
function watchAdmission(events: Awaited<ReturnType<typeof createApp>>['events']) {
  const t0 = Date.now();
  const limits: number[] = [];
  const outcomes: Record<string, number> = {};
  const offs = [
    events.on('admission.limit', ({ limit }) => {
      const s = Math.floor((Date.now() - t0) / 1000);
      limits[s] = Math.min(limits[s] ?? limit, limit);
    }),
    events.on('login', ({ outcome }) => {
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }),
  ];
  return {
    limits,
    outcomes,
    stop: () => {
      for (const off of offs) off();
    },
  };
}

function trace(
  label: string,
  report: ClientsReport,
  u: ReturnType<typeof upstreamDuring>,
  loop: ReturnType<typeof monitorEventLoopDelay>,
): void {
  const ms = (x: number) => (x / 1e6).toFixed(2);
  console.error(
    `[${label}] Lifeline's event loop delay: mean ${ms(loop.mean)} ms, p50 ${ms(loop.percentile(50))} ms, p99 ${ms(loop.percentile(99))} ms`,
  );
  console.error(
    `[${label}] upstream: ${u.calls} calls, ${u.idleCalls} found their slot idle, ${Math.round(u.idleMs)} slot-ms idle (${(u.idleMs / Math.max(1, u.idleCalls)).toFixed(2)} ms each), answers ${(u.lateMs / Math.max(1, u.calls)).toFixed(2)} ms late on average; answers per second ${u.answersPerSecond.join(' ')}`,
  );
  traceEtas(label, report);
}

function summarise(
  c: Case,
  report: ClientsReport,
  upstream: ReturnType<typeof upstreamDuring>,
  load: ReturnType<typeof machineLoad>,
  deadline: number,
) {
  // The drill's definitions (src/lab/drill/storm.ts), on the clients' records in ms.
  const logins = firstLogins(report);
  const allIn = allInRatio(logins, C, 1000).value;
  const eta = etaErrorPercentiles(logins, 1000);
  const pct1 = (x: number | undefined) => (x === undefined ? null : Math.round(x * 1000) / 10);
  return {
    ...c,
    deadline,
    admitted: logins.filter((l) => l.inAt !== null).length,
    allInSeconds: allIn === null ? null : Math.round(allIn * (c.n / C) * 10) / 10,
    idealSeconds: c.n / C,
    ratioToIdeal: allIn === null ? null : Math.round(allIn * 100) / 100,
    etaMedianErrorPct: pct1(eta?.median),
    etaP90ErrorPct: pct1(eta?.p90),
    quoted: eta?.count ?? 0,
    requests: report.records.reduce((a, r) => a + r.attempts, 0),
    goodputPerSecond: goodput(report),
    upstream: { ...upstream, answersPerSecond: undefined },
    load,
  };
}

type Result = Awaited<ReturnType<typeof run>>;

function print(r: Result): void {
  const u = r.upstream;
  const head =
    r.mode === 'naive'
      ? 'naive clients, no admission'
      : `SDK clients, admission (limit ${SLOTS} to ${2 * SLOTS})`;
  console.log(
    `\n${r.n} clients, ${r.start === 'cold' ? 'cold node' : `after a trickle of ${TRICKLE}`}: ${head}`,
  );
  console.log(
    `  admitted ${r.admitted}/${r.n}; all in after ${r.allInSeconds ?? `not within the ${r.deadline} s deadline`} s = ${r.ratioToIdeal ?? '—'} × N/C (N/C = ${r.idealSeconds} s; target ≤ 1.15)`,
  );
  if (r.mode === 'sdk')
    console.log(
      `  first-ETA error: median ${r.etaMedianErrorPct ?? '—'}%, p90 ${r.etaP90ErrorPct ?? '—'}% over ${r.quoted} queued clients (target ≤ 20%); requests sent ${r.requests}`,
    );
  else console.log(`  requests sent ${r.requests}`);
  console.log(`  goodput per second: ${r.goodputPerSecond.join(' ')}`);
  console.log(
    `  upstream: best whole second ${u.bestSecond ?? '—'} answers (C = ${C}/s); peak ${u.peakInFlight} concurrent, ${u.peakBusy} of ${SLOTS} slots busy; ${u.abandoned} finished for nobody; last answer at ${u.lastAnswerSeconds ?? '—'} s`,
  );
  const l = r.load;
  if (l)
    console.log(
      `  machine: cores busy ${l.cores.map((x) => `${x.busyPercent}%`).join(', ')}, steal ${l.cores.map((x) => `${x.stealPercent}%`).join(', ')}; other processes ${l.othersPercent}% of a core (${l.topOthers.map((o) => `${o.percent}% ${o.name}`).join('; ')})`,
    );
}

console.log(
  `bench:storm ${new Date().toISOString()} on ${cpus()[0]?.model}, ${cpus().length} cores, Node ${process.version}`,
);
console.log(
  `identity upstream C = ${C}/s (${SLOTS} slots × ${SERVICE_MS} ms, unbounded queue, the lab's); sizes ${SIZES.join(', ')}; starts ${STARTS.join(', ')}; trickle ${TRICKLE} logins one at a time`,
);
const cases: Case[] = [];
const largest = Math.max(...SIZES);
if (MODES.includes('naive') && STARTS.includes('cold'))
  cases.push({ n: largest, start: 'cold', mode: 'naive' });
if (MODES.includes('sdk'))
  for (const n of SIZES) for (const start of STARTS as Case['start'][]) cases.push({ n, start, mode: 'sdk' });
const results: Result[] = [];
for (const c of cases) {
  const r = await run(c);
  results.push(r);
  print(r);
}
const sdk = results.filter((r) => r.mode === 'sdk');
console.log(
  "\nsummary (SDK clients, admission): size, start, all in / (N/C), first-ETA error median / p90, the upstream's last answer",
);
for (const r of sdk)
  console.log(
    `  ${r.n} ${r.start}: ${r.allInSeconds ?? '—'} s / ${r.idealSeconds} s = ${r.ratioToIdeal ?? '—'} ×; ${r.etaMedianErrorPct ?? '—'}% / ${r.etaP90ErrorPct ?? '—'}%; upstream done at ${r.upstream.lastAnswerSeconds ?? '—'} s${(r.ratioToIdeal ?? 99) <= 1.15 && (r.etaP90ErrorPct ?? 999) <= 20 ? '' : '  (target missed)'}`,
  );
mkdirSync(join(import.meta.dirname, 'out'), { recursive: true });
writeFileSync(
  join(import.meta.dirname, 'out', 'login-storm.json'),
  `${JSON.stringify({ date: new Date().toISOString(), C, slots: SLOTS, serviceMs: SERVICE_MS, results }, null, 2)}\n`,
);
process.exit(0);
