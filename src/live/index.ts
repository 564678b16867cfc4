/** Live state and the bus. One factory picks the adapters; Redis joins with the scale-out. */
import { MemoryBus, MemoryLiveState } from './memory.ts';
import type { Bus, LiveState } from './port.ts';

export type * from './port.ts';
export { compareVersions, matchesFilter, snapshotOf } from './filter.ts';
export { MemoryBus, MemoryLiveState } from './memory.ts';

export type LiveSpec = { kind: 'memory' };

export async function openLive(spec: LiveSpec): Promise<{ live: LiveState; bus: Bus }> {
  switch (spec.kind) {
    case 'memory':
      return { live: new MemoryLiveState(), bus: new MemoryBus() };
  }
}
