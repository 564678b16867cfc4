/** Opening the Redis live state and bus: three connections (commands, publish, subscribe). */
import { LifelineError } from '../../errors/index.ts';
import { RedisBus } from './bus.ts';
import { type Client, newClient } from './client.ts';
import { RedisLiveState } from './live-state.ts';

/** A node must not start without its live state: give up after this instead of retrying forever. */
const CONNECT_WITHIN_MS = 10_000;

/**
 * Connects the live state and the bus. `onError` hears connection errors and undeliverable
 * messages; by default they become process warnings (an unheard client 'error' event would
 * crash the process).
 */
export async function openRedisLive(opts: {
  url: string;
  prefix: string;
  onError?: (err: unknown) => void;
}): Promise<{ live: RedisLiveState; bus: RedisBus }> {
  const onError =
    opts.onError ??
    ((err: unknown) => process.emitWarning(`redis live state: ${String(err)}`, 'LifelineRedis'));
  const client = newClient(opts.url, { commandTimeoutMs: 0 });
  const pub = newClient(opts.url);
  const sub = newClient(opts.url);
  const clients = [client, pub, sub];
  for (const c of clients) c.on('error', onError);
  try {
    await connectAll(clients, opts.url);
  } catch (err) {
    for (const c of clients) if (c.isOpen) c.destroy();
    throw new LifelineError('LIVE_UNAVAILABLE', `Redis at ${redactUrl(opts.url)} cannot be reached`, {
      cause: err,
    });
  }
  return {
    live: new RedisLiveState(client, opts.prefix),
    bus: new RedisBus(pub, sub, opts.prefix, onError),
  };
}

async function connectAll(clients: readonly Client[], url: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.all(clients.map((c) => c.connect())),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer from ${redactUrl(url)} within ${CONNECT_WITHIN_MS / 1000} s`)),
          CONNECT_WITHIN_MS,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A URL fit for a log line: without its password. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'the configured Redis URL';
  }
}
