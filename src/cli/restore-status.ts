/** `lifeline restore status`: one answer, or with --watch a progress bar until the restore ends. */
import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import type { CliContext } from './context.ts';

export interface RestoreStatusView {
  restore: { id: string; state: string; total: number; pauseReason: string | null };
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
    .description('[api] progress, rate and ETA; --watch draws a progress bar until it ends')
    .option('--watch', 'keep polling until the restore is done or cancelled')
    .action(async (id: string, opts: { watch?: boolean }) => {
      const read = async () =>
        (await cli.api('GET', `/admin/v1/restores/${encodeURIComponent(id)}`)) as RestoreStatusView;
      let body = await read();
      if (opts.watch && !cli.globals().json) body = await watch(body, read);
      const c = body.counts;
      cli.print(
        `restore ${id}: ${stateText(body)}; ` +
          `restored ${c.restored}, ticketed ${c.ticketed}, pending ${c.pending}, expired ${c.expired}, refused ${c.refused}`,
        body,
      );
    });
}

/** Polls once a second, drawing the bar, until the restore is neither running nor paused. */
async function watch(
  first: RestoreStatusView,
  read: () => Promise<RestoreStatusView>,
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
  while (body.restore.state === 'running' || body.restore.state === 'paused') {
    await new Promise((r) => setTimeout(r, 1000));
    body = await read();
    bar.update(settled(body), payload(body));
  }
  bar.stop();
  return body;
}
