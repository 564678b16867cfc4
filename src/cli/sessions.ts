import type { Command } from 'commander';
import type { CliContext } from './context.ts';

interface SessionsOptions {
  region?: string;
  shard?: string;
  zone?: string;
  player?: string;
  limit: string;
}

/** `lifeline sessions`: live sessions exist only inside the server, so this asks its admin API. */
export function sessionsCommand(program: Command, cli: CliContext): void {
  program
    .command('sessions')
    .description('[api] list live sessions and counts by region and shard')
    .option('--region <region>')
    .option('--shard <shard>')
    .option('--zone <zone>')
    .option('--player <playerId>')
    .option('--limit <n>', 'sessions to list', '20')
    .action(async (opts: SessionsOptions) => {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries({
        region: opts.region,
        shard: opts.shard,
        zone: opts.zone,
        playerId: opts.player,
        limit: opts.limit,
      })) {
        if (v !== undefined) q.set(k, v);
      }
      const body = (await cli.api('GET', `/admin/v1/sessions?${q}`)) as {
        counts: { total: number; byRegion: Record<string, number>; byShard: Record<string, number> };
        sessions: { id: string; playerId: string; region: string; shard: string }[];
      };
      const lines = [
        `${body.counts.total} live session(s)`,
        ...Object.entries(body.counts.byShard).map(([s, n]) => `  ${s}\t${n}`),
        ...body.sessions.map((s) => `${s.id}\t${s.playerId}\t${s.region}/${s.shard}`),
      ];
      cli.print(lines.join('\n'), body);
    });
}
