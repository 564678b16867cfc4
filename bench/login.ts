/**
 * Login throughput and memory per idle session, each against its baseline in the same run
 * (DESIGN.md, "Performance targets"):
 *
 *   1. logins/s: Lifeline (EdDSA JWT + SQLite grant) vs a bare Fastify route, same load;
 *      target >= 5,000/s and >= 40% of the bare route.
 *   2. memory per idle WebSocket: Lifeline (login + control socket) vs a bare `ws` server
 *      holding the same number of sockets; target <= 1.5x bare, >= 15k sockets per process.
 *      Beside them, a Colyseus server (`@colyseus/core` + `@colyseus/ws-transport`, one idle
 *      room every client joins) holding the same number: its memory per client and join rate.
 *
 * The server under test runs in one child allowed on cores 0 and 1 (so its signing workers can
 * use the second core); the load generator (or socket client) in another pinned to core 1; this
 * process only coordinates. All traffic is on
 * 127.0.0.1, bounded in count and time. When a target is missed, a CPU profile of Lifeline's
 * main thread over a short login run says where the time goes.
 *
 *   npm run bench:login [-- --sockets 15000 --duration 10 --warmup 3 --concurrency 96
 *                           --profile auto|always|never --only login|memory
 *                           --server-cpus 0 --signing-workers N]
 *
 * `--server-cpus` is the taskset list of cores the server under test may use (the load generator
 * stays on core 1); `--signing-workers` sets Lifeline's `tokens.signingWorkers` (its default
 * otherwise). Each flag also reads from the environment: BENCH_SOCKETS, BENCH_DURATION,
 * BENCH_WARMUP, BENCH_CONCURRENCY, BENCH_PROFILE, BENCH_ONLY, BENCH_SERVER_CPUS,
 * BENCH_SIGNING_WORKERS. Results go to bench/out/login.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Child, type ChildMessage, canPin, killAll } from './login/ipc.ts';
import type { LoadResult, LoadSpec } from './login/load.ts';
import {
  type MachineLoad,
  type MachineSample,
  machineLoad,
  sampleMachine,
  waitForQuiet,
} from './login/machine.ts';
import { type CpuProfile, type ProfileSummary, summariseProfile } from './login/profile.ts';

// Settings ----------------------------------------------------------------------------------------

const { values: flags } = parseArgs({
  options: {
    sockets: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    concurrency: { type: 'string' },
    profile: { type: 'string' },
    only: { type: 'string' },
    'server-cpus': { type: 'string' },
    'signing-workers': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (flags.help) {
  console.log(readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0]);
  process.exit(0);
}

function intSetting(
  name: string,
  flag: string | undefined,
  env: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = flag ?? process.env[env];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`--${name} (${env}) must be an integer from ${min} to ${max}, not ${raw}`);
    process.exit(2);
  }
  return n;
}

function choice<T extends string>(
  name: string,
  flag: string | undefined,
  env: string,
  allowed: readonly T[],
  fallback: T,
): T {
  const raw = flag ?? process.env[env];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    console.error(`--${name} (${env}) must be one of ${allowed.join(', ')}, not ${raw}`);
    process.exit(2);
  }
  return raw as T;
}

// The client process holds every socket plus a few files; 18,000 keeps it under the 20,000
// open files a process may have here.
const SOCKETS = intSetting('sockets', flags.sockets, 'BENCH_SOCKETS', 15_000, 100, 18_000);
const DURATION_S = intSetting('duration', flags.duration, 'BENCH_DURATION', 10, 2, 30);
const WARMUP_S = intSetting('warmup', flags.warmup, 'BENCH_WARMUP', 3, 1, 10);
const CONCURRENCY = intSetting('concurrency', flags.concurrency, 'BENCH_CONCURRENCY', 96, 1, 512);
const PROFILE = choice(
  'profile',
  flags.profile,
  'BENCH_PROFILE',
  ['auto', 'always', 'never'] as const,
  'auto',
);
const ONLY = choice('only', flags.only, 'BENCH_ONLY', ['all', 'login', 'memory'] as const, 'all');

// Both cores by default: Lifeline signs on worker threads, and a node is meant to use its cores.
// The bare route is single-threaded either way; `--server-cpus 0` is the placement before that.
const SERVER_CPUS = flags['server-cpus'] ?? process.env.BENCH_SERVER_CPUS ?? '0,1';
if (!/^\d+(,\d+)*$/.test(SERVER_CPUS)) {
  console.error(
    `--server-cpus (BENCH_SERVER_CPUS) must be a list of cores such as 0 or 0,1, not ${SERVER_CPUS}`,
  );
  process.exit(2);
}
const rawWorkers = flags['signing-workers'] ?? process.env.BENCH_SIGNING_WORKERS;
const SIGNING_WORKERS =
  rawWorkers === undefined || rawWorkers === ''
    ? undefined
    : intSetting('signing-workers', rawWorkers, 'BENCH_SIGNING_WORKERS', 0, 0, 64);

const TARGETS = {
  loginsPerSecond: 5_000,
  ratioOfBare: 0.4,
  memoryRatio: 1.5,
  socketsPerProcess: 15_000,
} as const;
const PROFILE_WARMUP_MS = 2_000;
const PROFILE_WINDOW_MS = 5_000;
const WARM_SOCKETS = 200;
const SETTLE_MS = 5_000;
/** At most this long before each login run, wait for other processes' bursts to pass. */
const QUIET_WAIT_MS = 10_000;
/** Other processes' CPU during a window above which the figures are flagged as disturbed. */
const DISTURBED_PERCENT = 15;
const CLIENT_CPU = 1;

