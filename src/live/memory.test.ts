import { liveStateContract } from './contract.ts';
import { MemoryBus, MemoryLiveState } from './memory.ts';

liveStateContract('memory', async () => ({ live: new MemoryLiveState(), bus: new MemoryBus() }));
