/** The live-state contract on a real Redis: each test works under its own key prefix. */
import { services } from '../../../test/services.ts';
import { liveStateContract } from '../contract.ts';
import { openRedisLive } from './index.ts';

const s = await services('live state contract: redis', ['redis']);
if (s) liveStateContract('redis', async () => openRedisLive({ url: s.redisUrl, prefix: s.prefix() }));
