import type { ChainHead } from './chain.ts';
import type { AuditLog } from './log.ts';

/** What the chain watch saw last: `ok`, or the alert it raised (kept until restart). */
export type WitnessStatus =
  | { ok: true }
  | { ok: false; kind: 'regressed' | 'rewritten'; detail: string; at: number };

/**
 * Compares the store's chain head with the newest head this process witnessed (its own last
 * append, or the newest checkpoint it read or wrote). A head behind it, or another hash at its
 * seq, means rows were deleted or rewritten under the running node. The alert latches: an
 * operator investigates and restarts; it is not cleared by the chain growing again.
 */
export class ChainWatch {
  readonly #log: AuditLog;
  readonly #clock: () => number;
  readonly #onAlert: (status: Extract<WitnessStatus, { ok: false }>) => void;
  #witnessed: ChainHead | null;
  #status: WitnessStatus = { ok: true };
  #timer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(options: {
    log: AuditLog;
    clock: () => number;
    /** The newest anchored head at start (null when the anchor holds none). */
    anchored: ChainHead | null;
    onAlert: (status: Extract<WitnessStatus, { ok: false }>) => void;
  }) {
    this.#log = options.log;
    this.#clock = options.clock;
    this.#onAlert = options.onAlert;
    this.#witnessed = options.anchored;
  }

  get status(): WitnessStatus {
    return this.#status;
  }

  start(intervalMs: number): void {
    this.#timer = setInterval(() => void this.check().catch(() => {}), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** One look at the store; resolves to the status after it. */
  async check(): Promise<WitnessStatus> {
    if (!this.#status.ok || this.#running) return this.#status;
    this.#running = true;
    try {
      const own = this.#log.ownHead;
      if (own !== null && (this.#witnessed === null || own.seq >= this.#witnessed.seq)) this.#witnessed = own;
      const w = this.#witnessed;
      if (w === null) return this.#status;
      const head = await this.#log.head();
      if (head === null || head.seq < w.seq) {
        this.#raise(
          'regressed',
          `the audit chain ends at seq ${head?.seq ?? 0}, but this node saw it reach seq ${w.seq}: entries ${(head?.seq ?? 0) + 1}..${w.seq} were deleted`,
        );
        return this.#status;
      }
      const [at] = await this.#log.entriesAfter(w.seq - 1, 1);
      if (at === undefined || at.hash !== w.hash) {
        this.#raise(
          'rewritten',
          `seq ${w.seq} now has hash ${at?.hash ?? '(none)'}, but this node saw ${w.hash}: the chain was rewritten`,
        );
      }
      return this.#status;
    } finally {
      this.#running = false;
    }
  }

  #raise(kind: 'regressed' | 'rewritten', detail: string): void {
    const status = { ok: false as const, kind, detail, at: this.#clock() };
    this.#status = status;
    this.#onAlert(status);
  }
}
