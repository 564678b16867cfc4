/**
 * What the lab's two authoritative servers answer, as a pure function of the question and the
 * faults in force. The parent serves `<apex>` (e.g. `lab.test`) and delegates each target's zone
 * (`identity.lab.test`) to `ns1.<target zone>`, with glue; the child serves every target zone:
 * the host itself (an A record at the zone's apex) and its name server. On loopback every name
 * server is 127.0.0.1, so the lab's directory gives each one's port (in the world, 53).
 */
import type * as packet from 'dns-packet';
import type { ActiveDnsFault } from './faults.ts';

export type Role = 'parent' | 'child';

export interface Zones {
  /** The parent zone, without the trailing dot. */
  apex: string;
  /** Target labels: each is a delegated zone `<target>.<apex>` whose apex resolves to `address`. */
  targets: readonly string[];
  address: string;
  ttlSeconds: number;
}

export interface Reply {
  rcode: 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL' | 'REFUSED';
  authoritative: boolean;
  answers: packet.Answer[];
  authorities: packet.Answer[];
  additionals: packet.Answer[];
}

export const zoneOf = (z: Zones, target: string): string => `${target}.${z.apex}`;
export const parentNs = (z: Zones): string => `ns.${z.apex}`;
export const childNs = (z: Zones, target: string): string => `ns1.${zoneOf(z, target)}`;

const within = (name: string, zone: string) => name === zone || name.endsWith(`.${zone}`);
const reply = (rcode: Reply['rcode'], authoritative: boolean, parts: Partial<Reply> = {}): Reply => ({
  rcode,
  authoritative,
  answers: [],
  authorities: [],
  additionals: [],
  ...parts,
});

/** The parent's answer: a referral for a delegated zone, NXDOMAIN once its delegation is removed. */
export function parentAnswer(
  z: Zones,
  q: packet.Question,
  faultOf: (target: string) => ActiveDnsFault | undefined,
): Reply {
  const name = q.name.toLowerCase().replace(/\.$/, '');
  if (!within(name, z.apex)) return reply('REFUSED', false);
  const soa = soaRecord(z, z.apex);
  for (const target of z.targets) {
    const zone = zoneOf(z, target);
    if (!within(name, zone)) continue;
    if (faultOf(target)?.mode === 'delegation-removed')
      return reply('NXDOMAIN', true, { authorities: [soa] });
    return reply('NOERROR', false, {
      authorities: [{ type: 'NS', name: zone, ttl: z.ttlSeconds, class: 'IN', data: childNs(z, target) }],
      additionals: [{ type: 'A', name: childNs(z, target), ttl: z.ttlSeconds, class: 'IN', data: z.address }],
    });
  }
  if (name === parentNs(z)) return hostAnswer(z, q, name, soa);
  if (name === z.apex && q.type === 'NS')
    return reply('NOERROR', true, {
      answers: [{ type: 'NS', name, ttl: z.ttlSeconds, class: 'IN', data: parentNs(z) }],
    });
  if (name === z.apex) return reply('NOERROR', true, { authorities: [soa] });
  return reply('NXDOMAIN', true, { authorities: [soa] });
}

/** The child's answer for a target zone: the host, its name server, or the fault's rcode. */
export function childAnswer(
  z: Zones,
  q: packet.Question,
  faultOf: (target: string) => ActiveDnsFault | undefined,
  random: () => number,
): Reply {
  const name = q.name.toLowerCase().replace(/\.$/, '');
  const target = z.targets.find((t) => within(name, zoneOf(z, t)));
  if (target === undefined) return reply('REFUSED', false);
  const zone = zoneOf(z, target);
  const soa = soaRecord(z, zone);
  const fault = faultOf(target);
  if (fault?.mode === 'unresolvable' && random() < (fault.rate ?? 1))
    return reply(fault.rcode ?? 'NXDOMAIN', fault.rcode !== 'SERVFAIL', { authorities: [soa] });
  if (name === zone && q.type === 'NS')
    return reply('NOERROR', true, {
      answers: [{ type: 'NS', name, ttl: z.ttlSeconds, class: 'IN', data: childNs(z, target) }],
    });
  if (name === zone || name === childNs(z, target)) return hostAnswer(z, q, name, soa);
  return reply('NXDOMAIN', true, { authorities: [soa] });
}

/** A name that has an A record: the record for A (or ANY), an empty NOERROR for other types. */
function hostAnswer(z: Zones, q: packet.Question, name: string, soa: packet.Answer): Reply {
  if (q.type === 'A' || (q.type as string) === 'ANY')
    return reply('NOERROR', true, {
      answers: [{ type: 'A', name, ttl: z.ttlSeconds, class: 'IN', data: z.address }],
    });
  return reply('NOERROR', true, { authorities: [soa] });
}

function soaRecord(z: Zones, zone: string): packet.Answer {
  return {
    type: 'SOA',
    name: zone,
    ttl: z.ttlSeconds,
    class: 'IN',
    data: {
      mname: zone === z.apex ? parentNs(z) : `ns1.${zone}`,
      rname: `hostmaster.${z.apex}`,
      serial: 1,
      refresh: 3600,
      retry: 600,
      expire: 86_400,
      minimum: z.ttlSeconds,
    },
  };
}
