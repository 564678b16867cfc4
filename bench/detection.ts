/**
 * bench:detection — how fast the detectors see seed 001's scattered failure, and how often they
 * cry wolf, on the lab's simulated fortnight (src/lab/week: 30 shards in 3 regions, Poisson
 * noise, weekends, a holiday, an announced deploy), against the usual tool measured on the same
 * series in the same run: a 99.9% login SLO with the standard fast page (14.4× burn over 1 h and
 * over 5 m), which needs the hour's failure ratio above 1.44%.
 *
 * For each seed (one judged week each): pages over the quiet week (both detectors and the burn
 * rate page); then 5% of logins failing over every shard at the week's busiest and quietest
 * hour, and players online 3% below the forecast with no failures, each timed from the onset;
 * then 20 randomised localised injections. Time is the simulation's own (10 s steps), so the
 * figures do not depend on this machine's speed.
 *
 *   npm run bench:detection [-- --seeds 5]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import {
  DropDetector,
  FailureDetector,
  type LoginTally,
  sum,
  totalFailures,
} from '../src/detection/index.ts';
import { seededRandom } from '../src/lab/random.ts';
import {
  deployWindow,
  drawLocalisedFault,
  extremeHours,
  HOUR,
  type Injection,
  JUDGED,
  STEP_MS,
  standardWorld,
  World,
} from '../src/lab/week/index.ts';

const { values } = parseArgs({ options: { seeds: { type: 'string', default: '5' } } });
const seeds = Number(values.seeds);
if (!Number.isInteger(seeds) || seeds < 1 || seeds > 100) {
  console.error('--seeds must be an integer from 1 to 100');
  process.exit(2);
}

/** The multi-window burn-rate page of a 99.9% SLO: 14.4× over the last hour and the last 5 minutes. */
class BurnRatePage {
  readonly #hour: { n: number; x: number }[] = [];
  #open = false;

