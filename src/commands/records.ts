/** Guarded commands' records: what was asked, the guard it must pass, and how far it got. */
import type { ErrorCode } from '../errors/index.ts';
import type { Role } from '../operators/records.ts';

export const commandStates = [
  'planned',
  'awaiting-approval',
  'running',
  'halted',
  'done',
  'rejected',
] as const;
export type CommandState = (typeof commandStates)[number];

/** What a selector resolved to when the command was planned: what approvers look at. */
export interface CommandPlan {
  count: number;
  /** Up to 10 of the sessions, for a human to eyeball. */
  sample: { sessionId: string; playerId: string; region: string; shard: string; licence: string }[];
  byRegion: Record<string, number>;
  byShard: Record<string, number>;
  byLicence: Record<string, number>;
  /** Paying versus free players, by the configured paying licences. */
  byTier: { paying: number; free: number };
  online: number;
  /** count / online, 0 when nobody is online. */
  shareOfOnline: number;
}

/** The guard a command must pass, fixed at planning time from config and the plan's size. */
export interface CommandPolicy {
  /** `operators`: creating an operator or changing a role (admin, TOTP, a second admin). */
  tier: 'single' | 'small' | 'bulk' | 'all' | 'operators';
  /** The least role that may request (and approve) it. */
  role: Role;
  totp: boolean;
  /** Second approvers needed: a different operator, with their own TOTP. */
  approvals: number;
  /** The most sessions it may ever end: the planned count plus the tolerance. */
  cap: number;
  tolerance: number;
  /** Sessions in the canary wave; 0 runs in one wave. */
  canary: number;
  /** How long to hold after the canary before the rest. */
  holdMs: number;
}

/** What a command does: end sessions, or change who may act on the admin plane. */
export type CommandAction = 'kick' | 'operator.add' | 'operator.role';

/** A page of commands, newest first; every filter optional. */
export interface CommandQuery {
  states?: readonly CommandState[];
  /** Who requested them. */
  actor?: string;
  /** Requested at or after (ms). */
  since?: number;
  /** Requested at or before (ms). */
  until?: number;
  /** Keyset cursor: only commands before this (requestedAt, id). */
  after?: { at: number; id: string };
  limit: number;
}

export interface CommandRecord {
  id: string;
  action: CommandAction;
  selector: Record<string, unknown>;
  reason: string;
  requestedBy: string;
  requestedAt: number;
  state: CommandState;
  plan: CommandPlan;
  policy: CommandPolicy;
  approvals: { by: string; at: number }[];
  /** An awaiting command not approved by then is rejected. */
  expiresAt: number | null;
  progress: { ended: number; waves: number };
  /**
   * Why it halted or was rejected, when it did: a catalog code, which an inline request answers
   * with (`SELECTOR_DRIFT`, `COMMAND_HALTED`, `COMMAND_INTERRUPTED`, …).
   */
  haltCode: ErrorCode | null;
  /** What a person reads beyond the code (`halted by alice: wrong selector`), or null. */
  haltNote: string | null;
  finishedAt: number | null;
}
