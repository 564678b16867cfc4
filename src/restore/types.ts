import type { BanRecords, CommandRecords, DisruptionLedger, Grants, RestoreRecords } from '../store/index.ts';
import type { RunLeases, SessionDirectory } from '../live/index.ts';
import type { Logger } from 'pino';
import type { AuditLog } from '../audit/index.ts';
import type { PolicySettings } from '../commands/index.ts';
import type { Role } from '../operators/records.ts';
import type { EventStream } from '../events/index.ts';
import type { OperatorService } from '../operators/index.ts';
import type { PlayerLimits, SessionService, SessionTokens } from '../sessions/index.ts';
import type { RestoreCounts, RestoreRecord, RestoreSource } from './records.ts';
import type { Tokens } from '../tokens/index.ts';
import type { HealthReader } from './health.ts';

export interface RestoreSettings {
  /** @defaultValue 900 */
  ticketTtlSeconds: number;
  /** @defaultValue 10 */
  healthyHoldSeconds: number;
  /** @defaultValue 1000 */
  tickMs: number;
  /** @defaultValue 30 */
  waitingRetryAfterSeconds: number;
  /** Hosts a restore's `thresholds.healthUrl` may name. @defaultValue ['127.0.0.1', '::1', 'localhost'] */
  healthUrlHosts: readonly string[];
  /**
   * For this long after the node starts, a restore run reads health but neither releases nor
   * pauses: the node's own start-up (loading, JIT, reconnecting clients) spikes CPU and
   * event-loop delay, and a restore resumed after a restart would otherwise pause on it. 0: off.
   * @defaultValue 15
   */
  startupGraceSeconds: number;
  /**
   * How long after a rejoin restored a record a retry with the same resume token still gets that
   * session, if unused since (tokens.refreshReuseGraceSeconds: the same lost answer). @defaultValue 0
   */
  rejoinRetryGraceSeconds?: number;
}

export interface RestorePlan {
  source: RestoreSource;
  total: number;
  byRegion: Record<string, number>;
  byShard: Record<string, number>;
  byOutcome: RestoreCounts;
  /** Pending records whose player already has a newer session: a restore refuses them. */
  alreadyBack: number;
  /**
   * Pending records whose player is banned now (since the disruption: a ban ends the player's
   * sessions and bars logins, so none is disrupted while banned): a restore refuses them `banned`.
   */
  bannedSince: number;
  /** Pending records another unfinished restore owns: starting this one would be refused. */
  overlapping: number;
  /** What a restore would release now. */
  restorable: number;
}

/** What a real start of the same request would need: `POST /admin/v1/restores` with `dryRun`. */
export interface RestorePreview {
  plan: RestorePlan;
  guard: {
    /** The count the guard is tiered on. */
    restorable: number;
    /** A kick's tiers: `single`, `small` or `bulk`. */
    tier: string;
    /** The least role that may start it. */
    role: Role;
    permission: 'restores.start' | 'restores.start.bulk';
    totpRequired: boolean;
    /** Never: a restore undoes harm (see RestoreService.start). */
    secondApprover: false;
    /** Whether the operator asking could start it themselves. */
    caller: { name: string; role: string; allowed: boolean; totpEnrolled: boolean };
    /** The refusal the records' state would give a start now, or null. */
    refusal: 'RESTORE_OVERLAP' | 'RESTORE_EMPTY' | null;
  };
}

/**
 * A restore as the API answers it: the record, plus `pauseReason`, what the API and the CLI have
 * always shown (the note). Code branches on `pauseCode`.
 */
export interface RestoreView extends RestoreRecord {
  pauseReason: string | null;
}

export interface RestoreStatus {
  restore: RestoreView;
  counts: RestoreCounts;
  /** Records not yet in a final outcome: pending plus ticketed. */
  open: number;
  ratePerSecond: number;
  etaSeconds: number | null;
}

export type RejoinAnswer =
  | { kind: 'restored'; tokens: SessionTokens }
  | {
      kind: 'waiting';
      position: number | null;
      etaSeconds: number | null;
      retryAfterSeconds: number;
      restoreId: string | null;
    };

export interface RestoreServiceDeps {
  store: RestoreRecords &
    DisruptionLedger &
    Pick<Grants, 'revokeGrants' | 'getGrant'> &
    Pick<CommandRecords, 'getCommand'> &
    Pick<BanRecords, 'currentBan' | 'listBans'>;
  live: RunLeases & SessionDirectory;
  sessions: SessionService;
  /** The per-session rejoin bucket. */
  limits: PlayerLimits;
  tokens: Tokens;
  audit: AuditLog;
  events: EventStream;
  operators: OperatorService;
  health: HealthReader;
  logger: Logger;
  clock: () => number;
  settings: RestoreSettings;
  policy: PolicySettings;
  /** This node: a restore's runner, so no other node runs it while this one lives. */
  nodeId: string;
  /** When this node started, by `clock`: the start-up grace counts from here. */
  startedAt: number;
}
