/**
 * The live-state contract on a real Redis. Without one it skips with a line saying how to run it,
 * unless CI=true, where a missing Redis is a failure.
 */
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { createClient } from 'redis';
import { liveStateContract } from '../contract.ts';
import { openRedisLive } from './index.ts';

const url = process.env.LIFELINE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A short, single connect attempt: a failing client neither reconnects nor keeps the process alive. */
async function reachable(): Promise<unknown> {
  const probe = createClient({ url, socket: { reconnectStrategy: false, connectTimeout: 2000 } });
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

const failure = await reachable();

if (failure !== null && process.env.CI === 'true') {
  test('redis contract suite', () => {
    throw new Error(`Redis at ${url} is unreachable and CI=true requires it: ${String(failure)}`);
  });
} else if (failure !== null) {
  console.log('redis contract suite skipped: start Redis on 127.0.0.1:6379 or set CI=true to require it');
} else {
  const prefixes: string[] = [];

  after(async () => {
    const admin = createClient({ url, socket: { reconnectStrategy: false, connectTimeout: 2000 } });
    admin.on('error', () => {});
    await admin.connect();
    try {
      for (const prefix of prefixes) {
        for await (const keys of admin.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
          if (keys.length > 0) await admin.del(keys);
        }
      }
    } finally {
      await admin.close();
    }
  });

  liveStateContract('redis', async () => {
    const prefix = `lltest:${randomBytes(6).toString('hex')}:`;
    prefixes.push(prefix);
    return openRedisLive({ url, prefix });
  });
}
