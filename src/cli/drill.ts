import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { type DrillResult, runDrill, writeDrillReport } from '../lab/drill/index.ts';
import {
  builtinScenarios,
  loadScenario,
  scenarioWithPlayers,
  scenarioWithTimeScale,
} from '../lab/scenario/index.ts';
import type { CliContext } from './context.ts';

interface RunOptions {
  players?: string;
  timeScale?: string;
  report: string;
  unprotected?: boolean;
  seed: string;
}

/** The human summary: one line per objective, then the findings. */
function summary(r: DrillResult, files: string[]): string {
  const head = `${r.scenario} (${r.protected ? 'protected' : 'unprotected'}, ${r.players} players, ×${r.timeScale}): ${r.passed ? 'PASSED' : 'FAILED'} in ${r.wallSeconds.toFixed(0)} s`;
  const objectives = r.objectives.map(
    (o) =>
      `${o.passed ? 'pass' : 'FAIL'}\t${o.name}\tmeasured ${o.measured ?? 'n/a'}\ttarget ≤ ${o.target}\t${o.detail}`,
  );
  const findings = r.findings.map((f) => `finding\t${f.name}\t${f.value}\t${f.detail}`);
  return [head, ...objectives, ...findings, ...files.map((f) => `report\t${f}`)].join('\n');
}

/** A progress bar on stderr while a drill runs, only on a terminal. */
function progressBar(enabled: boolean): { update: (t: number, total: number) => void; stop: () => void } {
  if (!enabled) return { update: () => {}, stop: () => {} };
  const bar = new SingleBar({ stream: process.stderr, format: 'drill [{bar}] {value}/{total} scenario s' });
  let started = false;
  return {
    update: (t, total) => {
      if (!started) bar.start(total, 0);
      started = true;
      bar.update(Math.min(total, Math.floor(t)));
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

async function runAction(cli: CliContext, name: string, opts: RunOptions): Promise<void> {
  let scenario = loadScenario(name);
  if (opts.players !== undefined) scenario = scenarioWithPlayers(scenario, Number(opts.players));
  if (opts.timeScale !== undefined) scenario = scenarioWithTimeScale(scenario, Number(opts.timeScale));
  const bar = progressBar(!cli.machine() && process.stderr.isTTY === true);
  const abort = new AbortController();
  const interrupt = () => abort.abort();
  process.once('SIGINT', interrupt);
  let result: DrillResult;
  try {
    result = await runDrill(scenario, {
      protected: opts.unprotected !== true,
      seed: Number(opts.seed),
      env: cli.io.env,
      signal: abort.signal,
      onProgress: bar.update,
    });
  } finally {
    process.off('SIGINT', interrupt);
    bar.stop();
  }
  const files = await writeDrillReport(result, opts.report);
  cli.print(summary(result, files), result);
  if (!result.passed) cli.fail();
}

/** `lifeline drill`: replay a scenario against real processes and check its objectives. */
export function drillCommands(program: Command, cli: CliContext): void {
  const drill = program
    .command('drill')
    .description('[lab] replay incident scenarios and check RTO/RPO objectives');
  drill
    .command('list')
    .description('[lab] the built-in scenarios')
    .action(() => {
      const list = builtinScenarios().map((n) => {
        const s = loadScenario(n);
        return { name: n, seed: s.seed, players: s.players.count, description: s.description };
      });
      cli.print(
        list.map((s) => `${s.name}\tseed ${s.seed}\t${s.players} players\t${s.description}`).join('\n'),
        { scenarios: list },
      );
    });
  drill
    .command('run <scenario>')
    .description('[lab] run a built-in scenario or a scenario file; exits 1 when an objective fails')
    .option('--players <n>', 'virtual players (overrides the scenario)')
    .option('--time-scale <x>', 'scenario seconds per wall-clock second (overrides the scenario)')
    .option('--report <dir>', 'where to write the report', 'drill-report')
    .option(
      '--unprotected',
      "Lifeline's protections off and naive clients: the seed's failure, for comparison",
    )
    .option('--seed <n>', 'seeds the players and faults', '1')
    .action((name: string, opts: RunOptions) => runAction(cli, name, opts));
}
