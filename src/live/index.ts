/** Live state and the bus. One factory picks the adapters: in this process, or Redis shared by nodes. */
import { MemoryBus, MemoryLiveState } from './memory.ts';
import type { Bus, LiveState } from './port.ts';
import { openRedisLive } from './redis/index.ts';

export type * from './port.ts';
export { compareVersions, matchesFilter, snapshotOf } from './filter.ts';
export { MemoryBus, MemoryLiveState } from './memory.ts';
export { initialLimit, nextLimit } from './port.ts';

export { RedisBus, RedisLiveState } from './redis/index.ts';

export type LiveSpec =
  | { kind: 'memory' }
  | { kind: 'redis'; url: string; prefix: string; onError?: (err: unknown) => void };

export async function openLive(spec: LiveSpec): Promise<{ live: LiveState; bus: Bus }> {
  switch (spec.kind) {
    case 'memory':
      return { live: new MemoryLiveState(), bus: new MemoryBus() };
    case 'redis':
      return openRedisLive(spec);
  }
}
