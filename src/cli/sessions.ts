import type { Command } from 'commander';
import type { CliContext } from './context.ts';
import { type ListOptions, pagingOptions, runList } from './list.ts';
import { type Column, when } from './table.ts';

interface SessionView {
  id: string;
  playerId: string;
  region: string;
  shard: string;
  zone: string | null;
  clientVersion: string | null;
  node: string;
  createdAt: number;
  lastSeenAt: number;
}

interface Counts {
  total: number;
  byRegion: Record<string, number>;
  byShard: Record<string, number>;
}

const sessionColumns: Column<SessionView>[] = [
  { header: 'SESSION', value: (s) => s.id },
  { header: 'PLAYER', value: (s) => s.playerId },
  { header: 'REGION', value: (s) => s.region },
  { header: 'SHARD', value: (s) => s.shard },
  { header: 'SINCE', value: (s) => when(s.createdAt) },
  { header: 'ZONE', value: (s) => s.zone ?? '-', wide: true },
  { header: 'CLIENT', value: (s) => s.clientVersion ?? '-', wide: true },
  { header: 'NODE', value: (s) => s.node, wide: true },
  { header: 'LAST SEEN', value: (s) => when(s.lastSeenAt), wide: true },
];

/** The counts above the table: the total, then each shard's. */
const countsHead = (carried: Record<string, unknown>): string => {
  const c = carried.counts as Counts;
  const shards = Object.entries(c.byShard)
    .map(([s, n]) => `${s} ${n}`)
    .join(', ');
  return `${c.total} live session(s)${shards ? `: ${shards}` : ''}`;
};

/**
 * `lifeline sessions`: live sessions exist only inside the server, so this asks its admin API.
 * It pages like every list (oldest first; `--limit`, `--cursor`, `--all`, and says on stderr
 * when more follow), with the counts of every session the filter matches above the table.
 */
export function sessionsCommand(program: Command, cli: CliContext): void {
  pagingOptions(
    program
      .command('sessions')
      .description('[api] list live sessions, oldest first, with counts by region and shard'),
  )
    .option('--region <region>')
    .option('--shard <shard>')
    .option('--zone <zone>')
    .option('--player <playerId>')
    .action((o: ListOptions & { region?: string; shard?: string; zone?: string; player?: string }) =>
      runList(
        cli,
        {
          path: '/admin/v1/sessions',
          key: 'sessions',
          columns: sessionColumns,
          empty: '(no sessions)',
          carry: ['counts'],
          head: countsHead,
        },
        { region: o.region, shard: o.shard, zone: o.zone, playerId: o.player },
        o,
      ),
    );
}
