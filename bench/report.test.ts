/**
 * The generator of docs/BENCHMARKS.md's generated section, on fixture results (bench/fixtures/out):
 * figures appear exactly as the benches wrote them, what is missing or failed says so, and the
 * hand-written part of the doc is kept.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import {
  type AllRun,
  BENCHES,
  END_MARKER,
  num,
  renderSection,
  replaceSection,
  START_MARKER,
} from './report.ts';

const fixtures = join(import.meta.dirname, 'fixtures');
const outDir = join(fixtures, 'out');

function fixtureOutputs(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of readdirSync(outDir))
    if (f !== 'all.json') out[f] = JSON.parse(readFileSync(join(outDir, f), 'utf8'));
  return out;
}
const run = JSON.parse(readFileSync(join(outDir, 'all.json'), 'utf8')) as AllRun;

/** Every number in a fixture result, at any depth. */
function numbers(v: unknown): number[] {
  if (typeof v === 'number') return [v];
  if (typeof v !== 'object' || v === null) return [];
  return Object.values(v).flatMap(numbers);
}

test('numbers are printed as written: separators added, digits never rounded', () => {
  assert.equal(num(150317), '150,317');
  assert.equal(num(0.4372), '0.4372');
  assert.equal(num(1234567.891), '1,234,567.891');
  assert.equal(num(-0.5), '-0.5');
  assert.equal(num(1e21), '1e+21');
  assert.equal(num(null), '—');
  assert.equal(num(Number.NaN), '—');
});

test("the section carries each bench's figures exactly, with the run's machine, date, steal and exit codes", () => {
  const outputs = fixtureOutputs();
  const section = renderSection(run, outputs);
  assert.ok(section.startsWith(START_MARKER) && section.endsWith(END_MARKER));
  assert.match(section, /Run started 2026-12-01T03:00:00.000Z on AMD EPYC, 2 cores, 24 GB/);
  for (const figure of ['150,317/s', '343,811/s', '0.4372×', '708,458/s', '2.061×', '(met)'])
    assert.ok(section.includes(figure), `audit: ${figure}`);
  for (const figure of [
    '20,266/s',
    '69,572/s',
    '0.291×',
    '20.21 KB',
    '2.92×',
    '877/s',
    '1.98×',
    '(**missed**)',
  ])
    assert.ok(section.includes(figure), `login: ${figure}`);
  for (const figure of ['0.9163× C', '733/s', '1.0917× N/C', '11.75%', '498 (cap 500)', '1,691 ms'])
    assert.ok(section.includes(figure), figure);
  // Every number a rendered figure came from appears in the section as num() writes it.
  const audit = (outputs['audit.json'] as { summary: Record<string, number> }).summary;
  for (const n of numbers(audit)) assert.ok(section.includes(num(n)), `audit summary ${n}`);
  assert.match(
    section,
    /`bench:audit`: measured 2026-12-01T03:40:00.000Z; ok, 30.1 s; CPU steal 0.05%; other processes 140.25% of a core/,
  );
  assert.match(
    section,
    /`bench:cluster`: measured .*\*\*exit code 1\*\*.*the bench reported an error: PostgreSQL is not reachable/,
  );
  assert.match(
    section,
    /`bench:redis-slowlog`: no result \(bench\/out\/redis-slowlog.json\); not run by `npm run bench` this time/,
  );
  assert.match(
    section,
    /`bench:kick`: measured 2026-12-01T01:30:09.000Z; not run by `npm run bench` this time/,
  );
  // The naive storm run has no ratio: it is shown as missing, not as 0.
  assert.match(section, /3,000 clients, cold, naive \| 2,101 admitted, all in after — s/);
});

test('a renderer facing a result without its fields shows dashes, never a made-up figure', () => {
  const outputs = Object.fromEntries(BENCHES.map((b) => [b.out, { date: '2026-12-01T00:00:00.000Z' }]));
  const section = renderSection(null, outputs);
  assert.match(section, /Regenerated from the results in bench\/out\//);
  const rows = section.split('\n').filter((l) => l.startsWith('| `'));
  assert.ok(rows.length > 0);
  for (const row of rows) {
    const [, measure, figure, baseline, ratio] = row.split(' | ');
    for (const cell of [measure, figure, baseline, ratio]) assert.doesNotMatch(cell ?? '', /\d/, row);
  }
});

test('replacing the section keeps the hand-written doc around it, and is stable', () => {
  const hand = readFileSync(join(fixtures, 'BENCHMARKS.md'), 'utf8');
  const first = replaceSection(hand, renderSection(run, fixtureOutputs()));
  assert.ok(
    first.startsWith('# Benchmarks\n\nAn introduction written by hand.\n\n<!-- bench:generated:start -->'),
  );
  assert.ok(first.includes('\n<!-- bench:generated:end -->\n\n## Issue 13: history written by hand'));
  assert.ok(first.endsWith('| 01:39:34 | 10,668 |\n'));
  const again = replaceSection(first, renderSection(run, fixtureOutputs()));
  assert.equal(again, first);
  const other = replaceSection(first, `${START_MARKER}\nnew\n${END_MARKER}`);
  assert.equal(other, hand.replace('## Issue 13', `${START_MARKER}\nnew\n${END_MARKER}\n\n## Issue 13`));
});

test('npm run bench -- --from-out rewrites the doc from the results without running a bench', (t: TestContext) => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-bench-report-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const doc = join(dir, 'BENCHMARKS.md');
  copyFileSync(join(fixtures, 'BENCHMARKS.md'), doc);
  const printed = execFileSync(
    process.execPath,
    [join(import.meta.dirname, 'all.ts'), '--from-out', '--out', outDir, '--doc', doc],
    { encoding: 'utf8', timeout: 30_000 },
  );
  assert.doesNotMatch(printed, /=== bench:/, 'no bench ran');
  const written = readFileSync(doc, 'utf8');
  assert.ok(written.includes(renderSection(run, fixtureOutputs())));
  assert.ok(written.includes('## Issue 13: history written by hand'));
  const dry = execFileSync(
    process.execPath,
    [
      join(import.meta.dirname, 'all.ts'),
      '--from-out',
      '--dry',
      '--out',
      outDir,
      '--doc',
      join(dir, 'none.md'),
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  assert.ok(dry.includes(renderSection(run, fixtureOutputs())));
  assert.throws(() => readFileSync(join(dir, 'none.md')), /ENOENT/, '--dry writes nothing');
});

test('a partial run where the benches it leaves out have no results stops before running one', (t: TestContext) => {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-bench-partial-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const doc = join(dir, 'BENCHMARKS.md');
  copyFileSync(join(fixtures, 'BENCHMARKS.md'), doc);
  const before = readFileSync(doc, 'utf8');
  const empty = join(dir, 'out');
  const partial = spawnSync(
    process.execPath,
    [join(import.meta.dirname, 'all.ts'), '--only', 'audit', '--out', empty, '--doc', doc],
    { encoding: 'utf8', timeout: 30_000 },
  );
  assert.equal(partial.status, 2);
  assert.doesNotMatch(partial.stdout, /=== bench:/, 'no bench ran');
  assert.match(partial.stderr, /leave out login, kick, restore, storm, cluster, redis-slowlog, detection/);
  assert.equal(readFileSync(doc, 'utf8'), before, 'the doc is untouched');
});
