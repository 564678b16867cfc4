/**
 * The real PostgreSQL and Redis the cluster bench runs on (127.0.0.1 by default; override with
 * LIFELINE_TEST_PG_URL and LIFELINE_TEST_REDIS_URL, as the scale-out tests do). Each cluster gets
 * a fresh schema and key prefix; `dropAll` removes every one handed out, whatever ended the run.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createClient } from 'redis';

export const pgUrl = process.env.LIFELINE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const redisUrl = process.env.LIFELINE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const schemas: string[] = [];
const prefixes: string[] = [];

/** A fresh schema name, dropped by `dropAll`. */
export function freshSchema(): string {
  const s = `lifeline_bench_${randomBytes(6).toString('hex')}`;
  schemas.push(s);
  return s;
}

/** A fresh Redis key prefix, its keys deleted by `dropAll`. */
export function freshPrefix(): string {
  const p = `llbench:${randomBytes(6).toString('hex')}:`;
  prefixes.push(p);
  return p;
}

/** Throws with a line saying what to start when PostgreSQL or Redis does not answer. */
export async function probeServices(): Promise<void> {
  const client = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    throw new Error(`PostgreSQL at ${pgUrl} does not answer (${String(err)}); start it on 127.0.0.1`);
  } finally {
    await client.end().catch(() => {});
  }
  const redis = createClient({ url: redisUrl, socket: { reconnectStrategy: false, connectTimeout: 2_000 } });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
    await redis.close();
  } catch (err) {
    if (redis.isOpen) redis.destroy();
    throw new Error(`Redis at ${redisUrl} does not answer (${String(err)}); start it on 127.0.0.1`);
  }
}

/** Drops every schema and deletes every prefix's keys handed out so far; returns what it removed. */
export async function dropAll(): Promise<{ schemas: number; keys: number }> {
  const dropped = { schemas: 0, keys: 0 };
  if (schemas.length > 0) {
    const admin = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 2_000 });
    await admin.connect();
    try {
      for (const s of schemas.splice(0)) {
        await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
        dropped.schemas++;
      }
    } finally {
      await admin.end();
    }
  }
  if (prefixes.length > 0) {
    const admin = createClient({
      url: redisUrl,
      socket: { reconnectStrategy: false, connectTimeout: 2_000 },
    });
    admin.on('error', () => {});
    await admin.connect();
    try {
      for (const prefix of prefixes.splice(0)) {
        for await (const keys of admin.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
          if (keys.length > 0) dropped.keys += await admin.del(keys);
        }
      }
    } finally {
      await admin.close();
    }
  }
  return dropped;
}

export interface SlowCommand {
  /** Epoch ms (Redis records whole seconds). */
  at: number;
  command: string;
  ms: number;
  /** How many arguments it had (Redis keeps the first 32 and counts the rest). */
  args: number;
}

/**
 * The commands under `prefix` that Redis's slow log holds from `sinceEpochMs` on, and the log's
 * threshold: the time a single script held Redis, during which no other node's command ran.
 */
export async function slowCommands(
  prefix: string,
  sinceEpochMs: number,
): Promise<{ thresholdMs: number; commands: SlowCommand[] }> {
  const client = createClient({ url: redisUrl, socket: { reconnectStrategy: false, connectTimeout: 2_000 } });
  client.on('error', () => {});
  await client.connect();
  try {
    const config = (await client.sendCommand(['CONFIG', 'GET', 'slowlog-log-slower-than'])) as unknown;
    const threshold = Array.isArray(config)
      ? Number(config[1])
      : Number((config as Record<string, string>)['slowlog-log-slower-than']);
    const entries = (await client.sendCommand(['SLOWLOG', 'GET', '128'])) as unknown as [
      number,
      number,
      number,
      string[],
    ][];
    const commands: SlowCommand[] = [];
    for (const [, at, micros, args] of entries) {
      if (at * 1000 < sinceEpochMs - 1_000 || !args.some((a) => a.includes(prefix))) continue;
      const more = /^\.\.\. \((\d+) more arguments\)$/.exec(args.at(-1) ?? '');
      commands.push({
        at: at * 1000,
        command: args[0] ?? '?',
        ms: Math.round(micros / 100) / 10,
        args: more ? args.length - 1 + Number(more[1]) : args.length,
      });
    }
    return { thresholdMs: threshold / 1000, commands: commands.sort((a, b) => a.at - b.at) };
  } finally {
    await client.close();
  }
}
