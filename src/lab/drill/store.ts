/**
 * Where a drill's nodes keep their records. `postgres+redis`: a fresh PostgreSQL schema and a
 * fresh Redis key prefix (Lifeline creates the schema at start), dropped when the drill ends, so
 * drills never see each other's records. `sqlite+memory`: the node's own data directory.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createClient } from 'redis';
import type { NodeKind } from '../scenario/index.ts';
import type { NodeStore } from './config.ts';

export interface StoreUrls {
  /** @defaultValue env LIFELINE_DRILL_PG_URL, else postgres://postgres@127.0.0.1:5432/postgres */
  pgUrl?: string;
  /** @defaultValue env LIFELINE_DRILL_REDIS_URL, else redis://127.0.0.1:6379 */
  redisUrl?: string;
}

export function drillStore(
  kind: NodeKind,
  urls: StoreUrls,
  env: Record<string, string | undefined>,
): NodeStore {
  if (kind === 'sqlite+memory') return { kind };
  const id = randomBytes(6).toString('hex');
  return {
    kind,
    pgUrl: urls.pgUrl ?? env.LIFELINE_DRILL_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    schema: `lifeline_drill_${id}`,
    redisUrl: urls.redisUrl ?? env.LIFELINE_DRILL_REDIS_URL ?? 'redis://127.0.0.1:6379',
    prefix: `lldrill:${id}:`,
  };
}

/** Drops the drill's schema and deletes its keys; what cannot be reached is left, and said. */
export async function dropStore(store: NodeStore): Promise<string[]> {
  if (store.kind === 'sqlite+memory') return [];
  const problems: string[] = [];
  const db = new pg.Client({ connectionString: store.pgUrl, connectionTimeoutMillis: 5_000 });
  try {
    await db.connect();
    await db.query(`DROP SCHEMA IF EXISTS "${store.schema}" CASCADE`);
  } catch (err) {
    problems.push(`schema ${store.schema} not dropped: ${String(err)}`);
  } finally {
    await db.end().catch(() => {});
  }
  const redis = createClient({
    url: store.redisUrl,
    socket: { reconnectStrategy: false, connectTimeout: 5_000 },
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    for await (const keys of redis.scanIterator({ MATCH: `${store.prefix}*`, COUNT: 1000 })) {
      if (keys.length > 0) await redis.del(keys);
    }
    await redis.close();
  } catch (err) {
    problems.push(`keys ${store.prefix}* not deleted: ${String(err)}`);
    redis.destroy();
  }
  return problems;
}
