/**
 * The SIEM export: follows the audit chain from a cursor (the last exported seq, kept in a small
 * file beside the export) and writes each new entry as an ECS document to the sink, then moves
 * the cursor. At least once: a crash between a write and the cursor's move repeats those entries
 * on the next start, with the same `event.sequence` and `event.id` (the entry's hash) to
 * deduplicate on. With several nodes, one exports at a time (the `siem:export` run lease).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { RunLeases } from '../live/index.ts';
import type { AuditRecords } from '../store/index.ts';
import { toEcs } from './ecs.ts';
import type { Sink } from './sinks.ts';

export interface ExporterDeps {
  store: Pick<AuditRecords, 'readAuditPage' | 'auditHead'>;
  leases: RunLeases;
  sink: Sink;
  /** The cursor file: the last exported seq, as text. */
  cursorFile: string;
  nodeId: string;
  clock: () => number;
  logger: Logger;
  batch: number;
  intervalMs: number;
}

/** The most pages one turn exports, so a long backlog is caught up over turns, not in one. */
const PAGES_PER_TURN = 20;

export class SiemExporter {
  readonly #d: ExporterDeps;
  #cursor: number;
  #turn: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;

  constructor(deps: ExporterDeps) {
    this.#d = deps;
    mkdirSync(dirname(deps.cursorFile), { recursive: true, mode: 0o700 });
    this.#cursor = readCursor(deps.cursorFile);
  }

  /** The last seq exported. */
  get cursor(): number {
    return this.#cursor;
  }

  start(): void {
    this.#timer = setInterval(
      () =>
        void this.flush().catch((err: unknown) =>
          this.#d.logger.warn({ err }, 'could not export audit entries to the SIEM; will try again'),
        ),
      this.#d.intervalMs,
    );
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#turn.catch(() => {});
    await this.#d.leases.releaseRun('siem:export', this.#d.nodeId).catch(() => {});
    await this.#d.sink.close();
  }

  /** Exports what the chain holds past the cursor; resolves to how many entries. Turns never overlap. */
  flush(): Promise<number> {
    const next = this.#turn.then(
      () => this.#flushOnce(),
      () => this.#flushOnce(),
    );
    this.#turn = next.catch(() => {});
    return next;
  }

  /**
   * A chain whose head is behind the cursor was cut (or the store restored from a backup): the
   * cursor follows it down, so what is appended next is exported, and the SIEM sees
   * `event.sequence` go backwards, which is the rule that catches it there.
   */
  async #behindCursor(): Promise<void> {
    const head = (await this.#d.store.auditHead())?.seq ?? 0;
    if (head >= this.#cursor) return;
    this.#d.logger.error(
      { cursor: this.#cursor, head },
      'the audit chain is behind what was exported to the SIEM: it was cut or restored; exporting from its head',
    );
    this.#cursor = head;
    await writeCursor(this.#d.cursorFile, head);
  }

  async #flushOnce(): Promise<number> {
    const d = this.#d;
    if (!(await d.leases.adoptRun('siem:export', d.nodeId, d.clock())).adopted) return 0;
    await this.#behindCursor();
    let exported = 0;
    for (let page = 0; page < PAGES_PER_TURN; page++) {
      const entries = await d.store.readAuditPage(this.#cursor, d.batch);
      if (entries.length === 0) break;
      await d.sink.write(entries.map((e) => toEcs(e, d.nodeId)));
      this.#cursor = entries.at(-1)?.seq ?? this.#cursor;
      await writeCursor(d.cursorFile, this.#cursor);
      exported += entries.length;
      if (entries.length < d.batch) break;
    }
    return exported;
  }
}

function readCursor(file: string): number {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isSafeInteger(n) && n >= 0 ? n : 0;
  } catch {
    return 0;
  }
}

async function writeCursor(file: string, seq: number): Promise<void> {
  const tmp = `${file}.tmp`;
  await writeFile(tmp, `${seq}\n`, { mode: 0o600 });
  await rename(tmp, file);
}