const here = import.meta.dirname;
const script = (name: string) => join(here, 'login', name);
const outDir = join(here, 'out');
const tmpRoot = mkdtempSync(join(os.tmpdir(), 'lifeline-bench-'));

// Shutdown: no child outlives the bench, whatever ends it ---------------------------------------

let cleanedUp = false;
function cleanUp(): void {
  if (cleanedUp) return;
  cleanedUp = true;
  killAll();
  // Lifeline makes its audit anchor file append-only (chattr +a) where it may; undo that first.
  try {
    execFileSync('chattr', ['-R', '-a', tmpRoot], { stdio: 'ignore' });
  } catch {}
  rmSync(tmpRoot, { recursive: true, force: true });
}
process.on('exit', cleanUp);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    console.error(`\n${signal}: stopping the bench`);
    cleanUp();
    process.exit(130);
  });
}
setTimeout(() => {
  console.error('The bench ran past 260 s; stopping it.');
  cleanUp();
  process.exit(1);
}, 260_000).unref();

// Helpers -----------------------------------------------------------------------------------------

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const pct = (x: number) => `${fmt(x * 100, 1)}%`;
const KB = 1024;

async function startServer(
  kind: 'lifeline' | 'fastify' | 'ws' | 'colyseus',
  nodeFlags: string[] = [],
  extra: string[] = [],
): Promise<{ child: Child; port: number; url: string }> {
  const dataDir = mkdtempSync(join(tmpRoot, `${kind}-`));
  const child = new Child({
    script: script('server.ts'),
    args: [
      kind,
      dataDir,
      ...extra,
      ...(kind === 'lifeline' && SIGNING_WORKERS !== undefined ? [`signing-workers=${SIGNING_WORKERS}`] : []),
    ],
    // Fastify's notice that `disableRequestLogging` is deprecated is noise in a report.
    nodeFlags: ['--disable-warning=FSTDEP023', ...nodeFlags],
    cpu: SERVER_CPUS,
    label: `${kind} server`,
  });
  const ready = await child.next('ready', 30_000);
  const url = String(ready.url);
  return { child, port: Number(new URL(url).port), url };
}

