/** The lab's DNS: a parent zone delegating to a child, a caching resolver, and faults on both (docs/LAB.md). */
export {
  type ActiveDnsFault,
  type DnsFault,
  type DnsMode,
  fromScenario,
  parseDnsFault,
  parseDnsFaults,
} from './faults.ts';
export { DnsFaults, DnsLab, type DnsLabOptions } from './lab.ts';
export type { DnsRole, DnsSecond, DnsStatsSnapshot } from './stats.ts';
