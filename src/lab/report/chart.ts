/**
 * The drill's chart: one SVG of stacked panels over the scenario clock (players online against
 * those the curve wants; logins a second by outcome; each upstream's load against its capacity;
 * kicks and rejoins; alerts), with the faults shaded behind every panel. Vega-Lite builds the
 * spec, Vega renders it to SVG in Node without a browser or canvas.
 */
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { DrillMark, DrillResult } from '../drill/result.ts';

type Point = { t: number; series: string; value: number };
type Layer = Record<string, unknown>;

const WIDTH = 720;
const HEIGHT = 130;

/** Faults as shaded bands, actions and node events as rules, behind a panel's lines. */
function markLayers(marks: readonly DrillMark[], end: number): Layer[] {
  const bands = marks
    .filter((m) => m.kind === 'fault')
    .map((m) => ({ t: m.t, until: m.until ?? end, label: m.label }));
  const rules = marks.filter((m) => m.kind !== 'fault').map((m) => ({ t: m.t, label: m.label }));
  const layers: Layer[] = [];
  if (bands.length > 0) {
    layers.push({
      data: { values: bands },
      mark: { type: 'rect', color: '#d62728', opacity: 0.08 },
      encoding: { x: { field: 't', type: 'quantitative' }, x2: { field: 'until' } },
    });
  }
  if (rules.length > 0) {
    layers.push({
      data: { values: rules },
      mark: { type: 'rule', color: '#555', strokeDash: [3, 3] },
      encoding: { x: { field: 't', type: 'quantitative' } },
    });
  }
  return layers;
}

/** One panel: lines of `points` (one per series), titled, over the shared time axis. */
function panel(title: string, yTitle: string, points: Point[], marks: Layer[]): Layer {
  return {
    title,
    width: WIDTH,
    height: HEIGHT,
    layer: [
      ...marks,
      {
        data: { values: points },
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.5 },
        encoding: {
          x: { field: 't', type: 'quantitative', title: 'scenario seconds' },
          y: { field: 'value', type: 'quantitative', title: yTitle },
          color: { field: 'series', type: 'nominal', title: null },
        },
      },
    ],
    resolve: { scale: { color: 'independent' } },
  };
}

function players(r: DrillResult): Point[] {
  return r.series.flatMap((s) => [
    { t: s.t, series: 'online', value: s.online },
    { t: s.t, series: 'wanted online', value: s.wanted },
  ]);
}

function logins(r: DrillResult): Point[] {
  return r.series.flatMap((s) =>
    Object.entries(s.logins).map(([series, value]) => ({ t: s.t, series, value })),
  );
}

/** Served a second as a share of capacity when the upstream has one, else raw. */
function upstreamLoad(r: DrillResult): Point[] {
  return r.series.flatMap((s) =>
    Object.entries(s.upstreams).flatMap(([name, u]) => {
      const out: Point[] = [{ t: s.t, series: `${name} served/s`, value: u.served }];
      if (u.failed > 0) out.push({ t: s.t, series: `${name} failed/s`, value: u.failed });
      if (u.capacityPerSecond !== null)
        out.push({ t: s.t, series: `${name} capacity/s`, value: u.capacityPerSecond });
      return out;
    }),
  );
}

function disruptions(r: DrillResult): Point[] {
  return r.series.flatMap((s) => [
    { t: s.t, series: 'kicked', value: s.kicked },
    { t: s.t, series: 'rejoined', value: s.rejoined },
    { t: s.t, series: 'alerts', value: s.alerts },
  ]);
}

/** The Vega-Lite spec of a result's chart (exported so a test can check what is drawn). */
export function chartSpec(r: DrillResult): TopLevelSpec {
  const marks = markLayers(r.marks, r.durationSeconds);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${r.scenario}${r.protected ? '' : ' (unprotected)'}: ${r.passed ? 'passed' : 'FAILED'}`,
    vconcat: [
      panel('Players', 'players', players(r), marks),
      panel('Logins a second, by outcome', 'logins/s', logins(r), marks),
      panel('Upstream load against capacity', 'requests/s', upstreamLoad(r), marks),
      panel('Kicks, rejoins and alerts a second', 'per second', disruptions(r), marks),
    ],
    config: { font: 'sans-serif', legend: { orient: 'right' } },
    // Built from plain objects (its unit/layer types are not exported as stable); compile checks
    // it, and renderChart refuses a spec that compiles with warnings.
  } as unknown as TopLevelSpec;
}

/** Collects what Vega-Lite would otherwise print: a chart that draws wrong must fail, not warn. */
function strictLogger(problems: string[]) {
  let level = 0;
  const keep = (...args: readonly unknown[]) => {
    problems.push(args.map(String).join(' '));
    return logger;
  };
  const logger = {
    level(l?: number) {
      if (l === undefined) return level;
      level = l;
      return logger;
    },
    info: () => logger,
    debug: () => logger,
    warn: keep,
    error: keep,
  };
  return logger;
}

/** The chart as an SVG document. */
export async function renderChart(r: DrillResult): Promise<string> {
  const problems: string[] = [];
  const compiled = compile(chartSpec(r), { logger: strictLogger(problems) as never });
  if (problems.length > 0) throw new Error(`drill chart: ${problems.join('; ')}`);
  const view = new View(parse(compiled.spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
