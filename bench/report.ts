/**
 * docs/BENCHMARKS.md's generated section, from the benches' own results (bench/out/*.json) and
 * the run `npm run bench` recorded (bench/out/all.json: machine, date, each bench's exit and the
 * CPU steal while it ran). Pure: no I/O, so a test feeds it fixtures.
 *
 * Every figure is printed as its bench wrote it: thousands separated, never rounded again, never
 * derived here (a ratio the bench did not write is not computed); a figure a result lacks shows
 * as "—". The section sits between two markers; what is outside them (the hand-written history)
 * is kept as it is.
 */

export const START_MARKER = '<!-- bench:generated:start -->';
export const END_MARKER = '<!-- bench:generated:end -->';

/** One bench as `npm run bench` ran it. */
export interface BenchRun {
  name: string;
  command: string;
  /** null: not run (skipped, or its services are missing). */
  exitCode: number | null;
  skipped?: string;
  startedAt: string;
  seconds: number;
  /** The hypervisor's share of the machine's CPU time while it ran, %; null off Linux. */
  stealPercent: number | null;
  /**
   * Everyone else's CPU while it ran, % of one core: the machine's busy time less the bench's own
   * (other sessions' work on a shared machine).
   */
  othersPercent: number | null;
}

/** bench/out/all.json. */
export interface AllRun {
  date: string;
  machine: { cpu: string; cores: number; memoryGB: number; platform: string; node: string };
  runs: BenchRun[];
}

/** A table row: what, the figure, its same-run baseline, the ratio the bench wrote, the target. */
type Row = [measure: string, figure: string, baseline: string, ratio: string, target: string];

type Json = Record<string, unknown>;

/** A value at a dotted path, or undefined. */
export function at(json: unknown, path: string): unknown {
  let v: unknown = json;
  for (const key of path.split('.')) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Json)[key];
  }
  return v;
}

