/**
 * The real PostgreSQL and Redis the scale-out suites run against (127.0.0.1 by default; override
 * with LIFELINE_TEST_PG_URL and LIFELINE_TEST_REDIS_URL). Without them a suite skips with one
 * line saying how to run it, unless CI=true, where a missing service is a failure.
 *
 * Each test gets its own PostgreSQL schema and Redis key prefix, dropped when the file ends.
 */
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import pg from 'pg';
import { createClient } from 'redis';

export const pgUrl = process.env.LIFELINE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const redisUrl = process.env.LIFELINE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * How long a connect may take before the service counts as unreachable. A service that is not
 * running refuses at once; this only bounds one that hangs. A loaded machine (load 20) has taken
 * over 2 s to connect to a local PostgreSQL, which then failed a whole file under CI=true.
 */
const connectTimeoutMs = 30_000;

async function pgFailure(): Promise<unknown> {
  const client = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: connectTimeoutMs });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (err) {
    return err;
  } finally {
    await client.end().catch(() => {});
  }
}

/** A single connect attempt: a failing client neither reconnects nor keeps the process alive. */
async function redisFailure(): Promise<unknown> {
  const probe = createClient({
    url: redisUrl,
    socket: { reconnectStrategy: false, connectTimeout: connectTimeoutMs },
  });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.ping();
    await probe.close();
    return null;
  } catch (err) {
    if (probe.isOpen) probe.destroy();
    return err;
  }
}

/** What of `needs` does not answer, a line each ("PostgreSQL at …: …"); empty when all do. */
export async function unreachable(needs: readonly ('postgres' | 'redis')[]): Promise<string[]> {
  const failures: string[] = [];
  if (needs.includes('postgres')) {
    const f = await pgFailure();
    if (f !== null) failures.push(`PostgreSQL at ${pgUrl}: ${String(f)}`);
  }
  if (needs.includes('redis')) {
    const f = await redisFailure();
    if (f !== null) failures.push(`Redis at ${redisUrl}: ${String(f)}`);
  }
  return failures;
}

const schemas: string[] = [];
const prefixes: string[] = [];

/** A fresh schema name, dropped (with everything in it) by `dropAll`. */
export function freshSchema(): string {
  const s = `lifeline_test_${randomBytes(6).toString('hex')}`;
  schemas.push(s);
  return s;
}

/** A fresh Redis key prefix, its keys deleted by `dropAll`. */
export function freshPrefix(): string {
  const p = `lltest:${randomBytes(6).toString('hex')}:`;
  prefixes.push(p);
  return p;
}

/** Drops every schema and deletes every prefix's keys handed out so far; says what it removed. */
export async function dropAll(): Promise<{ schemas: number; keys: number }> {
  const dropped = { schemas: 0, keys: 0 };
  if (schemas.length > 0) {
    const admin = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: connectTimeoutMs });
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
      socket: { reconnectStrategy: false, connectTimeout: connectTimeoutMs },
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

export interface Services {
  pgUrl: string;
  redisUrl: string;
  /** A fresh schema name, dropped (with everything in it) after the file's tests. */
  schema(): string;
  /** A fresh Redis key prefix, its keys deleted after the file's tests. */
  prefix(): string;
}

/**
 * Probes the services `needs` names. When they answer, returns the handle; when not, registers a
 * failing test (CI=true) or a skipped one with a line saying how to enable it, and returns null.
 */
export async function services(
  suite: string,
  needs: readonly ('postgres' | 'redis')[],
): Promise<Services | null> {
  const failures = await unreachable(needs);
  if (failures.length > 0) {
    if (process.env.CI === 'true') {
      test(`${suite} needs ${needs.join(' and ')}`, () => {
        throw new Error(`CI=true requires ${needs.join(' and ')}, unreachable: ${failures.join('; ')}`);
      });
    } else {
      console.log(
        `${suite} skipped: start ${needs.join(' and ')} on 127.0.0.1 (or set LIFELINE_TEST_PG_URL / LIFELINE_TEST_REDIS_URL), or set CI=true to require them`,
      );
      test(suite, { skip: `${needs.join(' and ')} not reachable` }, () => {});
    }
    return null;
  }
  after(dropAll);
  return {
    pgUrl,
    redisUrl,
    schema: freshSchema,
    prefix: freshPrefix,
  };
}
