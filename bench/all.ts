/**
 * npm run bench — every benchmark one after another, then docs/BENCHMARKS.md's generated section
 * rewritten from their results (bench/out/*.json; see bench/report.ts). Around each bench it
 * records the exit code, the time, the CPU steal and the other processes' CPU, in
 * bench/out/all.json; the hand-written history outside the section's markers is kept.
 *
 *   npm run bench [-- --only audit,login] [-- --skip cluster,redis-slowlog]
 *   npm run bench -- --from-out [--dry]     regenerate from the results already in bench/out
 *
 * `--dry` prints the section instead of writing the doc; `--out DIR` and `--doc FILE` point
 * elsewhere (the test uses fixtures). The cluster and redis-slowlog benches need PostgreSQL and
 * Redis on 127.0.0.1 (test/services.ts); without them they fail and the doc says so.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { machineLoad, sampleMachine, stealPercent } from './login/machine.ts';
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
  const startedAt = new Date().toISOString();
  const before = sampleMachine();
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
  // The bench and its children are this process's descendants; everyone else is "other".
  const load = machineLoad(before, after, descendants(process.pid));
  return {
    name: b.name,
    command: `node ${b.script}`,
    exitCode,
    startedAt,
    seconds: Math.round((after.at - before.at) / 100) / 10,
    stealPercent: stealPercent(before.cores, after.cores),
    othersPercent: load?.othersPercent ?? null,
  };
}

/** This process and every process it started that is still alive (Linux /proc). */
function descendants(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const pid of sampleMachine().processes.keys()) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      parentOf.set(pid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {}
  }
  const out = [root];
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parentOf)
      if (out.includes(ppid) && !out.includes(pid)) {
        out.push(pid);
        grew = true;
      }
  }
  return out;
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
