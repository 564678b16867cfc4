/** Roles and what each may do on the admin plane. */
import { type Role, roles } from './records.ts';

/** Which roles may do what. Anything not listed here is refused. */
export const permissions = {
  'sessions.read': ['viewer', 'operator', 'admin'],
  'commands.read': ['viewer', 'operator', 'admin', 'auditor'],
  'commands.kick': ['operator', 'admin'],
  'commands.kick.bulk': ['admin'],
  'commands.halt': ['operator', 'admin'],
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
  'audit.read': ['auditor', 'admin'],
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
