/**
 * bench:restore — paced restore of 100,000 disruption records against a downstream of capacity C.
 *
 * The downstream is the lab's game backend (src/lab/game.ts) in its own process
 * (`node src/lab/process.ts game`): C joins per second (8 slots), latency rising with its queue as
 * load nears C; its per-second p99 comes from the lab's own stats (`GET /_lab/stats` on its
 * control port), which count every answer, the few /health checks a second beside the joins. Clients come back the moment their batch is released: each
 * redeems its ticket over HTTP (POST /v1/rejoin), at a random point of its batch's interval as
 * Retry-After spreads real clients, and then joins the downstream. Three pacings run
 * in one run, one after the other, on the same records:
 *   1. the seed playbook's fixed 200 per 5 s,
 *   2. fixed pacing hand-tuned to 90% of C,
 *   3. adaptive pacing with a ceiling of 2 × C and the downstream's p99 SLO as its threshold.
 * Each runs for a bounded window; the time to restore all 100,000 is projected from the rate it
 * sustained over the last part of its window (a 200-per-5-s restore of 100k takes 42 minutes,
 * which no bench should wait for). Prints share of C, downstream p99 and seconds over the SLO.
 *
 *   npm run bench:restore [-- --records 100000 --capacity 800 --window 30 --health-window sliding|bucket
 *                            --modes seed,tuned,adaptive]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { generate } from 'otplib';
import pino from 'pino';
import { type App, createApp } from '../src/app.ts';
import { removeAnchor, testConfig } from '../test/helpers.ts';
import { coreTimes, stealPercent } from './login/machine.ts';
import type { Disruption } from '../src/disruptions/records.ts';
import type { Pacing } from '../src/restore/records.ts';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '100000' },
    capacity: { type: 'string', default: '800' },
    window: { type: 'string', default: '30' },
    'seed-window': { type: 'string', default: '15' },
    /** What the downstream's /health reports: the last 1,000 ms (sliding) or clock second (bucket). */
    'health-window': { type: 'string', default: 'sliding' },
    /** Which pacings to run, comma-separated; all three by default. */
    modes: { type: 'string', default: 'seed,tuned,adaptive' },
  },
});
const RECORDS = Number(values.records);
const C = Number(values.capacity);
const WINDOW_S = Number(values.window);
const SLO_MS = 100;
const slots = 8;
const serviceMs = (slots * 1000) / C;

const dir = mkdtempSync(join(tmpdir(), 'lifeline-bench-restore-'));
let downstream: ChildProcess | undefined;
let clientProcess: ChildProcess | undefined;
const cleanup = () => {
  downstream?.kill('SIGKILL');
  clientProcess?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
  removeAnchor(`${dir}.anchor`);
};
process.on('exit', cleanup);

/** The game backend's URL (joins, /health) and its control URL (stats). */
interface Downstream {
  url: string;
  controlUrl: string;
}

async function startDownstream(): Promise<Downstream> {
  downstream = spawn(
    process.execPath,
    [
      join(import.meta.dirname, '..', 'src/lab/process.ts'),
      'game',
      '--slots',
      String(slots),
      '--service-ms',
      String(serviceMs),
      '--health-window',
      values['health-window'],
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    },
  );
  const line = await new Promise<string>((resolve) =>
    createInterface({ input: downstream?.stdout as NodeJS.ReadableStream }).once('line', resolve),
  );
  const started = JSON.parse(line) as { url: string; controlUrl: string };
  return { url: started.url, controlUrl: started.controlUrl };
}

/** The game backend's whole clock seconds from the one holding `fromMs` to `toMs`: answers and p99. */
async function downstreamSeconds(
  down: Downstream,
  fromMs: number,
  toMs: number,
): Promise<{ joins: number; p99: number }[]> {
  const stats = (await (await fetch(`${down.controlUrl}/_lab/stats`)).json()) as {
    seconds: { at: number; answered: number; p99Ms: number }[];
  };
  return stats.seconds
    .filter((x) => x.at >= Math.floor(fromMs / 1000) * 1000 && x.at + 1000 <= toMs)
    .map((x) => ({ joins: x.answered, p99: x.p99Ms }));
}