interface Mark {
  cpu: NodeJS.CpuUsage;
  mainCpu: NodeJS.CpuUsage;
  elu: { idle: number; active: number };
  at: number;
  io: Record<string, number> | null;
}

interface LoginRun {
  server: string;
  load: LoadResult;
  /** Server process CPU (all threads) over the window, in % of one core. */
  serverCpuPercent: number;
  /** Share of the window the server's main thread was busy. */
  serverEventLoopUtilisation: number;
  /** The server's main-thread CPU time per answered request, in µs. */
  serverMainCpuUsPerRequest: number;
  machine: MachineLoad | null;
  /** How long the run waited for the machine to be quiet before starting, and whether it was. */
  quietBefore: { waitedMs: number; quiet: boolean; busyCores: number };
  /** Per answered request: write syscalls (socket and file) and bytes sent to storage. */
  serverWritesPerRequest: number | null;
  serverStorageBytesPerRequest: number | null;
}

/** One closed-loop login run against a fresh server; optionally profiles the window. */
async function loginRun(
  kind: 'lifeline' | 'fastify',
  windowMs: number,
  warmupMs: number,
  profileFile?: string,
): Promise<LoginRun> {
  const quietBefore = await waitForQuiet(QUIET_WAIT_MS);
  const { child: server, port } = await startServer(kind);
  const load = new Child({ script: script('load.ts'), cpu: CLIENT_CPU, label: 'load generator' });
  try {
    await load.next('ready', 30_000);
    const marks: Promise<ChildMessage>[] = [];
    const samples: MachineSample[] = [];
    let profiled: Promise<unknown> = Promise.resolve();
    const off = load.on((m) => {
      if (m.type === 'window-start' || m.type === 'window-end') samples.push(sampleMachine());
      if (m.type === 'window-start') {
        marks.push(server.request('mark'));
        if (profileFile) profiled = server.request('profile-start');
      } else if (m.type === 'window-end') {
        marks.push(server.request('mark'));
        if (profileFile)
          profiled = profiled.then(() => server.request('profile-stop', { file: profileFile }));
      }
    });
    const spec: LoadSpec = {
      port,
      concurrency: CONCURRENCY,
      warmupMs,
      durationMs: windowMs,
      idPrefix: `${kind}-${Date.now()}`,
    };
    const { result } = (await load.request('run', { ...spec }, warmupMs + windowMs + 30_000)) as unknown as {
      result: LoadResult;
    };
    off();
    await profiled;
    const [a, b] = (await Promise.all(marks)) as unknown as [Mark, Mark];
    const wallMs = b.at - a.at;
    const cpuMs = (b.cpu.user + b.cpu.system - a.cpu.user - a.cpu.system) / 1000;
    const active = b.elu.active - a.elu.active;
    const idle = b.elu.idle - a.elu.idle;
    const answered = Math.max(1, result.ok + result.errors);
    const ioPer = (key: string) =>
      a.io && b.io ? Math.round((((b.io[key] ?? 0) - (a.io[key] ?? 0)) / answered) * 10) / 10 : null;
    return {
      server: kind,
      load: result,
      serverCpuPercent: Math.round((cpuMs / wallMs) * 1000) / 10,
      serverEventLoopUtilisation: Math.round((active / (active + idle)) * 1000) / 1000,
      serverMainCpuUsPerRequest:
        Math.round(
          ((b.mainCpu.user + b.mainCpu.system - a.mainCpu.user - a.mainCpu.system) / answered) * 10,
        ) / 10,
      serverWritesPerRequest: ioPer('syscw'),
      serverStorageBytesPerRequest: ioPer('write_bytes'),
      machine:
        samples[0] && samples[1]
          ? machineLoad(samples[0], samples[1], [process.pid, server.pid ?? -1, load.pid ?? -1])
          : null,
      quietBefore,
    };
  } finally {
    await load.stop();
    await server.stop();
  }
}

interface MemorySnapshot {
  memory: NodeJS.MemoryUsage & { gc: boolean };
  counts: Record<string, number>;
}

