/**
 * npm run bench — every benchmark one after another, then docs/BENCHMARKS.md's generated section
 * rewritten from their results (bench/out/*.json; see bench/report.ts). Around each bench it
 * records the exit code, the time, the CPU steal and the other processes' CPU, in
 * bench/out/all.json; the hand-written history outside the section's markers is kept.
 *
 *   npm run bench [-- --only audit,login] [-- --skip cluster,redis-slowlog]
 *     (a subset only where every bench it leaves out has a result in bench/out to keep)
 *   npm run bench -- --from-out [--dry]     regenerate from the results already in bench/out
 *
 * `--dry` prints the section instead of writing the doc; `--doc FILE` writes another doc, and
 * `--out DIR` reads the results (and keeps all.json) elsewhere than bench/out, where the benches
 * themselves write (the test points it at fixtures). The cluster and redis-slowlog benches need PostgreSQL and
 * Redis on 127.0.0.1 (test/services.ts); without them they fail and the doc says so.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { sampleMachine, stealPercent } from './login/machine.ts';
import { type AllRun, BENCHES, type BenchRun, renderSection, replaceSection } from './report.ts';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    skip: { type: 'string' },
    'from-out': { type: 'boolean', default: false },
    dry: { type: 'boolean', default: false },
    out: { type: 'string', default: join(import.meta.dirname, 'out') },
    doc: { type: 'string', default: join(import.meta.dirname, '..', 'docs', 'BENCHMARKS.md') },
  },
});
const outDir = resolve(values.out);
const docPath = resolve(values.doc);
const names = new Set<string>(BENCHES.map((b) => b.name));
const list = (flag: string | undefined) => (flag ?? '').split(',').filter(Boolean);
for (const n of [...list(values.only), ...list(values.skip)])
  if (!names.has(n)) {
    console.error(`unknown bench ${n}; the benches are ${[...names].join(', ')}`);
    process.exit(2);
  }
const only = list(values.only);
const skip = new Set(list(values.skip));
const selected = BENCHES.filter((b) => (only.length === 0 || only.includes(b.name)) && !skip.has(b.name));

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Runs one bench as its own process, its output passed through; resolves with what it cost. */
async function runBench(b: (typeof BENCHES)[number]): Promise<BenchRun> {
  // A bench that fails before writing its result must not leave the last run's figures standing.
  rmSync(join(import.meta.dirname, 'out', b.out), { force: true });
  const startedAt = new Date().toISOString();
  const before = sampleMachine();
  const ownBefore = ownTicks();
  console.log(`\n=== bench:${b.name} (node ${b.script}) ${startedAt}`);
  const child = spawn(process.execPath, [join(import.meta.dirname, '..', b.script)], {
    stdio: 'inherit',
    cwd: join(import.meta.dirname, '..'),
  });
  const exitCode = await new Promise<number>((done) => {
    child.on('exit', (code, signal) => done(code ?? (signal ? 128 : 1)));
    child.on('error', () => done(127));
  });
  const after = sampleMachine();
  const ownAfter = ownTicks();
  const seconds = (after.at - before.at) / 1000;
  const busy = (m: typeof before) => m.cores.reduce((n, c) => n + c.busy, 0);
  // Everyone else: the machine's busy time less this process's and its waited-for children's
  // (the bench and whatever it started), so processes that came and went in between count too.
  const others = (busy(after) - busy(before) - (ownAfter - ownBefore)) / TICKS_PER_SECOND / seconds;
  return {
    name: b.name,
    command: `node ${b.script}`,
    exitCode,
    startedAt,
    seconds: Math.round(seconds * 10) / 10,
    stealPercent: stealPercent(before.cores, after.cores),
    othersPercent: before.cores.length === 0 ? null : Math.max(0, Math.round(others * 1000) / 10),
  };
}

/** /proc reports CPU time in USER_HZ ticks, 100 a second on Linux. */
const TICKS_PER_SECOND = 100;

/** CPU ticks of this process and of its children that have been waited for (Linux; 0 elsewhere). */
function ownTicks(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    // utime, stime, cutime, cstime: fields 14-17 of stat, counted after the name.
    return (f[11] ?? 0) + (f[12] ?? 0) + (f[13] ?? 0) + (f[14] ?? 0);
  } catch {
    return 0;
  }
}

// A partial run rewrites the whole table: a bench it leaves out keeps its row only from its last
// result in the out folder. On a fresh checkout there is none, and the rewrite would drop the rows
// measured before (it did once, 2026-12-02), so such a run stops before running anything.
const unkept = BENCHES.filter((b) => !selected.includes(b) && !existsSync(join(outDir, b.out)));
if (!values['from-out'] && !values.dry && unkept.length > 0) {
  console.error(
    `--only/--skip leave out ${unkept.map((b) => b.name).join(', ')}, with no result in ${outDir} to keep: ` +
      'their rows would vanish from the doc. Run the whole bench (npm run bench), or look first with --dry.',
  );
  process.exit(2);
}

const previous = readJson(join(outDir, 'all.json')) as AllRun | undefined;
let run: AllRun | null = previous ?? null;
if (!values['from-out']) {
  const cpus = os.cpus();
  const runs: BenchRun[] = [];
  const date = new Date().toISOString();
  for (const b of selected) runs.push(await runBench(b));
  const kept = (previous?.runs ?? []).filter((r) => !runs.some((x) => x.name === r.name));
  run = {
    date,
    machine: {
      cpu: cpus[0]?.model ?? 'unknown',
      cores: cpus.length,
      memoryGB: Math.round(os.totalmem() / 1024 ** 3),
      platform: `${os.platform()} ${os.release()} ${os.arch()}`,
      node: process.version,
    },
    runs: [...runs, ...kept],
  };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'all.json'), `${JSON.stringify(run, null, 2)}\n`);
}

const outputs: Record<string, unknown> = {};
for (const b of BENCHES) outputs[b.out] = readJson(join(outDir, b.out));
const section = renderSection(run, outputs);
if (values.dry) console.log(section);
else {
  const doc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '# Benchmarks\n';
  writeFileSync(docPath, replaceSection(doc, section));
  console.log(`\n${docPath} rewritten (generated section)`);
}
const failed = run?.runs.filter((r) => selected.some((b) => b.name === r.name) && r.exitCode !== 0) ?? [];
if (!values['from-out'] && failed.length > 0) {
  console.log(`failed: ${failed.map((r) => `${r.name} (exit ${r.exitCode})`).join(', ')}`);
  process.exitCode = 1;
}
