/**
 * The anchor: where signed checkpoints of the chain head go, outside the record store, so that
 * someone who can rewrite the store cannot also rewrite what it was seen to hold. A directory
 * holding an append-only JSON Lines file (`chattr +a` tried on it), and optionally an HTTP sink
 * (object-lock storage behind it) that each checkpoint is POSTed to.
 */
import { execFile } from 'node:child_process';
import { appendFile } from 'node:fs/promises';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { LifelineError } from '../errors/index.ts';
import type { Checkpoint } from './checkpoint.ts';

export const CHECKPOINTS_FILE = 'checkpoints.jsonl';

/** Checkpoints waiting for the HTTP sink past this many are dropped, oldest first, with a warning. */
const SINK_QUEUE_LIMIT = 1000;
const SINK_TIMEOUT_MS = 5000;
const SINK_MAX_BACKOFF_MS = 60_000;

/** Creates the anchor directory (0700) if needed, synchronously, for start-up. */
export function prepareAnchorDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new LifelineError('AUDIT_ANCHOR_INVALID', `the audit anchor directory ${dir} cannot be created`, {
      cause: err,
      details: { dir, reason: (err as NodeJS.ErrnoException).code },
    });
  }
}

export interface AnchorOptions {
  dir: string;
  /** The HTTP sink; empty for none. */
  url: string;
  logger?: Logger;
}

/** Writes checkpoints to the anchor file and, when configured, to the HTTP sink. */
export class Anchor {
  readonly dir: string;
  readonly file: string;
  readonly #url: string;
  readonly #logger: Logger | undefined;
  #appendOnly: Promise<string> | undefined;
  #sinkQueue: Checkpoint[] = [];
  #sinkBusy = false;
  #sinkTimer: NodeJS.Timeout | undefined;
  #sinkBackoffMs = 1000;
  #closed = false;

  constructor(options: AnchorOptions) {
    this.dir = options.dir;
    this.file = join(options.dir, CHECKPOINTS_FILE);
    this.#url = options.url;
    this.#logger = options.logger;
  }

  /**
   * Appends one line to the file (one `write` on an `O_APPEND` descriptor, so lines of nodes
   * sharing the directory never interleave within a line) and queues it for the sink.
   */
  async write(checkpoint: Checkpoint): Promise<void> {
    // The directory is made at start (prepareAnchorDir) and never again: one that vanished while
    // the node ran is worth an error in the log, not a fresh empty anchor.
    await appendFile(this.file, `${JSON.stringify(checkpoint)}\n`, { mode: 0o600, flag: 'a' });
    this.#appendOnly ??= this.#tryAppendOnly();
    if (this.#url !== '') {
      this.#sinkQueue.push(checkpoint);
      if (this.#sinkQueue.length > SINK_QUEUE_LIMIT) {
        this.#sinkQueue.shift();
        this.#logger?.warn({ url: this.#url }, 'audit anchor sink is behind; dropped its oldest checkpoint');
      }
      this.#pumpSink();
    }
  }

  /** What `chattr +a` said: `set`, or why not. Resolves once tried (after the first write). */
  appendOnly(): Promise<string> | undefined {
    return this.#appendOnly;
  }

  /** Checkpoints not yet accepted by the HTTP sink. */
  get sinkPending(): number {
    return this.#sinkQueue.length;
  }

  /**
   * Stops the sink, and waits for `chattr +a` if it is under way: a process that exited before
   * it returned (a CLI command) would leave it to land later, after whoever tidies up the anchor
   * has undone it.
   */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#sinkTimer);
    await this.#appendOnly;
  }

  async #tryAppendOnly(): Promise<string> {
    const result = await new Promise<string>((resolve) => {
      execFile('chattr', ['+a', this.file], { timeout: 5000 }, (err, _out, stderr) => {
        if (err === null) resolve('set');
        else resolve(`not set: ${(stderr || err.message).toString().trim()}`);
      });
    });
    if (result === 'set')
      this.#logger?.info({ file: this.file }, 'audit anchor file is append-only (chattr +a)');
    else
      this.#logger?.warn(
        { file: this.file, result },
        'audit anchor file could not be made append-only (chattr +a needs CAP_LINUX_IMMUTABLE); protect it another way',
      );
    return result;
  }

  /** Sends queued checkpoints in order; on failure retries with backoff, never blocking a writer. */
  #pumpSink(): void {
    if (this.#sinkBusy || this.#sinkTimer !== undefined || this.#closed) return;
    const next = this.#sinkQueue[0];
    if (next === undefined) return;
    this.#sinkBusy = true;
    void fetch(this.#url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(next),
      signal: AbortSignal.timeout(SINK_TIMEOUT_MS),
    })
      .then(async (res) => {
        await res.body?.cancel();
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        if (this.#sinkQueue[0] === next) this.#sinkQueue.shift();
        this.#sinkBackoffMs = 1000;
      })
      .catch((err: unknown) => {
        this.#logger?.warn(
          { err, url: this.#url, pending: this.#sinkQueue.length, retryInMs: this.#sinkBackoffMs },
          'audit anchor sink refused a checkpoint; will retry',
        );
        this.#sinkTimer = setTimeout(() => {
          this.#sinkTimer = undefined;
          this.#pumpSink();
        }, this.#sinkBackoffMs);
        this.#sinkTimer.unref();
        this.#sinkBackoffMs = Math.min(this.#sinkBackoffMs * 2, SINK_MAX_BACKOFF_MS);
      })
      .finally(() => {
        this.#sinkBusy = false;
        if (this.#sinkTimer === undefined) this.#pumpSink();
      });
  }
}
