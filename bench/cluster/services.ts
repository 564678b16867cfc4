/**
 * The real PostgreSQL and Redis the cluster bench runs on: the scale-out tests' (test/services.ts),
 * with a fresh schema and key prefix per cluster that `dropAll` removes whatever ended the run;
 * and Redis's slow log, read for the bench's report.
 */
import { createClient } from 'redis';
import { redisUrl, unreachable } from '../../test/services.ts';

export { dropAll, freshPrefix, freshSchema, pgUrl, redisUrl } from '../../test/services.ts';

/** Throws with a line saying what to start when PostgreSQL or Redis does not answer. */
export async function probeServices(): Promise<void> {
  const failures = await unreachable(['postgres', 'redis']);
  if (failures.length > 0) throw new Error(`${failures.join('; ')}: start them on 127.0.0.1`);
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