async function seed(app: App): Promise<string> {
  const now = Date.now();
  const commandId = 'cmd-bench-restore';
  const disruptions: Disruption[] = Array.from({ length: RECORDS }, (_, i) => ({
    id: `dis-${String(i).padStart(7, '0')}`,
    sessionId: `s-${i}`,
    playerId: `p-${i}`,
    cause: 'kick',
    commandId,
    incidentId: null,
    at: now,
    snapshot: {
      region: 'na',
      shard: `na-${(i % 3) + 1}`,
      zone: null,
      clientVersion: null,
      licence: 'standard',
      provisional: false,
    },
    outcome: 'pending',
    outcomeReason: null,
  }));
  await app.store.recordCommand(
    {
      id: commandId,
      action: 'kick',
      selector: { all: true },
      reason: 'bench',
      requestedBy: 'bench',
      requestedAt: now,
      state: 'done',
      plan: {
        count: RECORDS,
        sample: [],
        byRegion: {},
        byShard: {},
        byLicence: {},
        byTier: { paying: RECORDS, free: 0 },
        online: RECORDS,
        shareOfOnline: 1,
      },
      policy: {
        tier: 'all',
        role: 'admin',
        totp: true,
        approvals: 1,
        cap: RECORDS,
        tolerance: 0,
        canary: 0,
        holdMs: 0,
      },
      approvals: [],
      expiresAt: null,
      progress: { ended: RECORDS, waves: 1 },
      haltCode: null,
      haltNote: null,
      finishedAt: now,
    },
    disruptions,
  );
  return commandId;
}

interface ModeResult {
  name: string;
  windowSeconds: number;
  restored: number;
  sustainedPerSecond: number;
  shareOfC: number;
  projectedSecondsFor100k: number;
  downstreamP99Ms: number;
  secondsOverSlo: number;
  rejoinErrors: number;
  /** CPU time the hypervisor took during the window (a noisy shared host), % of the machine. */
  stealPercent: number | null;
}

async function runMode(
  app: App,
  clients: ChildProcess,
  down: Downstream,
  commandId: string,
  name: string,
  pacing: Pacing,
  windowS: number,
  who: string,
): Promise<ModeResult> {
  const { otpauthUri } = await app.operators.add({ name: who, role: 'admin' }, 'bench');
  const operator = (await app.store.findOperator({ name: who })) as NonNullable<
    Awaited<ReturnType<typeof app.store.findOperator>>
  >;
  const secret = new URL(otpauthUri).searchParams.get('secret') as string;
  // Clients told to come back by Retry-After arrive spread over the batch's interval, not in
  // the same millisecond (that spread is what Retry-After's jitter is for).
  const spreadMs = pacing.mode === 'fixed' ? pacing.intervalMs : config.restore.tickMs;
  const off = app.events.on('restore.released', (e) => {
    const now = Date.now();
    clients.send({ tokens: e.disruptionIds.map((id) => app.tokens.issueResume(id, now)), spreadMs });
  });
  const report = () =>
    new Promise<{ restored: number; errors: number }>((resolve) => {
      clients.once('message', (m) => resolve(m as { restored: number; errors: number }));
      clients.send({ report: true });
    });
  const perSecond: number[] = [];
  const cores = coreTimes();
  const base = await report();
  const windowStart = Date.now();
  const status = await app.restores.start(
    {
      source: { commandId },
      pacing,
      thresholds: { downstreamP99Ms: SLO_MS, healthUrl: `${down.url}/health` },
      totp: await generate({ secret }),
    },
    operator,
  );
  let previous = base.restored;
  for (let s = 0; s < windowS; s++) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = (await report()).restored;
    if (process.env.BENCH_TRACE) {
      const st = await app.restores.status(status.restore.id);
      console.log(
        `  ${name} t=${s + 1}s restored/s=${now - previous} rate=${st.ratePerSecond.toFixed(0)} ${st.restore.state} ${st.restore.pauseReason ?? ''}`,
      );
    }
    perSecond.push(now - previous);
    previous = now;
  }
  const steal = stealPercent(cores, coreTimes());
  await app.restores.cancel(status.restore.id, operator, 'bench window over');
  off();
  await new Promise((r) => setTimeout(r, Math.min(spreadMs, 5000) + 500));
  const end = await report();
  const restored = end.restored - base.restored;
  const errors = end.errors - base.errors;
  const seconds = await downstreamSeconds(down, windowStart, Date.now());
  if (process.env.BENCH_TRACE)
    console.log(`  ${name} downstream p99 per second: ${seconds.map((x) => Math.round(x.p99)).join(' ')}`);
  // Sustained: the last half of the window, after any ramp-up.
  const tail = perSecond.slice(Math.floor(perSecond.length / 2));
  const sustained = tail.reduce((a, b) => a + b, 0) / Math.max(1, tail.length);
  const p99s = seconds
    .filter((x) => x.joins > 0)
    .map((x) => x.p99)
    .sort((a, b) => a - b);
  return {
    name,
    windowSeconds: windowS,
    restored,
    sustainedPerSecond: Math.round(sustained * 10) / 10,
    shareOfC: Math.round((sustained / C) * 1000) / 1000,
    projectedSecondsFor100k: Math.round(100_000 / Math.max(sustained, 0.001)),
    downstreamP99Ms: Math.round((p99s[Math.floor(p99s.length * 0.99)] ?? p99s.at(-1) ?? 0) * 10) / 10,
    secondsOverSlo: seconds.filter((x) => x.p99 > SLO_MS).length,
    rejoinErrors: errors,
    stealPercent: steal,
  };
}