interface MemoryRun {
  server: string;
  requested: number;
  warmed: number;
  opened: number;
  failed: number;
  firstError: string | null;
  openMs: number;
  login?: { ok: number; failed: number; ms: number; firstError: string | null };
  before: MemorySnapshot;
  afterLogins?: MemorySnapshot;
  after: MemorySnapshot;
  /** Sockets the client still had open, and those the server closed, after the settle time. */
  stillOpen: number;
  closedByServer: number;
}

async function memoryRun(kind: 'lifeline' | 'ws' | 'colyseus', n: number): Promise<MemoryRun> {
  const { child: server, port } = await startServer(
    kind,
    ['--expose-gc'],
    kind === 'lifeline' ? ['hold-idle'] : [],
  );
  const client = new Child({
    script: script('sockets.ts'),
    args: [kind, String(port)],
    cpu: CLIENT_CPU,
    label: 'socket client',
  });
  try {
    await client.next('ready', 30_000);
    // Pay one-time costs (lazy compilation, first-use allocations) before the baseline.
    const warm = await client.request('warm', { n: WARM_SOCKETS, prefix: `warm-${Date.now()}` });
    const snapshot = async () => (await server.request('memory')) as unknown as MemorySnapshot;
    const before = await snapshot();
    let login: MemoryRun['login'];
    let afterLogins: MemorySnapshot | undefined;
    if (kind === 'lifeline') {
      const l = await client.request('login', { n, prefix: `mem-${Date.now()}` }, 90_000);
      login = {
        ok: Number(l.ok),
        failed: Number(l.failed),
        ms: Number(l.ms),
        firstError: (l.firstError as string) ?? null,
      };
      afterLogins = await snapshot();
    }
    const opened = await client.request('open', { n }, 120_000);
    await sleep(SETTLE_MS);
    const after = await snapshot();
    const status = await client.request('status');
    return {
      server: kind,
      requested: n,
      warmed: Number(warm.ok),
      opened: Number(opened.ok),
      failed: Number(opened.failed),
      firstError: (opened.firstError as string) ?? null,
      openMs: Number(opened.ms),
      ...(login ? { login } : {}),
      before,
      ...(afterLogins ? { afterLogins } : {}),
      after,
      stillOpen: Number(status.open),
      closedByServer: Number(status.closedAfterOpen),
    };
  } finally {
    await client.stop();
    await server.stop();
  }
}

const perSocketKB = (
  from: MemorySnapshot,
  to: MemorySnapshot,
  n: number,
  key: 'rss' | 'heapUsed' | 'external',
) => Math.round(((to.memory[key] - from.memory[key]) / n / KB) * 100) / 100;

// Run ---------------------------------------------------------------------------------------------

const cpus = os.cpus();
const machine = {
  cpu: cpus[0]?.model ?? 'unknown',
  cores: cpus.length,
  node: process.version,
  platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  memoryGB: Math.round(os.totalmem() / 1024 ** 3),
  pinned: canPin,
};
const date = new Date().toISOString();

const out: Record<string, unknown> = {
  date,
  machine,
  settings: {
    sockets: SOCKETS,
    durationSeconds: DURATION_S,
    warmupSeconds: WARMUP_S,
    concurrency: CONCURRENCY,
    profile: PROFILE,
    serverCpus: SERVER_CPUS,
    signingWorkers: SIGNING_WORKERS ?? 'default',
  },
  targets: TARGETS,
};

const lines: string[] = [];
const say = (line = '') => {
  lines.push(line);
  console.log(line);
};

say(`Lifeline login bench, ${date}`);
say(
  `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGB} GB, ${machine.platform}, node ${machine.node}`,
);
say(
  canPin
    ? `placement: server under test pinned to core(s) ${SERVER_CPUS}, load generator/socket client to core ${CLIENT_CPU} (taskset); ` +
        `Lifeline tokens.signingWorkers ${SIGNING_WORKERS ?? 'default'}`
    : 'placement: taskset not found, children not pinned (server and client may share a core)',
);