  observe(t: LoginTally): boolean {
    this.#hour.push({ n: sum(t.attempts), x: totalFailures(t) });
    if (this.#hour.length > HOUR / STEP_MS) this.#hour.shift();
    const ratio = (steps: { n: number; x: number }[]) => {
      const n = steps.reduce((a, s) => a + s.n, 0);
      return n === 0 ? 0 : steps.reduce((a, s) => a + s.x, 0) / n;
    };
    const firing = ratio(this.#hour) >= 0.0144 && ratio(this.#hour.slice(-(300_000 / STEP_MS))) >= 0.0144;
    const started = firing && !this.#open;
    this.#open = firing;
    return started;
  }
}

interface Pages {
  failures: number[];
  drop: number[];
  burn: number[];
}

/** Runs the world from `from` to `to` (ms since its start): when each detector started a signal. */
function run(seed: number, injections: Injection[], from: number, to: number): Pages {
  const world = new World(standardWorld(seed, injections, from));
  const failures = new FailureDetector(world.cells);
  const drop = new DropDetector({ stepMs: STEP_MS });
  drop.announce(deployWindow());
  const burn = new BurnRatePage();
  const pages: Pages = { failures: [], drop: [], burn: [] };
  for (let at = from; at < to; at += STEP_MS) {
    const t = world.next();
    const since = at + STEP_MS;
    const f = failures.observe(t);
    if (f && f.resolvedAt === null && f.startedAt === t.at) pages.failures.push(since);
    const d = drop.observe(t);
    if (d && d.resolvedAt === null) pages.drop.push(since);
    if (burn.observe(t)) pages.burn.push(since);
  }
  return pages;
}

const delay = (pages: number[], at: number): number | null => {
  const first = pages.find((p) => p >= at);
  return first === undefined ? null : (first - at) / 1000;
};

function quietWeek(seed: number) {
  const p = run(seed, [], 0, JUDGED.to);
  const judged = (list: number[]) => list.filter((t) => t >= JUDGED.from).length;
  return { failures: judged(p.failures), drop: judged(p.drop), burn: judged(p.burn) };
}

function injected(seed: number, at: number) {
  const fault: Injection = {
    kind: 'failures',
    from: at,
    to: at + HOUR,
    ratio: 0.05,
    code: 'UPSTREAM_DNS_FAILURE',
  };
  const f = run(seed, [fault], at - 2 * HOUR, at + HOUR);
  const drop = run(seed, [{ kind: 'online-drop', from: at, to: at + HOUR, share: 0.03 }], 0, at + HOUR);
  return { pooled: delay(f.failures, at), burnRate: delay(f.burn, at), drop: delay(drop.drop, at) };
}

function localised(seed: number): number {
  const random = seededRandom(seed);
  let named = 0;
  for (let i = 0; i < 20; i++) {
    const { fault, at, dimension, value } = drawLocalisedFault(random, ['UPSTREAM_UNAVAILABLE']);
    if (placeNamed(seed * 1000 + i, fault, at, dimension, value)) named++;
  }
  return named;
}

function placeNamed(seed: number, fault: Injection, at: number, dimension: string, value: string): boolean {
  const world = new World(standardWorld(seed, [fault], at - 2 * HOUR));
  const d = new FailureDetector(world.cells);
  let last: string | undefined;
  for (let t = at - 2 * HOUR; t < at + 3 * 60_000; t += STEP_MS) {
    const s = d.observe(world.next());
    const place = s?.localisation.find((e) => e.dimension !== 'code');
    if (s && s.resolvedAt === null) last = place ? `${place.dimension}=${place.values.join()}` : '';
  }
  return last === `${dimension}=${value}`;
}

const { busiest, quietest } = extremeHours();
const rows: {
  seed: number;
  quiet: ReturnType<typeof quietWeek>;
  busiest: ReturnType<typeof injected>;
  quietest: ReturnType<typeof injected>;
  localised: number;
}[] = [];
const started = Date.now();
for (let seed = 1; seed <= seeds; seed++) {
  const row = {
    seed,
    quiet: quietWeek(seed),
    busiest: injected(seed, busiest),
    quietest: injected(seed, quietest),
    localised: localised(seed),
  };
  rows.push(row);
  console.log(JSON.stringify(row));
}
const fmt = (v: number | null) => (v === null ? 'never (within 1 h)' : `${v} s`);
console.log(
  `\nbench:detection — ${seeds} simulated weeks (seeds 1-${seeds}), ${cpus()[0]?.model ?? 'cpu'}, ${new Date().toISOString()}`,
);
console.log(
  'seed | false pages: pooled failures / players-online / 14.4× burn | 5% failing at busiest: pooled / burn | at quietest: pooled / burn | online −3%: busiest / quietest | localised of 20',
);
for (const r of rows) {
  console.log(
    `${r.seed} | ${r.quiet.failures} / ${r.quiet.drop} / ${r.quiet.burn} | ${fmt(r.busiest.pooled)} / ${fmt(r.busiest.burnRate)} | ${fmt(r.quietest.pooled)} / ${fmt(r.quietest.burnRate)} | ${fmt(r.busiest.drop)} / ${fmt(r.quietest.drop)} | ${r.localised}`,
  );
}
console.log(`(simulated in ${((Date.now() - started) / 1000).toFixed(1)} s of wall clock)`);
const delays = (pick: (r: (typeof rows)[number]) => (number | null)[]) => rows.flatMap(pick);
const worst = (list: (number | null)[]) => (list.includes(null) ? null : Math.max(...(list as number[])));
const best = (list: (number | null)[]) => Math.min(...list.filter((v): v is number => v !== null));
const burn = delays((r) => [r.busiest.burnRate, r.quietest.burnRate]);
const summary = {
  weeks: rows.length,
  falsePages: {
    failures: rows.reduce((a, r) => a + r.quiet.failures, 0),
    drop: rows.reduce((a, r) => a + r.quiet.drop, 0),
    burnRate: rows.reduce((a, r) => a + r.quiet.burn, 0),
  },
  pooledDelayMaxSeconds: worst(delays((r) => [r.busiest.pooled, r.quietest.pooled])),
  burnRateDelaySeconds: { min: best(burn), max: worst(burn) },
  dropDelayMaxSeconds: worst(delays((r) => [r.busiest.drop, r.quietest.drop])),
  localisedMinOf20: Math.min(...rows.map((r) => r.localised)),
};
console.log(JSON.stringify(summary));
mkdirSync('bench/out', { recursive: true });
writeFileSync(
  'bench/out/detection.json',
  `${JSON.stringify({ at: new Date().toISOString(), machine: cpus()[0]?.model, busiest, quietest, summary, rows }, null, 2)}\n`,
);
