/** The disruption ledger's records: every session Lifeline ended, why, and how it came back. */

/** Where a session lived and what it was entitled to: what a restore needs to put it back. */
export interface RestoreSnapshot {
  region: string;
  shard: string;
  zone: string | null;
  clientVersion: string | null;
  licence: string;
  provisional: boolean;
}

export const disruptionCauses = ['kick', 'node-loss', 'expired', 'heartbeat-loss'] as const;
export type DisruptionCause = (typeof disruptionCauses)[number];
export const disruptionOutcomes = ['pending', 'ticketed', 'restored', 'expired', 'refused'] as const;
export type DisruptionOutcome = (typeof disruptionOutcomes)[number];

export interface Disruption {
  id: string;
  sessionId: string;
  playerId: string;
  cause: DisruptionCause;
  commandId: string | null;
  incidentId: string | null;
  at: number;
  snapshot: RestoreSnapshot;
  outcome: DisruptionOutcome;
  outcomeReason: string | null;
  /** The restore that owns it, once one does. */
  restoreId?: string | null;
  /** While ticketed: when the ticket lapses and the record becomes `expired`. */
  ticketExpiresAt?: number | null;
  /** When it reached a final outcome. */
  settledAt?: number | null;
  /** The session a rejoin opened, once restored. */
  restoredSessionId?: string | null;
}

/** A disruption's final outcome: when, why, and for a restore the session it got. */
export interface Settlement {
  outcome: 'restored' | 'expired' | 'refused';
  reason: string | null;
  at: number;
  sessionId?: string;
}

export interface DisruptionQuery {
  commandId?: string;
  playerId?: string;
  restoreId?: string;
  from?: number;
  to?: number;
  region?: string;
  shard?: string;
  zone?: string;
  outcome?: DisruptionOutcome;
  /** Keyset cursor: only records after this (at, id), in the list's order (oldest first). */
  after?: { at: number; id: string };
  limit?: number;
}
