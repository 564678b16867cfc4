/**
 * How Lifeline resolves the hostnames of its upstreams: through the operating system by default,
 * or through configured DNS servers with answers cached for their TTL (`dns` in the config), and
 * the one DNS client the delegation probe and the lab share.
 */
export { type Fetch, resolvingFetch } from './fetch.ts';
export { type DnsReply, dnsQuery, parseServer } from './query.ts';
export { type DnsSettings, HostResolver, type Resolved } from './resolver.ts';
