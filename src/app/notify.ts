/**
 * Routing (signals to people) and the SIEM export of the audit stream: both listen to what the
 * node does and write outward, so they start last and stop first.
 */
import { Routing } from '../routing/index.ts';
import type { Adapters } from './adapters.ts';
import type { Context } from './context.ts';

export function startRouting({ config, logger, clock, events, life }: Context, adapters: Adapters): Routing {
  const routing = new Routing({
    config: config.routing,
    store: adapters.store,
    leases: adapters.live,
    events,
    nodeId: config.nodeId,
    clock,
    logger: logger.child({ component: 'routing' }),
  });
  routing.start();
  life.onClose('routing', () => routing.stop());
  return routing;
}