const started = performance.now();
let exitCode = 0;
try {
  mkdirSync(outDir, { recursive: true });
  let loginMissed = false;

  if (ONLY !== 'memory') {
    say();
    say(
      `1. Logins/s: closed loop, ${CONCURRENCY} keep-alive connections, a new playerId per request, ` +
        `${WARMUP_S} s warm-up then ${DURATION_S} s measured`,
    );
    const bare = await loginRun('fastify', DURATION_S * 1000, WARMUP_S * 1000);
    const lifeline = await loginRun('lifeline', DURATION_S * 1000, WARMUP_S * 1000);
    const ratio = lifeline.load.requestsPerSecond / Math.max(1, bare.load.requestsPerSecond);
    const row = (name: string, r: LoginRun) =>
      `   ${name.padEnd(14)}${fmt(r.load.requestsPerSecond).padStart(9)}${fmt(r.load.latencyMs.p50, 2).padStart(9)}` +
      `${fmt(r.load.latencyMs.p99, 2).padStart(9)}${fmt(r.load.latencyMs.max, 1).padStart(9)}${fmt(r.load.errors).padStart(8)}` +
      `${`${fmt(r.serverCpuPercent)}%`.padStart(12)}${pct(r.serverEventLoopUtilisation).padStart(11)}` +
      `${`${fmt(r.load.clientCpuPercent)}%`.padStart(12)}`;
    say('                    req/s   p50 ms   p99 ms   max ms  errors  server CPU  server ELU  client CPU');
    say(row('bare Fastify', bare));
    say(row('Lifeline', lifeline));
    for (const r of [bare, lifeline]) {
      if (r.load.errors > 0)
        say(`   ${r.server} errors: ${JSON.stringify(r.load.statuses)}; first: ${r.load.firstError}`);
    }
    for (const [name, r] of [
      ['bare Fastify', bare],
      ['Lifeline', lifeline],
    ] as const) {
      say(
        `   ${name}: per second ${r.load.perSecond.map((n) => fmt(n)).join(' ')}; longest stall ${fmt(r.load.longestStallMs)} ms; ` +
          `per request ${r.serverWritesPerRequest ?? '?'} write syscalls, ${r.serverStorageBytesPerRequest ?? '?'} bytes to storage`,
      );
      if (r.machine) {
        say(
          `     machine during the window: ${r.machine.cores.map((c) => `${c.cpu} busy ${fmt(c.busyPercent)}% (steal ${fmt(c.stealPercent, 1)}%)`).join(', ')}; ` +
            `other processes ${fmt(r.machine.othersPercent)}% of a core` +
            (r.machine.othersPercent >= 5
              ? ` (top: ${r.machine.topOthers.map((o) => `${o.name} ${fmt(o.percent)}%`).join('; ')})`
              : ''),
        );
        if (r.machine.othersPercent >= DISTURBED_PERCENT) {
          say(
            `     WARNING: other processes took ${fmt(r.machine.othersPercent)}% of a core during this window; this figure is disturbed, rerun on a quiet machine`,
          );
        }
      }
      if (!r.quietBefore.quiet) {
        say(
          `     (the machine was still busy, ${fmt(r.quietBefore.busyCores * 100)}% of a core, after waiting ${fmt(r.quietBefore.waitedMs / 1000)} s before this run)`,
        );
      }
    }
    say(`   Lifeline / bare = ${pct(ratio)}`);
    // The main thread bounds both servers: its CPU per request says what each would do with a
    // core to itself, which other processes' load disturbs far less than requests per second.
    const mainRatio = bare.serverMainCpuUsPerRequest / Math.max(0.1, lifeline.serverMainCpuUsPerRequest);
    say(
      `   main-thread CPU per request: bare ${fmt(bare.serverMainCpuUsPerRequest, 1)} µs, Lifeline ` +
        `${fmt(lifeline.serverMainCpuUsPerRequest, 1)} µs; bare / Lifeline = ${pct(mainRatio)} ` +
        '(the ratio a quiet machine would show if the main threads were the only limit)',
    );
    const rpsOk = lifeline.load.requestsPerSecond >= TARGETS.loginsPerSecond && lifeline.load.errors === 0;
    const ratioOk = ratio >= TARGETS.ratioOfBare;
    loginMissed = !rpsOk || !ratioOk;
    say(
      `   target >= ${fmt(TARGETS.loginsPerSecond)} logins/s: ${rpsOk ? 'MET' : 'MISSED'} (${fmt(lifeline.load.requestsPerSecond)}/s` +
        `${lifeline.load.errors > 0 ? `, ${fmt(lifeline.load.errors)} errors` : ''}); ` +
        `target >= ${pct(TARGETS.ratioOfBare)} of bare: ${ratioOk ? 'MET' : 'MISSED'} (${pct(ratio)})`,
    );
    say(
      '   (server CPU = all threads of the server process in % of one core; ELU = share of time its main ' +
        'thread was busy; latencies are closed-loop, i.e. at this concurrency, not at a fixed arrival rate)',
    );
    if (bare.load.clientCpuPercent >= 90) {
      say(
        `   note: the load generator used ${fmt(bare.load.clientCpuPercent)}% of its core against the bare route, so the ` +
          'bare figure may be limited by the client: the ratio is then an upper bound.',
      );
    }
    out.login = {
      bare,
      lifeline,
      ratio: Math.round(ratio * 1000) / 1000,
      mainThreadRatio: Math.round(mainRatio * 1000) / 1000,
      met: { loginsPerSecond: rpsOk, ratioOfBare: ratioOk },
    };

    if (PROFILE === 'always' || (PROFILE === 'auto' && loginMissed)) {
      const file = join(outDir, 'login-lifeline.cpuprofile');
      say();
      say(
        `   Profile: Lifeline main thread over a ${PROFILE_WINDOW_MS / 1000} s login window (same load, ` +
          `${PROFILE_WARMUP_MS / 1000} s warm-up; profiling slows it, so its rate is not the figure above)`,
      );
      const profiled = await loginRun('lifeline', PROFILE_WINDOW_MS, PROFILE_WARMUP_MS, file);
      const summary: ProfileSummary = summariseProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
      say(
        `   profiled run: ${fmt(profiled.load.requestsPerSecond)} logins/s, server CPU ${fmt(profiled.serverCpuPercent)}%, ` +
          `main thread idle ${fmt(summary.idlePercent, 1)}% of ${fmt(summary.sampledMs)} ms sampled`,
      );
      say('   self time by area (% of busy main-thread time):');
      for (const a of summary.byArea) say(`     ${`${fmt(a.percent, 1)}%`.padStart(6)}  ${a.name}`);
      say('   top functions by self time:');
      for (const f of summary.topFunctions) say(`     ${`${fmt(f.percent, 1)}%`.padStart(6)}  ${f.name}`);
      say('   Lifeline functions including what they call (synchronous part):');
      for (const f of summary.lifelineInclusive)
        say(`     ${`${fmt(f.percent, 1)}%`.padStart(6)}  ${f.name}`);
      say(`   full profile: ${file} (open in Chrome DevTools > Performance)`);
      out.profile = { run: profiled, summary, file };
    }
  }

  if (ONLY !== 'login') {
    say();
    say(
      `2. Memory per idle WebSocket: N = ${fmt(SOCKETS)} sockets held by the server process, opened by a client ` +
        `process; ${WARM_SOCKETS} sockets opened and closed first; RSS/heap read after a forced GC, ${SETTLE_MS / 1000} s after the last socket opened`,
    );
    const bare = await memoryRun('ws', SOCKETS);
    const lifeline = await memoryRun('lifeline', SOCKETS);
    const colyseus = await memoryRun('colyseus', SOCKETS);
    const problems: string[] = [];
    for (const r of [bare, lifeline, colyseus]) {
      if (r.opened !== r.requested || r.stillOpen !== r.opened || r.closedByServer > 0) {
        problems.push(
          `${r.server}: opened ${r.opened}/${r.requested}, still open ${r.stillOpen}, closed by server ${r.closedByServer}` +
            `${r.firstError ? `; first error: ${r.firstError}` : ''}`,
        );
      }
      if ((r.after.counts.sockets ?? r.opened) !== r.opened) {
        problems.push(
          `${r.server}: server holds ${r.after.counts.sockets} sockets, client opened ${r.opened}`,
        );
      }
    }
    if (lifeline.login && lifeline.login.failed > 0) {
      problems.push(`lifeline: ${lifeline.login.failed} logins failed; first: ${lifeline.login.firstError}`);
    }
    const bareRss = perSocketKB(bare.before, bare.after, bare.opened, 'rss');
    const bareHeap = perSocketKB(bare.before, bare.after, bare.opened, 'heapUsed');
    const llTotalRss = perSocketKB(lifeline.before, lifeline.after, lifeline.opened, 'rss');
    const llTotalHeap = perSocketKB(lifeline.before, lifeline.after, lifeline.opened, 'heapUsed');
    const afterLogins = lifeline.afterLogins as MemorySnapshot;
    const llSocketRss = perSocketKB(afterLogins, lifeline.after, lifeline.opened, 'rss');
    const llSocketHeap = perSocketKB(afterLogins, lifeline.after, lifeline.opened, 'heapUsed');
    const llLoginRss = perSocketKB(lifeline.before, afterLogins, lifeline.opened, 'rss');
    const llLoginHeap = perSocketKB(lifeline.before, afterLogins, lifeline.opened, 'heapUsed');
    const ratio = llTotalRss / bareRss;
    const mb = (b: number) => `${fmt(b / 1024 ** 2, 1)} MB`;
    say(
      '                                          RSS KB/socket  heapUsed KB/socket  heapTotal KB/socket   RSS before -> after',
    );
    const row = (name: string, from: MemorySnapshot, to: MemorySnapshot, n: number) => {
      const per = (key: 'rss' | 'heapUsed' | 'heapTotal') =>
        fmt((to.memory[key] - from.memory[key]) / n / KB, 2);
      return (
        `   ${name.padEnd(38)}${per('rss').padStart(14)}${per('heapUsed').padStart(20)}${per('heapTotal').padStart(21)}` +
        `   ${mb(from.memory.rss)} -> ${mb(to.memory.rss)}`
      );
    };
    say(row('bare ws (connect + 1 message)', bare.before, bare.after, bare.opened));
    say(row('Lifeline, from before logins [target]', lifeline.before, lifeline.after, lifeline.opened));
    say(row('  of which logins (session records)', lifeline.before, afterLogins, lifeline.opened));
    say(row('  of which sockets (after logins)', afterLogins, lifeline.after, lifeline.opened));
    say(row('Colyseus 0.18 (seat + join an idle room)', colyseus.before, colyseus.after, colyseus.opened));
    say(
      '   (heapUsed = live JS objects; heapTotal = V8 heap committed, which a burst of garbage grows and a GC ' +
        'does not always give back)',
    );
    say(
      `   Lifeline / bare ws = ${fmt(ratio, 2)}x, compared on RSS from before the logins, i.e. each session's full cost: ` +
        'its live session record and durable grant plus its socket',
    );
    say(`   (sockets only, from after the logins: ${fmt(llSocketRss / bareRss, 2)}x bare)`);
    say(
      `   opened: bare ${fmt(bare.opened)} in ${fmt(bare.openMs / 1000, 1)} s; Lifeline ${fmt(lifeline.opened)} in ` +
        `${fmt(lifeline.openMs / 1000, 1)} s after ${fmt(lifeline.login?.ok ?? 0)} logins in ${fmt((lifeline.login?.ms ?? 0) / 1000, 1)} s; ` +
        `server counts: bare ${bare.after.counts.sockets}, Lifeline ${lifeline.after.counts.sockets} sockets / ` +
        `${lifeline.after.counts.liveSessions} live sessions`,
    );
    const colyseusRss = perSocketKB(colyseus.before, colyseus.after, colyseus.opened, 'rss');
    const colyseusHeap = perSocketKB(colyseus.before, colyseus.after, colyseus.opened, 'heapUsed');
    const perSecond = (r: MemoryRun) => Math.round(r.opened / Math.max(0.001, r.openMs / 1000));
    const rates = { bare: perSecond(bare), lifeline: perSecond(lifeline), colyseus: perSecond(colyseus) };
    say(
      `   Colyseus / bare ws = ${fmt(colyseusRss / bareRss, 2)}x; Lifeline / Colyseus = ${fmt(llTotalRss / colyseusRss, 2)}x (RSS per session)`,
    );
    say(
      `   connect rate (one client process, ${Math.min(256, SOCKETS)} in flight): bare ws ${fmt(rates.bare)}/s (connect + greeting); ` +
        `Lifeline ${fmt(rates.lifeline)}/s (control socket + welcome, logins before) and ${fmt(Math.round((lifeline.login?.ok ?? 0) / Math.max(0.001, (lifeline.login?.ms ?? 0) / 1000)))} logins/s; ` +
        `Colyseus ${fmt(rates.colyseus)}/s (seat reservation + socket + join); server counts: Colyseus ${colyseus.after.counts.sockets} clients in ${colyseus.after.counts.rooms} room(s)`,
    );
    const held = lifeline.opened >= TARGETS.socketsPerProcess && problems.length === 0;
    const memOk = ratio <= TARGETS.memoryRatio && problems.length === 0;
    say(
      `   target <= ${TARGETS.memoryRatio}x bare ws per session: ${memOk ? 'MET' : 'MISSED'} (${fmt(ratio, 2)}x); ` +
        `target >= ${fmt(TARGETS.socketsPerProcess)} sockets in one process: ${held ? 'MET' : SOCKETS < TARGETS.socketsPerProcess ? `NOT TESTED (N = ${SOCKETS})` : 'MISSED'}`,
    );
    for (const p of problems) say(`   problem: ${p}`);
    out.memory = {
      bare,
      lifeline,
      colyseus,
      connectPerSecond: {
        ...rates,
        lifelineLogins: Math.round(
          (lifeline.login?.ok ?? 0) / Math.max(0.001, (lifeline.login?.ms ?? 0) / 1000),
        ),
      },
      colyseusRatioToBare: Math.round((colyseusRss / bareRss) * 100) / 100,
      kbPerSocket: {
        bareRss,
        bareHeap,
        colyseusRss,
        colyseusHeap,
        lifelineFromBeforeLoginsRss: llTotalRss,
        lifelineFromBeforeLoginsHeap: llTotalHeap,
        lifelineLoginsOnlyRss: llLoginRss,
        lifelineLoginsOnlyHeap: llLoginHeap,
        lifelineSocketsOnlyRss: llSocketRss,
        lifelineSocketsOnlyHeap: llSocketHeap,
      },
      ratio: Math.round(ratio * 100) / 100,
      comparedOn: 'RSS delta from before the logins to all sockets open and idle, per socket',
      problems,
      met: { memoryRatio: memOk, socketsPerProcess: held },
    };
  }
} catch (err) {
  exitCode = 1;
  say();
  say(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  out.error = err instanceof Error ? err.message : String(err);
} finally {
  killAll();
}

say();
say(`total bench time ${fmt((performance.now() - started) / 1000, 1)} s; results in bench/out/login.json`);
out.report = lines;
writeFileSync(join(outDir, 'login.json'), `${JSON.stringify(out, null, 2)}\n`);
cleanUp();
process.exit(exitCode);
