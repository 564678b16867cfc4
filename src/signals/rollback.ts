/**
 * Automatic rollback, wired (issue 15, item 7): flag changes come from the audit chain (so a
 * change made on any node or by the CLI counts), serious signals from the signal store; when a
 * P0/P1 starts within `watchMs` of a change, the signal is updated to name the change as a
 * suspect, and a change marked `autoRevert` that is still in force is switched back by Lifeline
 * itself, audited as `system`, and announced as a signal of its own (which routing delivers).
 */
import type { Logger } from 'pino';
import type { AuditEntry } from '../audit/records.ts';
import type { FlagService } from '../flags/index.ts';
import { ChangeWatch, type WatchedChange } from '../flags/rollback.ts';
import type { Signal } from './records.ts';
import type { SignalService } from './service.ts';

export interface RollbackDeps {
  flags: Pick<FlagService, 'set'>;
  signals: SignalService;
  logger: Logger;
  watchMs: number;
}

type FlagValue = boolean | string | number;
const isValue = (v: unknown): v is FlagValue => ['boolean', 'string', 'number'].includes(typeof v);

export class Rollback {
  readonly #d: RollbackDeps;
  readonly #watch: ChangeWatch;
  /** Signals already judged (each once, whichever poll or node first saw it). */
  readonly #judged = new Set<string>();

  constructor(d: RollbackDeps) {
    this.#d = d;
    this.#watch = new ChangeWatch({ watchMs: d.watchMs });
  }

  /** Remembers a `flag.set` entry (other entries are ignored). */
  noteAudit(e: AuditEntry): void {
    if (e.action !== 'flag.set' || !e.target.startsWith('flag:')) return;
    const { from, to } = e.details;
    if (!isValue(from) || !isValue(to)) return;
    this.#watch.record({
      key: e.target.slice('flag:'.length),
      from,
      to,
      at: e.at,
      actor: e.actor,
      autoRevert: e.details.autoRevert === true,
    });
  }

  /** Judges a signal once: names suspects on it and carries out the reverts. */
  async judge(signal: Signal): Promise<void> {
    if (this.#judged.has(signal.id) || signal.source === 'audit') return;
    this.#judged.add(signal.id);
    const verdict = this.#watch.judge(signal);
    if (verdict.suspects.length === 0) return;
    await this.#name(signal, verdict.suspects);
    for (const c of verdict.revert) await this.#revert(signal, c);
  }

  async #name(signal: Signal, suspects: WatchedChange[]): Promise<void> {
    const values = suspects.map(
      (c) => `flag ${c.key}: ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)} by ${c.actor}`,
    );
    await this.#d.signals.raise({
      ...signal,
      localisation: [
        ...signal.localisation.filter((e) => e.dimension !== 'change'),
        { dimension: 'change', values, share: 1, surprise: 0 },
      ],
    });
  }

  async #revert(signal: Signal, c: WatchedChange): Promise<void> {
    const why = `auto-revert: ${signal.severity} signal "${signal.title}" started ${Math.round((signal.startedAt - c.at) / 1000)} s after this change`;
    try {
      await this.#d.flags.set(c.key, c.from, 'system', why.slice(0, 500));
    } catch (err) {
      this.#d.logger.error({ err, flag: c.key }, 'automatic rollback failed');
      return;
    }
    await this.#d.signals.raise({
      source: 'detector',
      detector: 'auto-revert',
      severity: 'P2',
      title: `Lifeline switched ${c.key} back to ${JSON.stringify(c.from)} (set by ${c.actor}): ${signal.title}`,
      dimensions: { flag: c.key },
      startedAt: signal.startedAt,
    });
  }
}
