import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { LifelineError } from '../errors/index.ts';
import type { AuditEntry } from '../store/port.ts';
import { type ChainHead, canonicalEncode } from './chain.ts';
import type { AuditLog } from './log.ts';

/** The largest time a Date can hold (and so a file name can show). */
const MAX_TIME = 8.64e15;

/** What an export says about itself; written beside the entries as `….manifest.json`. */
export interface Manifest {
  format: 'lifeline-audit/1';
  /** When the export started, ms epoch, by the log's clock. */
  exportedAt: number;
  /** The window exported, ms epoch, both inclusive. */
  from: number;
  to: number;
  count: number;
  /** Null when the window holds no entry. */
  firstSeq: number | null;
  lastSeq: number | null;
  /** Hash of the last exported entry: the head of the exported range, to anchor outside. */
  lastHash: string | null;
  /** Head of the whole chain when the export started; null for an empty chain. */
  chainHead: ChainHead | null;
  /** Hex SHA-256 of the JSON Lines file. */
  sha256: string;
}

export interface ExportOptions {
  /** Start of the window, ms epoch, inclusive. @defaultValue 0 (the beginning) */
  from?: number;
  /** End of the window, ms epoch, inclusive. @defaultValue the time the export starts */
  to?: number;
  /** Directory to write into; created if missing. */
  dir: string;
}

/**
 * Writes the entries with `from <= at <= to` as JSON Lines (one canonical encoding per line, so
 * anyone can recompute each hash from the file alone) plus a manifest naming the range's head
 * and the file's digest. Entries stream page by page; the whole export is never in memory.
 * Entries appended after the export starts are left out, so the manifest's `chainHead` and the
 * file agree. Each file appears under its final name only once complete.
 *
 * @throws LifelineError `VALIDATION_FAILED` for a window that is not two ordered ms timestamps.
 */
export async function exportAudit(
  log: AuditLog,
  opts: ExportOptions,
): Promise<{ file: string; manifestFile: string; manifest: Manifest }> {
  const exportedAt = log.now();
  const from = opts.from ?? 0;
  const to = opts.to ?? exportedAt;
  if (!(from >= 0 && from <= to && to <= MAX_TIME)) {
    throw new LifelineError('VALIDATION_FAILED', 'The export window must be two timestamps with from <= to', {
      details: { from, to },
    });
  }
  const head = await log.head();
  const chainHead = head === null ? null : { seq: head.seq, hash: head.hash };

  await mkdir(opts.dir, { recursive: true });
  const base = `audit-${fileTime(from)}-${fileTime(to)}`;
  const file = join(opts.dir, `${base}.jsonl`);
  const manifestFile = join(opts.dir, `${base}.manifest.json`);

  const digest = createHash('sha256');
  let count = 0;
  let first: AuditEntry | undefined;
  let last: AuditEntry | undefined;
  const partial = `${file}.partial`;
  // flush: fsync before close, so a manifest never describes a file that a crash could shorten.
  const out = createWriteStream(partial, { flush: true });
  try {
    if (chainHead !== null) {
      for await (const page of log.pages(from, to, chainHead.seq)) {
        let text = '';
        for (const entry of page) text += `${canonicalEncode(entryFields(entry))}\n`;
        digest.update(text);
        if (!out.write(text)) await once(out, 'drain');
        first ??= page[0];
        last = page.at(-1);
        count += page.length;
      }
    }
    out.end();
    await finished(out);
    await rename(partial, file);
  } catch (err) {
    out.destroy();
    await rm(partial, { force: true });
    throw err;
  }

  const manifest: Manifest = {
    format: 'lifeline-audit/1',
    exportedAt,
    from,
    to,
    count,
    firstSeq: first?.seq ?? null,
    lastSeq: last?.seq ?? null,
    lastHash: last?.hash ?? null,
    chainHead,
    sha256: digest.digest('hex'),
  };
  const manifestPartial = `${manifestFile}.partial`;
  await writeFile(manifestPartial, `${JSON.stringify(manifest, null, 2)}\n`, { flush: true });
  await rename(manifestPartial, manifestFile);
  return { file, manifestFile, manifest };
}

/** Only the entry's own fields, whatever else an adapter's rows carry. */
function entryFields(e: AuditEntry): AuditEntry {
  return {
    seq: e.seq,
    at: e.at,
    actor: e.actor,
    action: e.action,
    target: e.target,
    details: e.details,
    result: e.result,
    prevHash: e.prevHash,
    hash: e.hash,
  };
}

/**
 * ISO 8601 in its basic format (20240131T235959.000Z): no colons, which Windows file names,
 * some object stores and `tar` handle badly.
 */
function fileTime(ms: number): string {
  return new Date(ms).toISOString().replaceAll('-', '').replaceAll(':', '');
}
