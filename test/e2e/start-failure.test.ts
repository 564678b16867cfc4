/**
 * Issue 13: a start-up step that threw after the store and live state were open left them open
 * (and presence's timer running), so the process lingered on its connections instead of exiting
 * with the error. The failing step here is the last thing built before the listeners bind: the
 * admin API, refused by Fastify over a body limit that slipped past validation. Everything opened
 * before it must be closed when createApp rejects.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { type TestContext, test } from 'node:test';
import pino from 'pino';
import { createApp } from '../../src/app.ts';
import { type Config, sqlitePath } from '../../src/config/index.ts';
import { eventually, tempDir, testConfig } from '../helpers.ts';
import { TcpProxy } from '../proxy.ts';
import { services } from '../services.ts';

const silent = pino({ level: 'silent' });

/** The config with a body limit Fastify refuses, found only when the admin API is built. */
function failingLate(config: Config): Config {
  return { ...config, admin: { ...config.admin, bodyLimitBytes: 1.5 } };
}

/** Timers that keep the process alive (unref'd ones are not listed). */
function refTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

async function refusedLate(config: Config): Promise<void> {
  await assert.rejects(createApp({ config: failingLate(config), logger: silent }), /bodyLimit/);
}

test('a step that fails late closes the SQLite store and stops presence', async (t: TestContext) => {
  const config = testConfig(tempDir(t));
  const wal = `${sqlitePath(config)}-wal`;
  // SQLite deletes the WAL file when the last connection to the database closes: while a node
  // runs, it is there; once every connection is closed, it is gone.
  const running = await createApp({ config, logger: silent });
  assert.equal(existsSync(wal), true);
  await running.close();
  assert.equal(existsSync(wal), false);

  const timers = refTimers();
  await refusedLate(config);
  assert.equal(existsSync(wal), false, 'the store is still open');
  assert.equal(refTimers(), timers, 'a timer (presence) is still running');
});

const s = await services('start failure on PostgreSQL and Redis', ['postgres', 'redis']);
if (s) {
  test('a step that fails late closes the PostgreSQL and Redis connections', async (t) => {
    const pg = new URL(s.pgUrl);
    const redis = new URL(s.redisUrl);
    const pgProxy = await TcpProxy.start({ host: pg.hostname, port: Number(pg.port || 5432) });
    const redisProxy = await TcpProxy.start({ host: redis.hostname, port: Number(redis.port || 6379) });
    t.after(() => Promise.all([pgProxy.close(), redisProxy.close()]));
    pg.host = `127.0.0.1:${pgProxy.port}`;
    const config = testConfig(tempDir(t), {
      store: { kind: 'postgres', postgres: { url: pg.toString(), schema: s.schema() } },
      live: { kind: 'redis', redis: { url: `redis://127.0.0.1:${redisProxy.port}`, prefix: s.prefix() } },
    });
    // The proxies see the node's connections while it runs: the count below can fail.
    const running = await createApp({ config, logger: silent });
    assert.ok(pgProxy.openSockets > 0 && redisProxy.openSockets > 0);
    await running.close();

    await refusedLate(config);
    // The proxy hears each close a moment after the client makes it: polled to a deadline.
    await eventually(async () => (pgProxy.openSockets + redisProxy.openSockets === 0 ? true : undefined));
  });
}
