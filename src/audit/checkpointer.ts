/**
 * Writes this process's checkpoints: soon after its appends (debounced, so a burst of appends
 * costs one signature and one file write) and on an interval, and watches the store's chain
 * head against what this process has witnessed, raising an alert when it went backwards.
 */
import type { Logger } from 'pino';
import type { Anchor } from './anchor.ts';
import type { ChainHead } from './chain.ts';
import { type Checkpoint, signedText } from './checkpoint.ts';
import type { AuditSigner } from './key.ts';
import type { AuditLog } from './log.ts';

/** How long after an append its checkpoint waits for more appends to share it. */
const DEBOUNCE_MS = 1000;

export interface CheckpointerOptions {
  log: AuditLog;
  signer: AuditSigner;
  anchor: Anchor;
  /** Written into each checkpoint: the node id, or `cli:<user>`. */
  node: string;
  clock: () => number;
  logger?: Logger;
}

/** Signs and writes checkpoints of what this process appended. */
export class Checkpointer {
  readonly #o: CheckpointerOptions;
  #soon: NodeJS.Timeout | undefined;
  #interval: NodeJS.Timeout | undefined;
  #chain: Promise<void> = Promise.resolve();
  #last: ChainHead | null = null;

  constructor(options: CheckpointerOptions) {
    this.#o = options;
    options.log.onCommit(() => this.#schedule());
  }

  /** The newest head this process anchored; null before the first. */
  get last(): ChainHead | null {
    return this.#last;
  }

  /** Writes a checkpoint every `intervalMs` when there is something new (and after appends). */
  start(intervalMs: number): void {
    this.#interval = setInterval(() => void this.flush().catch(() => {}), intervalMs);
    this.#interval.unref();
  }

  /**
   * Anchors what this process appended since the last checkpoint, if anything. Flushes run one
   * at a time; a failed write gives its ranges back so the next flush carries them.
   */
  flush(): Promise<void> {
    const run = this.#chain.then(() => this.#write());
    this.#chain = run.catch(() => {});
    return run;
  }

  /**
   * Writes a checkpoint vouching for `own` at `head` without their having been appended here:
   * used once, on a first start with an empty anchor, to adopt a chain that verified.
   */
  adopt(head: ChainHead): Promise<void> {
    const run = this.#chain.then(() => this.#emit(head, [[1, head.seq]]));
    this.#chain = run.catch(() => {});
    return run;
  }

  /**
   * Writes a checkpoint saying that seqs `found` were in the chain, after the newest checkpoint,
   * when this node started, and nobody vouched for them. Used once at start.
   */
  noteFound(head: ChainHead, found: [number, number][]): Promise<void> {
    const run = this.#chain.then(() => this.#emit(head, [], found));
    this.#chain = run.catch(() => {});
    return run;
  }

  /**
   * Writes a checkpoint at `head` vouching for nothing: at start, past entries found after a
   * clean stop, so that verify judges them by the ordinary rule (no `found` excuse).
   */
  pass(head: ChainHead): Promise<void> {
    const run = this.#chain.then(() => this.#emit(head, []));
    this.#chain = run.catch(() => {});
    return run;
  }

  /**
   * Stops the timers, anchors what is left and, when that worked, writes the clean-stop mark at
   * the store's head: everything this process appended is anchored, so an entry found past the
   * mark at the next start was written while no node ran.
   */
  async stop(): Promise<void> {
    clearTimeout(this.#soon);
    clearInterval(this.#interval);
    this.#soon = undefined;
    try {
      await this.flush();
      const run = this.#chain.then(async () => {
        const head = await this.#o.log.head();
        if (head !== null) await this.#emit({ seq: head.seq, hash: head.hash }, [], undefined, true);
      });
      this.#chain = run.catch(() => {});
      await run;
    } catch (err) {
      this.#o.logger?.error({ err }, 'could not write the last audit checkpoint');
    }
  }

  #schedule(): void {
    if (this.#soon !== undefined) return;
    this.#soon = setTimeout(() => {
      this.#soon = undefined;
      void this.flush().catch(() => {});
    }, DEBOUNCE_MS);
    this.#soon.unref();
  }

  async #write(): Promise<void> {
    const { head, own } = this.#o.log.takeWitnessed();
    if (head === null || (own.length === 0 && this.#last?.seq === head.seq && this.#last.hash === head.hash))
      return;
    try {
      await this.#emit(head, own);
    } catch (err) {
      this.#o.log.restoreWitnessed(own);
      this.#o.logger?.error({ err, dir: this.#o.anchor.dir }, 'could not write an audit checkpoint');
      throw err;
    }
  }

  async #emit(
    head: ChainHead,
    own: [number, number][],
    found?: [number, number][],
    stop?: true,
  ): Promise<void> {
    const body: Omit<Checkpoint, 'sig'> = {
      v: 1,
      seq: head.seq,
      hash: head.hash,
      at: this.#o.clock(),
      node: this.#o.node,
      key: this.#o.signer.publicKey.id,
      own,
      ...(found === undefined ? {} : { found }),
      ...(stop === undefined ? {} : { stop }),
    };
    await this.#o.anchor.write({ ...body, sig: this.#o.signer.sign(signedText(body)) });
    this.#last = head;
  }
}
