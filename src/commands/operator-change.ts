/**
 * Creating an operator or changing a role is a guarded command like a bulk kick: it needs an
 * admin with TOTP to ask and a second admin with TOTP to approve, and it lands in the commands
 * record beside the kicks, so the same approve, halt and expiry apply.
 */
import type { CommandPlan, CommandPolicy, Role } from '../store/index.ts';

export interface OperatorChange {
  change: 'add' | 'role';
  name: string;
  role: Role | string;
  reason?: string;
  totp?: string;
}

/** Admin, TOTP and one approver from another admin; no sessions are touched. */
export function operatorChangePolicy(): CommandPolicy {
  return {
    tier: 'operators',
    role: 'admin',
    totp: true,
    approvals: 1,
    cap: 0,
    tolerance: 0,
    canary: 0,
    holdMs: 0,
  };
}

/** An operator change ends no session: its plan is empty. */
export function operatorChangePlan(): CommandPlan {
  return {
    count: 0,
    sample: [],
    byRegion: {},
    byShard: {},
    byLicence: {},
    byTier: { paying: 0, free: 0 },
    online: 0,
    shareOfOnline: 0,
  };
}