/** A number as written, with thousands separators on its integer part; "—" when not a number. */
export function num(v: unknown, unit = ''): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '—';
  const [int = '', frac] = String(v).split('.');
  if (int.includes('e')) return `${String(v)}${unit}`;
  const sign = int.startsWith('-') ? '-' : '';
  const digits = sign ? int.slice(1) : int;
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}${grouped}${frac === undefined ? '' : `.${frac}`}${unit}`;
}

/** A rate per node is a total over the nodes divided by their count: whole logins a second. */
const whole = (v: unknown) => (typeof v === 'number' ? Math.round(v) : v);
const ratio = (v: unknown) => (typeof v === 'number' ? `${num(v)}×` : '—');
const pct = (v: unknown) => (typeof v === 'number' ? `${num(v)}%` : '—');
const met = (v: unknown) => (v === true ? ' (met)' : v === false ? ' (**missed**)' : '');

function login(j: Json): Row[] {
  const rows: Row[] = [];
  if (at(j, 'login') !== undefined)
    rows.push(
      [
        'logins/s, one node (JWT EdDSA + SQLite grant)',
        `${num(at(j, 'login.lifeline.load.requestsPerSecond'))}/s (p99 ${num(at(j, 'login.lifeline.load.latencyMs.p99'))} ms)`,
        `bare Fastify route ${num(at(j, 'login.bare.load.requestsPerSecond'))}/s`,
        ratio(at(j, 'login.ratio')),
        `≥ 5,000/s${met(at(j, 'login.met.loginsPerSecond'))}, ≥ 0.4× bare${met(at(j, 'login.met.ratioOfBare'))}`,
      ],
      [
        'main-thread CPU per login',
        `${num(at(j, 'login.lifeline.serverMainCpuUsPerRequest'))} µs`,
        `bare ${num(at(j, 'login.bare.serverMainCpuUsPerRequest'))} µs`,
        ratio(at(j, 'login.mainThreadRatio')),
        '',
      ],
    );
  if (at(j, 'memory') === undefined) return rows;
  const n = num(at(j, 'memory.lifeline.opened'));
  rows.push(
    [
      `RSS per idle session (login + socket), ${n} held`,
      `${num(at(j, 'memory.kbPerSocket.lifelineFromBeforeLoginsRss'))} KB`,
      `bare ws ${num(at(j, 'memory.kbPerSocket.bareRss'))} KB (${num(at(j, 'memory.bare.opened'))} held)`,
      ratio(at(j, 'memory.ratio')),
      `≤ 1.5× bare${met(at(j, 'memory.met.memoryRatio'))}, ≥ 15,000 held${met(at(j, 'memory.met.socketsPerProcess'))}`,
    ],
    [
      `Colyseus 0.18: RSS per joined idle client, ${num(at(j, 'memory.colyseus.opened'))} held`,
      `${num(at(j, 'memory.kbPerSocket.colyseusRss'))} KB`,
      `bare ws ${num(at(j, 'memory.kbPerSocket.bareRss'))} KB`,
      ratio(at(j, 'memory.colyseusRatioToBare')),
      '(comparison)',
    ],
    [
      'connect rate, one client process',
      `Lifeline ${num(at(j, 'memory.connectPerSecond.lifeline'))}/s sockets (logins ${num(at(j, 'memory.connectPerSecond.lifelineLogins'))}/s); Colyseus ${num(at(j, 'memory.connectPerSecond.colyseus'))}/s seat + join`,
      `bare ws ${num(at(j, 'memory.connectPerSecond.bare'))}/s`,
      '—',
      '',
    ],
  );
  return rows;
}

function kick(j: Json): Row[] {
  return [
    [
      `runaway kick script vs ${num(at(j, 'sessions'))} online: kicked before the trip`,
      `${num(at(j, 'runaway.kickedBeforeTrip'))} (cap ${num(at(j, 'runaway.cap'))}); trip ${num(at(j, 'runaway.tripAfterCapMs'))} ms after the cap`,
      `no breaker, same ${num(at(j, 'runaway.seconds'))} s: ${num(at(j, 'runaway.baselineKickedSameTime'))} kicked`,
      ratio(at(j, 'runaway.ratioKickedVsBaseline')),
      `≤ cap${met(at(j, 'targets.kickedAtMostCap'))}, trip ≤ 250 ms${met(at(j, 'targets.tripWithin250ms'))}`,
    ],
    [
      `approved bulk kick of ${num(at(j, 'bulk.ended'))}, records durable`,
      `${num(at(j, 'bulk.ms'))} ms, ${num(at(j, 'bulk.waves'))} waves, ${num(at(j, 'bulk.durableRecords'))} records`,
      '—',
      '—',
      `≤ 2,000 ms${met(at(j, 'targets.bulkWithin2s'))}`,
    ],
  ];
}

function restore(j: Json): Row[] {
  const results = Array.isArray(j.results) ? (j.results as Json[]) : [];
  const c = num(at(j, 'capacity'));
  return results.map((r) => [
    `restore of ${num(at(j, 'records'))} records: ${String(r.name ?? '?')}`,
    `${num(r.sustainedPerSecond)}/s sustained, downstream p99 ${num(r.downstreamP99Ms)} ms, ${num(r.rejoinErrors)} rejoin errors`,
    `downstream capacity C = ${c}/s, SLO ${num(at(j, 'sloMs'))} ms`,
    `${ratio(r.shareOfC)} C`,
    String(r.name ?? '').startsWith('adaptive') ? '≥ 0.9× C, p99 within the SLO' : '',
  ]);
}

function storm(j: Json): Row[] {
  const results = Array.isArray(j.results) ? (j.results as Json[]) : [];
  return results.map((r) => {
    const n = r.n ?? j.N;
    const start = typeof r.start === 'string' ? `, ${r.start}` : '';
    const ideal =
      typeof r.idealSeconds === 'number' ? `${num(r.idealSeconds)} s` : `${num(n)} / ${num(j.C)}/s`;
    return [
      `login storm, ${num(n)} clients${start}, ${String(r.mode ?? '?')}`,
      `${num(r.admitted)} admitted, all in after ${num(r.allInSeconds)} s; first-ETA error median ${pct(r.etaMedianErrorPct)}, p90 ${pct(r.etaP90ErrorPct)}`,
      `N/C = ${ideal}`,
      `${ratio(r.ratioToIdeal)} N/C`,
      r.mode === 'naive' ? '(unprotected baseline)' : '≤ 1.15× N/C, ETA error ≤ 20%',
    ];
  });
}

function cluster(j: Json): Row[] {
  const rows: Row[] = [];
  if (at(j, 'kick') !== undefined)
    rows.push([
      'kick fan-out, time to the last kicked socket (median)',
      `three nodes ${num(at(j, 'kick.medians.three'))} ms`,
      `one node ${num(at(j, 'kick.medians.one'))} ms`,
      ratio(at(j, 'kick.ratio')),
      '',
    ]);
  if (at(j, 'login') !== undefined)
    rows.push(
      [
        'logins/s per node on PostgreSQL + Redis (median)',
        `one node ${num(at(j, 'login.perNode.postgresOne'))}/s; three nodes ${num(whole(at(j, 'login.perNode.postgresThreeEach')))}/s each`,
        `one node on SQLite ${num(at(j, 'login.perNode.sqlite'))}/s`,
        ratio(at(j, 'login.perNode.ratio')),
        '≥ 0.5× the SQLite node',
      ],
      [
        'PostgreSQL CPU per login (one node)',
        `${num(at(j, 'login.perNode.postgresCpuUs'))} µs`,
        '—',
        '—',
        '',
      ],
    );
  return rows;
}

function slowlog(j: Json): Row[] {
  return [
    [
      `Redis slow log during an approved kick of ${num(at(j, 'sessions'))}`,
      `${num(at(j, 'slowLog.logged'))} commands over ${num(at(j, 'slowLog.slowerThanUs'))} µs, longest ${num(at(j, 'slowLog.longestMs'))} ms; ${num(at(j, 'slowLog.overLimit'))} over ${num(at(j, 'slowLog.limitMs'))} ms; kick ${num(at(j, 'kick.ms'))} ms`,
      '—',
      '—',
      `0 over ${num(at(j, 'slowLog.limitMs'))} ms`,
    ],
  ];
}

function audit(j: Json): Row[] {
  const n = num(at(j, 'settings.entries'));
  return [
    [
      `audit appends, batched (${num(at(j, 'settings.callers'))} concurrent callers, ${n} entries)`,
      `${num(at(j, 'summary.appendsPerSecond'))}/s`,
      `raw node:sqlite inserts of the same rows ${num(at(j, 'summary.rawInsertsPerSecond'))}/s`,
      ratio(at(j, 'summary.appendVsRaw')),
      `≥ 50,000/s${met(at(j, 'targets.appendsAtLeast50k'))}`,
    ],
    [
      `audit verify (${num(at(j, 'settings.verifyWorkers'))} worker threads)`,
      `${num(at(j, 'summary.verifiedPerSecond'))}/s (one thread ${num(at(j, 'summary.verifiedOneThreadPerSecond'))}/s; the anchored walk ${num(at(j, 'summary.anchoredVerifiedPerSecond'))}/s)`,
      `raw inserts ${num(at(j, 'summary.rawInsertsPerSecond'))}/s`,
      ratio(at(j, 'summary.verifyVsRawInserts')),
      `≥ 500,000/s${met(at(j, 'targets.verifiedAtLeast500k'))}`,
    ],
  ];
}

function detection(j: Json): Row[] {
  const weeks = num(at(j, 'summary.weeks'));
  return [
    [
      `a scattered failure (one login in twenty over every shard), pooled (${weeks} simulated weeks, busiest and quietest hour)`,
      `signalled within ${num(at(j, 'summary.pooledDelayMaxSeconds'), ' s')}; ${num(at(j, 'summary.falsePages.failures'))} false pages`,
      `the fast burn-rate page on the same series: ${num(at(j, 'summary.burnRateDelaySeconds.min'), ' s')}–${num(at(j, 'summary.burnRateDelaySeconds.max'), ' s')}, ${num(at(j, 'summary.falsePages.burnRate'))} false pages`,
      '—',
      '≤ 60 s, no false page a week',
    ],
    [
      'players online three percent below the forecast, no failures',
      `signalled within ${num(at(j, 'summary.dropDelayMaxSeconds'), ' s')}; ${num(at(j, 'summary.falsePages.drop'))} false pages`,
      '—',
      '—',
      '≤ 300 s',
    ],
    [
      'localisation of twenty random injections (a region, shard or client version)',
      `at least ${num(at(j, 'summary.localisedMinOf20'))} of twenty named, every week`,
      '—',
      '—',
      '≥ 18 of 20',
    ],
  ];
}

/** The benches `npm run bench` runs, in order: name, script, result file, renderer. */
export const BENCHES = [
  { name: 'login', script: 'bench/login.ts', out: 'login.json', render: login },
  { name: 'kick', script: 'bench/runaway-kick.ts', out: 'runaway-kick.json', render: kick },
  { name: 'restore', script: 'bench/restore.ts', out: 'restore.json', render: restore },
  { name: 'storm', script: 'bench/login-storm.ts', out: 'login-storm.json', render: storm },
  { name: 'cluster', script: 'bench/cluster.ts', out: 'cluster.json', render: cluster, services: true },
  {
    name: 'redis-slowlog',
    script: 'bench/redis-slowlog.ts',
    out: 'redis-slowlog.json',
    render: slowlog,
    services: true,
  },
  { name: 'audit', script: 'bench/audit.ts', out: 'audit.json', render: audit },
  { name: 'detection', script: 'bench/detection.ts', out: 'detection.json', render: detection },
] as const;

export type BenchName = (typeof BENCHES)[number]['name'];

/** When a result was measured, by the field each bench writes. */
function measuredAt(j: Json): string {
  const d = j.date ?? j.at;
  return typeof d === 'string' ? d : '—';
}

function runNote(run: BenchRun | undefined): string {
  if (run === undefined) return 'not run by `npm run bench` this time';
  if (run.skipped !== undefined) return `skipped: ${run.skipped}`;
  const status = run.exitCode === 0 ? 'ok' : `**exit code ${run.exitCode}**`;
  const others = run.othersPercent === null ? '' : `; other processes ${num(run.othersPercent)}% of a core`;
  return `${status}, ${num(run.seconds)} s; CPU steal ${pct(run.stealPercent)}${others}`;
}

const escapeCell = (s: string) => s.replace(/\|/g, '\\|');

/**
 * The generated section, markers included. `outputs` maps a result file's name (`login.json`) to
 * its parsed content; `run` is bench/out/all.json, or null when only results are at hand.
 */
export function renderSection(run: AllRun | null, outputs: Readonly<Record<string, unknown>>): string {
  const lines = [START_MARKER, '## Latest run (generated by `npm run bench`; do not edit by hand)', ''];
  if (run !== null) {
    const m = run.machine;
    lines.push(
      `Run started ${run.date} on ${m.cpu}, ${m.cores} cores, ${m.memoryGB} GB, ${m.platform}, Node ${m.node}.`,
      'CPU steal is the hypervisor\'s share of the machine\'s time while each bench ran; "other processes" is',
      "everyone else's CPU meanwhile (on a shared machine, other sessions' work: such figures are noisy).",
      '',
    );
  } else
    lines.push('Regenerated from the results in bench/out/ (no run record: each bench is dated below).', '');
  lines.push(
    '| bench | measure | figure | same-run baseline | ratio | target |',
    '|---|---|---|---|---|---|',
  );
  const notes: string[] = [];
  for (const b of BENCHES) {
    const r = run?.runs.find((x) => x.name === b.name);
    const j = outputs[b.out];
    if (typeof j !== 'object' || j === null) {
      notes.push(`- \`bench:${b.name}\`: no result (bench/out/${b.out}); ${runNote(r)}`);
      continue;
    }
    const failed =
      typeof (j as Json).error === 'string' ? `; the bench reported an error: ${(j as Json).error}` : '';
    notes.push(`- \`bench:${b.name}\`: measured ${measuredAt(j as Json)}; ${runNote(r)}${failed}`);
    for (const row of b.render(j as Json))
      lines.push(`| \`${b.name}\` | ${row.map(escapeCell).join(' | ')} |`);
  }
  lines.push('', ...notes, '', END_MARKER);
  return lines.join('\n');
}

/** The doc with its generated section replaced, or inserted before the first `## ` heading. */
export function replaceSection(doc: string, section: string): string {
  const start = doc.indexOf(START_MARKER);
  const end = doc.indexOf(END_MARKER);
  if (start !== -1 && end > start) return doc.slice(0, start) + section + doc.slice(end + END_MARKER.length);
  const heading = doc.search(/^## /m);
  if (heading === -1) return `${doc.trimEnd()}\n\n${section}\n`;
  return `${doc.slice(0, heading)}${section}\n\n${doc.slice(heading)}`;
}
