import type { IncomingMessage } from 'node:http';
import type { LimitedRoute, PlayerLimits } from '../../sessions/index.ts';
import { addressBucket, ClientAddress } from '../client-ip.ts';

/** Spends from a request's client-address bucket on one limited route; throws RATE_LIMITED. */
export type AddressLimit = (route: LimitedRoute, request: IncomingMessage) => Promise<void>;

/**
 * Every limited request spends from its client address's bucket before any other work. The
 * address is the TCP peer's, or behind a trusted proxy the one X-Forwarded-For names.
 */
export function addressLimit(trustProxy: readonly string[], limits: PlayerLimits): AddressLimit {
  const clients = new ClientAddress(trustProxy);
  return (route, request) =>
    limits.fromAddress(
      route,
      addressBucket(clients.of(request.socket.remoteAddress, request.headers['x-forwarded-for'])),
    );
}
