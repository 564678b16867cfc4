import { BlockList, isIP } from 'node:net';

/** `::ffff:10.0.0.7` is the IPv4 client 10.0.0.7 on a dual-stack socket. */
function unmapped(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/**
 * Who the client is, for per-address limits. The peer of the TCP connection, unless that peer is
 * one of the configured trusted proxies: then `X-Forwarded-For` is read from the right (the hop
 * the proxy itself added) and the first address that is not a trusted proxy is the client. A peer
 * that is not trusted cannot change its own key by sending the header: it is not read at all.
 */
export class ClientAddress {
  readonly #trusted: BlockList | undefined;

  /** `trusted`: addresses and CIDRs, already checked by the configuration (player.trustProxy). */
  constructor(trusted: readonly string[]) {
    if (trusted.length === 0) return;
    const list = new BlockList();
    for (const entry of trusted) {
      const [address = '', bits] = entry.split('/');
      const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) list.addAddress(address, family);
      else list.addSubnet(address, Number(bits), family);
    }
    this.#trusted = list;
  }

  #isTrusted(address: string): boolean {
    const family = isIP(address);
    return family !== 0 && (this.#trusted?.check(address, family === 6 ? 'ipv6' : 'ipv4') ?? false);
  }

  /** The client's address, from the socket's peer and the request's `X-Forwarded-For`. */
  of(peer: string | undefined, forwardedFor: string | string[] | undefined): string {
    let client = unmapped(peer ?? '');
    if (this.#trusted === undefined || forwardedFor === undefined || !this.#isTrusted(client)) return client;
    const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',');
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = unmapped((hops[i] as string).trim());
      // Garbage to the left of trusted hops was written by the client: the last good hop stands.
      if (isIP(hop) === 0) return client;
      client = hop;
      if (!this.#isTrusted(hop)) return client;
    }
    return client;
  }
}

/**
 * The bucket an address counts against. An IPv6 client usually holds a whole /64 and can pick
 * any address in it, so IPv6 addresses share one bucket per /64; IPv4 ones are their own.
 */
export function addressBucket(address: string): string {
  if (isIP(address) !== 6) return address;
  const [head = '', tail] = address.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
