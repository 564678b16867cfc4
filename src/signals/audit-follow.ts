/**
 * Follows the audit chain on one node at a time (run lease `detect:audit`): each new entry is
 * judged by the admin-operation watch (src/detection/admin.ts), whatever node or CLI wrote it,
 * and flag changes are remembered for automatic rollback (rollback.ts). Signals it raises resolve
 * by themselves after `quietMs` without a repeat.
 */
import type { Logger } from 'pino';
import type { AuditLog } from '../audit/index.ts';
import type { AuditEntry } from '../audit/records.ts';
import { type AdminSignal, AdminWatch } from '../detection/admin.ts';
import type { RunLeases } from '../live/index.ts';
import type { Rollback } from './rollback.ts';
import type { SignalService } from './service.ts';

export const AUDIT_LEASE = 'detect:audit';

export interface AuditFollowDeps {
  audit: Pick<AuditLog, 'list' | 'entriesAfter' | 'head'>;
  leases: RunLeases;
  nodeId: string;
  signals: SignalService;
  rollback: Rollback;
  clock: () => number;
  logger: Logger;
  settings: {
    bulkSessions: number;
    learnMs: number;
    quietMs: number;
    /** Announced change windows: a bulk action inside one is expected. */
    changeWindows?: readonly { from: number; to: number; what: string }[];
  };
}

const PAGE = 500;

export class AuditFollower {
  readonly #d: AuditFollowDeps;
  readonly #watch: AdminWatch;
  #after = 0;
  #primed = false;
  /** Open signals this follower raised, by fingerprint, with when they last recurred. */
  readonly #open = new Map<string, number>();

  constructor(d: AuditFollowDeps) {
    this.#d = d;
    this.#watch = new AdminWatch({ bulkSessions: d.settings.bulkSessions, learnMs: d.settings.learnMs });
    for (const w of d.settings.changeWindows ?? []) this.#watch.announce(w);
  }

  /**
   * Judging starts at the chain's head now: what is appended from here on is judged, even if
   * this node only takes the lease later (what came before only teaches the watch).
   */
  async start(): Promise<void> {
    this.#after = (await this.#d.audit.head())?.seq ?? 0;
  }

  /** Whether this node held the lease at the last round. */
  get leading(): boolean {
    return this.#primed;
  }

  /** One round: if this node holds the lease, judge what was appended since the last round. */
  async poll(): Promise<void> {
    const now = this.#d.clock();
    const { adopted } = await this.#d.leases.adoptRun(AUDIT_LEASE, this.#d.nodeId, now);
    if (!adopted) {
      this.#primed = false;
      return;
    }
    if (!this.#primed) await this.#prime(now);
    for (;;) {
      const page = await this.#d.audit.entriesAfter(this.#after, PAGE);
      for (const e of page) await this.#judge(e);
      if (page.length < PAGE) break;
    }
    await this.#resolveQuiet(now);
  }

  /** The chain's last `learnMs`, up to where judging starts, teaches the watch who does what. */
  async #prime(now: number): Promise<void> {
    const history = (
      await this.#d.audit.list({ from: now - this.#d.settings.learnMs, limit: 100_000 })
    ).filter((e) => e.seq <= this.#after);
    this.#watch.prime(history);
    for (const e of history) this.#d.rollback.noteAudit(e);
    this.#primed = true;
  }

  async #judge(e: AuditEntry): Promise<void> {
    this.#after = e.seq;
    this.#d.rollback.noteAudit(e);
    for (const s of this.#watch.observe(e)) await this.#raise(s);
  }

  /** The anchor found the chain going backwards (the `audit.regressed` event). */
  async regressed(kind: string, detail: string): Promise<void> {
    await this.#raise(this.#watch.regressed(this.#d.clock(), kind, detail));
  }

  async #raise(s: AdminSignal): Promise<void> {
    const { signal } = await this.#d.signals.raise({
      source: 'audit',
      detector: s.detector,
      severity: s.severity,
      title: s.title,
      dimensions: s.dimensions,
      startedAt: s.at,
      evidence: s.evidence,
    });
    this.#open.set(signal.fingerprint, s.at);
  }

  async #resolveQuiet(now: number): Promise<void> {
    for (const [fingerprint, last] of this.#open) {
      if (now - last < this.#d.settings.quietMs) continue;
      this.#open.delete(fingerprint);
      await this.#d.signals.resolve(fingerprint, now);
    }
  }
}
