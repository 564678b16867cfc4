/** The parts of the admin API's answers the page reads (docs/API.md has the full shapes). */

export interface Policy {
  tier: string;
  role: string;
  totp: boolean;
  approvals: number;
  cap: number;
  canary: number;
  holdMs: number;
}

export interface Plan {
  count: number;
  online: number;
}

export interface Command {
  id: string;
  action: string;
  selector: Record<string, unknown>;
  reason: string;
  requestedBy: string;
  requestedAt: number;
  state: string;
  plan: Plan;
  policy: Policy;
  approvals: { by: string; at: number }[];
  expiresAt: number | null;
  progress: { ended: number; waves: number };
  haltReason: string | null;
}

export interface RestoreStatus {
  restore: {
    id: string;
    source: Record<string, unknown>;
    pacing: Record<string, unknown>;
    state: string;
    requestedBy: string;
    total: number;
    pauseReason: string | null;
  };
  counts: { pending: number; ticketed: number; restored: number; expired: number; refused: number };
  etaSeconds: number | null;
}

export interface Breaker {
  state: 'open' | 'closed';
  changedAt: number;
  changedBy: string;
  reason: string;
  cap: number;
  usedInWindow: number;
  windowSeconds: number;
}

export interface Flag {
  key: string;
  value: unknown;
  default: unknown;
  updatedAt: number | null;
  updatedBy: string | null;
  reason: string | null;
}

export interface Disruption {
  at: number;
  playerId: string;
  cause: string;
  commandId: string | null;
  snapshot: { region: string; shard: string };
  outcome: string;
  outcomeReason: string | null;
  restoreId: string | null;
}

export interface AuditEntry {
  seq: number;
  at: number;
  actor: string;
  action: string;
  target: string;
  result: string;
}

export interface Signal {
  severity: string;
  title: string;
  detector: string;
  startedAt: number;
  resolvedAt: number | null;
}

export interface Ban {
  playerId: string;
  reason: string;
  bannedBy: string;
  at: number;
  /** When it ends by itself; null: until lifted. */
  expiresAt: number | null;
  liftedAt: number | null;
  liftedBy: string | null;
}
