/** The Redis client Lifeline uses: the scripts registered, and failing fast while Redis is away. */
import { createClient } from 'redis';
import { scripts } from './scripts.ts';

/**
 * After a drop the client reconnects by itself, backing off to one try every 2 s (a subscriber
 * re-subscribes); meanwhile commands fail at once instead of queueing (disableOfflineQueue), so
 * callers hear at once. `commandTimeoutMs` 0 turns node-redis's per-command timeout off, for the
 * live state's client, whose calls a `Deadline` watches instead (deadline.ts); the bus's clients
 * keep node-redis's default.
 */
export function newClient(url: string, options: { commandTimeoutMs?: number } = {}) {
  return createClient({
    url,
    scripts,
    disableOfflineQueue: true,
    ...(options.commandTimeoutMs === undefined
      ? {}
      : { commandOptions: { timeout: options.commandTimeoutMs } }),
    socket: {
      connectTimeout: 5000,
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 6), 2000),
    },
  });
}

export type Client = ReturnType<typeof newClient>;
