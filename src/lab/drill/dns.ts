/**
 * The adapter for scenario `dns` faults (a hostname that stops resolving, a removed NS
 * delegation). The lab's DNS server is being built (src/lab/dns/, issue 14); until it is wired
 * here, a dns fault is not applied and the drill says so on its mark and in its findings.
 */
import type { Fault } from '../scenario/index.ts';

export interface DnsNote {
  /** False when the fault could not be put in force. */
  applied: boolean;
  note?: string;
}

export interface DnsFaults {
  apply(fault: Extract<Fault, { kind: 'dns' }>): Promise<DnsNote>;
  recover(fault: Extract<Fault, { kind: 'dns' }>): Promise<DnsNote>;
}

export const dnsUnavailableNote =
  'dns faults not available (the lab DNS server is not wired yet); not applied';

/** Every dns fault reported as not applied. */
export const unavailableDns: DnsFaults = {
  apply: async () => ({ applied: false, note: dnsUnavailableNote }),
  recover: async () => ({ applied: false, note: dnsUnavailableNote }),
};