const config = testConfig(dir, { restore: { tickMs: 250, healthyHoldSeconds: 2 } });
const app = await createApp({ config, logger: pino({ level: 'silent' }) });
try {
  const { playerUrl } = await app.listen();
  const down = await startDownstream();
  clientProcess = spawn(
    process.execPath,
    [join(import.meta.dirname, 'restore/clients.ts'), playerUrl, down.url],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const clients = clientProcess;
  console.log(
    `bench:restore ${new Date().toISOString()} on ${cpus()[0]?.model}, ${cpus().length} cores, Node ${process.version}`,
  );
  console.log(
    `${RECORDS} disruption records; downstream capacity C = ${C}/s (${slots} slots × ${serviceMs} ms), p99 SLO ${SLO_MS} ms, /health over ${values['health-window'] === 'sliding' ? 'the last 1,000 ms' : 'the last clock second'}`,
  );
  const t0 = performance.now();
  const commandId = await seed(app);
  console.log(`seeded in ${Math.round(performance.now() - t0)} ms`);
  const tuned = Math.round(C * 0.9);
  const modes = new Set(values.modes.split(','));
  const plans: [key: string, name: string, pacing: Pacing, windowS: number][] = [
    [
      'seed',
      'fixed 200 / 5 s (seed playbook)',
      { mode: 'fixed', batchSize: 200, intervalMs: 5000 },
      Number(values['seed-window']),
    ],
    [
      'tuned',
      `fixed ${Math.round(tuned / 4)} / 250 ms (hand-tuned, 90% of C)`,
      { mode: 'fixed', batchSize: Math.round(tuned / 4), intervalMs: 250 },
      WINDOW_S,
    ],
    ['adaptive', `adaptive, max ${2 * C}/s`, { mode: 'adaptive', maxRate: 2 * C }, WINDOW_S],
  ];
  const results: ModeResult[] = [];
  for (const [key, name, pacing, windowS] of plans) {
    if (!modes.has(key)) continue;
    results.push(await runMode(app, clients, down, commandId, name, pacing, windowS, `op-${key}`));
  }
  console.log('');
  console.log(
    'pacing                                         restored  sustained/s  share of C  projected 100k  downstream p99  s over SLO  rejoin errors  CPU steal',
  );
  for (const r of results) {
    console.log(
      `${r.name.padEnd(46)} ${String(r.restored).padStart(8)}  ${String(r.sustainedPerSecond).padStart(11)}  ${`${(r.shareOfC * 100).toFixed(1)}%`.padStart(10)}  ${`${r.projectedSecondsFor100k} s`.padStart(14)}  ${`${r.downstreamP99Ms} ms`.padStart(14)}  ${String(r.secondsOverSlo).padStart(10)}  ${String(r.rejoinErrors).padStart(13)}  ${(r.stealPercent === null ? '—' : `${r.stealPercent}%`).padStart(9)}`,
    );
  }
  const adaptive = results.find((r) => r.name.startsWith('adaptive'));
  if (adaptive)
    console.log(
      `\ntarget: adaptive ≥ 90% of C with p99 inside the SLO: ${adaptive.shareOfC >= 0.9 && adaptive.downstreamP99Ms <= SLO_MS ? 'MET' : 'MISSED'} (${(adaptive.shareOfC * 100).toFixed(1)}%, p99 ${adaptive.downstreamP99Ms} ms)`,
    );
  mkdirSync(join(import.meta.dirname, 'out'), { recursive: true });
  writeFileSync(
    join(import.meta.dirname, 'out', 'restore.json'),
    `${JSON.stringify({ date: new Date().toISOString(), records: RECORDS, capacity: C, sloMs: SLO_MS, results }, null, 2)}\n`,
  );
} finally {
  await app.close();
  cleanup();
}
