/**
 * `lifeline health`: what a load balancer reads, for a person. Asks the node's player listener
 * for /health (alive) and /ready (ready, with each check), prints both, and exits 1 unless the
 * node is alive and ready, so a runbook step or a script can wait on it (`until lifeline health`).
 */
import type { Command } from 'commander';
import { hostFor } from './api.ts';
import type { CliContext } from './context.ts';
import { CliError } from './errors.ts';

interface ReadyView {
  status: string;
  checks?: Record<string, string>;
  dependencies?: Record<string, string>;
  alerts?: Record<string, string>;
}

/** Which player listener: --url, LIFELINE_PLAYER_URL, or the config's player.host/player.port. */
function playerUrlOf(cli: CliContext, flag: string | undefined): { url: string; from: string } {
  if (flag !== undefined) return { url: flag, from: '--url' };
  const env = cli.io.env.LIFELINE_PLAYER_URL;
  if (env !== undefined) return { url: env, from: 'LIFELINE_PLAYER_URL' };
  const cfg = cli.config();
  return {
    url: `http://${hostFor(cfg.player.host)}:${cfg.player.port}`,
    from: 'config player.host/player.port',
  };
}

/** GET a probe: its status and JSON body, or a coded error naming the URL. */
async function probe(base: string, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  let res: Response;
  try {
    res = await fetch(new URL(path, base));
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new CliError(
      'NODE_UNREACHABLE',
      `Cannot reach the player listener at ${base}: is \`lifeline serve\` running, and is this its player port? (${cause})`,
      { url: base },
    );
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (typeof body !== 'object' || body === null || typeof (body as { status?: unknown }).status !== 'string')
    throw new CliError(
      'NODE_URL_WRONG',
      `${base} answered ${res.status} to ${path}, not as Lifeline's player listener: check --url, LIFELINE_PLAYER_URL or player.port (the admin port is not the player one)`,
      { url: base, status: res.status },
    );
  return { status: res.status, body: body as Record<string, unknown> };
}

const pairs = (m: Record<string, string> | undefined): string =>
  Object.entries(m ?? {})
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || '-';

export function healthCommand(program: Command, cli: CliContext): void {
  program
    .command('health')
    .description(
      "[probe] the node's /health and /ready, as a load balancer reads them; exit 1 unless alive and ready",
    )
    .option(
      '--url <url>',
      'the player listener (env LIFELINE_PLAYER_URL; default from config player.host/port)',
    )
    .action(async (opts: { url?: string }) => {
      const where = playerUrlOf(cli, opts.url);
      const health = await probe(where.url, '/health');
      const ready = await probe(where.url, '/ready');
      const alive = health.status === 200 && health.body.status === 'alive';
      const r = ready.body as unknown as ReadyView;
      const isReady = ready.status === 200 && r.status === 'ready';
      if (!alive || !isReady) cli.fail();
      cli.print(
        [
          `${where.url} (from ${where.from}): ${alive ? 'alive' : `not alive (${health.status})`}, ${r.status}`,
          `  checks:       ${pairs(r.checks)}`,
          `  dependencies: ${pairs(r.dependencies)}`,
          ...(r.alerts && Object.keys(r.alerts).length > 0 ? [`  alerts:       ${pairs(r.alerts)}`] : []),
        ].join('\n'),
        {
          url: where.url,
          urlFrom: where.from,
          alive,
          ready: isReady,
          health: health.body,
          readiness: { httpStatus: ready.status, ...ready.body },
        },
      );
    });
}
