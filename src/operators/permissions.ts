/** Roles and what each may do on the admin plane. */
import { type Role, roles } from './records.ts';

/**
 * Which roles may do what. Anything not listed here is refused.
 *
 * Fitted to on-call (issue 17): a viewer may halt a command, because halting only ever stops
 * harm (a kick's remaining waves; nothing it did is undone, nothing new is done) and whoever
 * watches a runaway kick should not have to find someone else to stop it. An operator reads the
 * audit log, because a breaker trip, a halt or a flag change is only explained there. The
 * destructive direction keeps its friction: kicks, bulk tiers, breaker resets and flags keep
 * their roles, TOTP and approvals; an auditor still never acts.
 */
export const permissions = {
  'sessions.read': ['viewer', 'operator', 'admin'],
  'commands.read': ['viewer', 'operator', 'admin', 'auditor'],
  'commands.kick': ['operator', 'admin'],
  'commands.kick.bulk': ['admin'],
  'commands.halt': ['viewer', 'operator', 'admin'],
  'breaker.read': ['viewer', 'operator', 'admin', 'auditor'],
  'breaker.reset': ['admin'],
  'flags.read': ['viewer', 'operator', 'admin', 'auditor'],
  'flags.write': ['admin'],
  'restores.read': ['viewer', 'operator', 'admin', 'auditor'],
  'restores.start': ['operator', 'admin'],
  'restores.start.bulk': ['admin'],
  'restores.control': ['operator', 'admin'],
  'disruptions.read': ['viewer', 'operator', 'admin', 'auditor'],
  'bans.read': ['viewer', 'operator', 'admin', 'auditor'],
  'bans.write': ['admin'],
  'audit.read': ['operator', 'auditor', 'admin'],
  'signals.read': ['viewer', 'operator', 'admin', 'auditor'],
  'signals.write': ['operator', 'admin'],
  'incidents.read': ['viewer', 'operator', 'admin', 'auditor'],
  'incidents.write': ['operator', 'admin'],
  'incidents.compensate': ['admin'],
  'operators.manage': ['admin'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof permissions;

export function isRole(value: string): value is Role {
  return (roles as readonly string[]).includes(value);
}

export function may(role: Role, permission: Permission): boolean {
  return (permissions[permission] as readonly Role[]).includes(role);
}
