/**
 * Opens live state and the bus: in this process, or Redis shared by nodes. Only the composition
 * root (src/app.ts) imports this file.
 */
import { MemoryBus, MemoryLiveState } from './memory.ts';
import type { Bus, LiveState } from './index.ts';
import { openRedisLive } from './redis/index.ts';

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
