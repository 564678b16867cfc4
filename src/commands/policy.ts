import type { LiveSession } from '../sessions/records.ts';
import type { CommandPlan, CommandPolicy } from './records.ts';

/** How guarded commands are guarded; from config `commands.*` (docs/CONFIGURATION.md). */
export interface PolicySettings {
  /** Up to this many sessions: operator plus TOTP. Above: admin, TOTP and a second approver. @defaultValue 50 */
  smallMaxSessions: number;
  /** @defaultValue 900 */
  approvalTtlSeconds: number;
  /** The tolerance is the larger of this share of the plan and `toleranceMinSessions`. @defaultValue 1 */
  tolerancePercent: number;
  /** @defaultValue 2 */
  toleranceMinSessions: number;
  /** The canary is this share of the plan, at most `canaryMaxSessions`, at least 1. @defaultValue 1 */
  canaryPercent: number;
  /** @defaultValue 100 */
  canaryMaxSessions: number;
  /** @defaultValue 30 */
  holdSeconds: number;
  /** Licences that count as paying in plans. @defaultValue ["standard","premium"] */
  payingLicences: readonly string[];
}

const bump = (m: Record<string, number>, k: string): void => {
  m[k] = (m[k] ?? 0) + 1;
};

/** What the sessions a selector found look like, for the requester and the approver. */
export function planFor(
  sessions: readonly LiveSession[],
  online: number,
  paying: readonly string[],
): CommandPlan {
  const plan: CommandPlan = {
    count: sessions.length,
    sample: sessions.slice(0, 10).map((s) => ({
      sessionId: s.id,
      playerId: s.playerId,
      region: s.region,
      shard: s.shard,
      licence: s.licence,
    })),
    byRegion: {},
    byShard: {},
    byLicence: {},
    byTier: { paying: 0, free: 0 },
    online,
    shareOfOnline: online === 0 ? 0 : sessions.length / online,
  };
  const payingSet = new Set(paying);
  for (const s of sessions) {
    bump(plan.byRegion, s.region);
    bump(plan.byShard, s.shard);
    bump(plan.byLicence, s.licence);
    if (payingSet.has(s.licence)) plan.byTier.paying++;
    else plan.byTier.free++;
  }
  return plan;
}

/** The guard for a plan of `count` sessions. "all" always takes the highest tier. */
export function policyFor(count: number, all: boolean, s: PolicySettings): CommandPolicy {
  const tolerance = Math.max(s.toleranceMinSessions, Math.ceil((count * s.tolerancePercent) / 100));
  const base = { cap: count + tolerance, tolerance, canary: 0, holdMs: 0 };
  if (!all && count <= 1) return { ...base, tier: 'single', role: 'operator', totp: false, approvals: 0 };
  if (!all && count <= s.smallMaxSessions)
    return { ...base, tier: 'small', role: 'operator', totp: true, approvals: 0 };
  const canary = Math.max(1, Math.min(s.canaryMaxSessions, Math.ceil((count * s.canaryPercent) / 100)));
  return {
    ...base,
    tier: all ? 'all' : 'bulk',
    role: 'admin',
    totp: true,
    approvals: 1,
    canary: canary < count ? canary : 0,
    holdMs: s.holdSeconds * 1000,
  };
}
