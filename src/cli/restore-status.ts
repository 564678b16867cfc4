/**
 * `lifeline restore status`: one answer, or with --watch one per poll until the restore ends: a
 * progress bar on a terminal, a line per poll when piped, a JSON document per line with --json
 * (so `--watch --json | head`, `jq` and log shippers read it as it comes).
 */
import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import type { CliContext } from './context.ts';
import { parseDuration } from './parse.ts';

export interface RestoreStatusView {
  restore: {
    id: string;
    state: string;
    total: number;
    pauseReason: string | null;
    pacing?: { mode: 'fixed'; batchSize: number; intervalMs: number } | { mode: 'adaptive'; maxRate: number };
  };
  counts: { pending: number; ticketed: number; restored: number; expired: number; refused: number };
  open: number;
  ratePerSecond: number;
  etaSeconds: number | null;
}

const stateText = (b: RestoreStatusView): string =>
  b.restore.state + (b.restore.pauseReason ? ` (${b.restore.pauseReason})` : '');

export function restoreStatusCommand(restore: Command, cli: CliContext): void {
  restore
    .command('status <restoreId>')
    .description('[api] progress, rate and ETA; --watch keeps polling until it ends')
    .option('--watch', 'keep polling until the restore is done or cancelled')
    .option('--interval <duration>', 'with --watch: time between polls (500ms, 2s)', '1s')
    .action(async (id: string, opts: { watch?: boolean; interval: string }) => {
      const every = parseDuration(opts.interval, '--interval');
      const read = async () =>
        (await cli.api('GET', `/admin/v1/restores/${encodeURIComponent(id)}`)) as RestoreStatusView;
      const body = await read();
      if (!opts.watch) {
        cli.print(lineOf(id, body), body);
        return;
      }
      if (cli.machine()) await stream(body, read, every, (b) => cli.io.out(cli.render(b, true)));
      else if (cli.io.tty) cli.io.out(lineOf(id, await watch(body, read, every)));
      else await stream(body, read, every, (b) => cli.io.out(lineOf(id, b)));
    });
}

/** `fixed 200 per 5000ms` or `adaptive up to 500/s`, and the rate it runs at now. */
export const pacingText = (b: RestoreStatusView): string => {
  const p = b.restore.pacing;
  const rate = `${Math.round(b.ratePerSecond * 100) / 100}/s`;
  if (!p) return rate;
  return p.mode === 'fixed'
    ? `fixed ${p.batchSize} per ${p.intervalMs}ms (${rate})`
    : `adaptive up to ${p.maxRate}/s (now ${rate})`;
};

const lineOf = (id: string, body: RestoreStatusView): string => {
  const c = body.counts;
  return (
    `restore ${id}: ${stateText(body)}; ` +
    `restored ${c.restored}, ticketed ${c.ticketed}, pending ${c.pending}, expired ${c.expired}, refused ${c.refused}; ` +
    `pacing ${pacingText(body)}`
  );
};

const unfinished = (b: RestoreStatusView) => b.restore.state === 'running' || b.restore.state === 'paused';

/** Off a terminal: one line per poll, the first at once, the last once the restore has ended. */
async function stream(
  first: RestoreStatusView,
  read: () => Promise<RestoreStatusView>,
  every: number,
  emit: (b: RestoreStatusView) => void,
): Promise<void> {
  let body = first;
  emit(body);
  while (unfinished(body)) {
    await new Promise((r) => setTimeout(r, every));
    body = await read();
    emit(body);
  }
}

/** On a terminal: polls, drawing the bar, until the restore is neither running nor paused. */
async function watch(
  first: RestoreStatusView,
  read: () => Promise<RestoreStatusView>,
  every: number,
): Promise<RestoreStatusView> {
  let body = first;
  const bar = new SingleBar(
    {
      format: 'restore |{bar}| {value}/{total} settled · {rate}/s · ETA {etaText} · {state}',
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  const settled = (b: RestoreStatusView) => b.restore.total - b.open;
  const payload = (b: RestoreStatusView) => ({
    rate: b.ratePerSecond.toFixed(1),
    etaText: b.etaSeconds === null ? '—' : `${b.etaSeconds}s`,
    state: stateText(b),
  });
  bar.start(body.restore.total, settled(body), payload(body));
  while (unfinished(body)) {
    await new Promise((r) => setTimeout(r, every));
    body = await read();
    bar.update(settled(body), payload(body));
  }
  bar.stop();
  return body;
}
