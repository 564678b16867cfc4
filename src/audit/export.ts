import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { LifelineError } from '../errors/index.ts';
import type { AuditEntry } from './records.ts';
import { type ChainHead, ChainVerifier, canonicalEncode } from './chain.ts';
import { type AuditPublicKey, type AuditSigner, verifySignature } from './key.ts';
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
  /**
   * Ed25519 signature by the audit key over {@link manifestSignedText} (every field above), so
   * a manifest cannot be edited to match an edited file. Absent only when exported without a key.
   */
  signature?: { alg: 'Ed25519'; key: string; sig: string };
}

/** What a manifest's signature covers: a domain tag and the canonical manifest without it. */
export function manifestSignedText(m: Manifest): string {
  const { signature: _, ...body } = m;
  return `lifeline-audit-export/1\n${canonicalEncode(body)}`;
}

export interface ExportOptions {
  /** Start of the window, ms epoch, inclusive. @defaultValue 0 (the beginning) */
  from?: number;
  /** End of the window, ms epoch, inclusive. @defaultValue the time the export starts */
  to?: number;
  /** Directory to write into; created if missing. */
  dir: string;
  /** The audit key, to sign the manifest. */
  signer?: AuditSigner;
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

  const written = await writeEntries(log, { from, to, chainHead }, file);
  const manifest: Manifest = {
    format: 'lifeline-audit/1',
    exportedAt,
    from,
    to,
    count: written.count,
    firstSeq: written.first?.seq ?? null,
    lastSeq: written.last?.seq ?? null,
    lastHash: written.last?.hash ?? null,
    chainHead,
    sha256: written.sha256,
  };
  if (opts.signer !== undefined) {
    manifest.signature = {
      alg: 'Ed25519',
      key: opts.signer.publicKey.id,
      sig: opts.signer.sign(manifestSignedText(manifest)),
    };
  }
  await writeManifest(manifestFile, manifest);
  return { file, manifestFile, manifest };
}

/**
 * Streams the window's entries (up to the head when the export started) into `file`, under a
 * `.partial` name until complete; says how many, the first and last, and the file's digest.
 */
async function writeEntries(
  log: AuditLog,
  window: { from: number; to: number; chainHead: ChainHead | null },
  file: string,
): Promise<{ count: number; first?: AuditEntry | undefined; last?: AuditEntry | undefined; sha256: string }> {
  const { from, to, chainHead } = window;
  const digest = createHash('sha256');
  let count = 0;
  let first: AuditEntry | undefined;
  let last: AuditEntry | undefined;
  const partial = `${file}.partial`;
  // flush: fsync before close, so a manifest never describes a file that a crash could shorten.
  // 0600: an export is the whole audit trail, readable by its owner only (whatever the umask).
  const out = createWriteStream(partial, { flush: true, mode: 0o600 });
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
    await chmod(partial, 0o600);
    await rename(partial, file);
  } catch (err) {
    out.destroy();
    await rm(partial, { force: true });
    throw err;
  }

  return { count, first, last, sha256: digest.digest('hex') };
}

async function writeManifest(manifestFile: string, manifest: Manifest): Promise<void> {
  const manifestPartial = `${manifestFile}.partial`;
  await writeFile(manifestPartial, `${JSON.stringify(manifest, null, 2)}\n`, { flush: true, mode: 0o600 });
  await chmod(manifestPartial, 0o600);
  await rename(manifestPartial, manifestFile);
}

/** The outcome of {@link verifyExport}. */
export type ExportVerifyResult =
  | { ok: true; count: number; manifest: Manifest; message: string }
  | { ok: false; reason: 'signature' | 'digest' | 'chain' | 'manifest'; detail: string; message: string };

/**
 * Checks an export offline: the manifest's signature by `key`, the file's digest and count, and
 * the chain inside the file (links and hashes, and that it ends at the manifest's `lastHash`).
 * The JSONL file is the manifest's name with `.manifest.json` replaced by `.jsonl`.
 */
export async function verifyExport(manifestFile: string, key: AuditPublicKey): Promise<ExportVerifyResult> {
  const bad = (
    reason: Extract<ExportVerifyResult, { ok: false }>['reason'],
    detail: string,
  ): ExportVerifyResult => ({
    ok: false,
    reason,
    detail,
    message: `export NOT verified (${reason}): ${detail}`,
  });
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as Manifest;
  } catch (err) {
    return bad('manifest', `${manifestFile} is not a JSON manifest: ${(err as Error).message}`);
  }
  if (typeof manifest !== 'object' || manifest === null || manifest.format !== 'lifeline-audit/1')
    return bad('manifest', `${manifestFile} is not a lifeline-audit/1 manifest`);
  const sig = manifest.signature;
  if (sig === undefined) return bad('signature', 'the manifest is not signed');
  if (sig.key !== key.id) return bad('signature', `the manifest was signed by key ${sig.key}, not ${key.id}`);
  if (!verifySignature(key, manifestSignedText(manifest), sig.sig))
    return bad('signature', 'the manifest signature does not verify: the manifest was changed');
  const file = manifestFile.replace(/\.manifest\.json$/, '.jsonl');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return bad('digest', `${file} cannot be read: ${(err as Error).message}`);
  }
  if (createHash('sha256').update(text).digest('hex') !== manifest.sha256)
    return bad('digest', `${file} does not have the digest the manifest signs: the file was changed`);
  const lines = text === '' ? [] : text.trimEnd().split('\n');
  if (lines.length !== manifest.count)
    return bad('digest', `${file} holds ${lines.length} entries, the manifest says ${manifest.count}`);
  let verifier: ChainVerifier | undefined;
  let last: AuditEntry | undefined;
  for (const line of lines) {
    const entry = JSON.parse(line) as AuditEntry;
    // An export of a window starts mid-chain: take the first entry's link on trust (the
    // signature covers it), and check every entry from there.
    verifier ??= new ChainVerifier(undefined, { seq: entry.seq - 1, hash: entry.prevHash });
    verifier.push(entry);
    last = entry;
  }
  const r = verifier?.result();
  if (r !== undefined && !r.ok) return bad('chain', r.detail);
  if ((last?.hash ?? null) !== manifest.lastHash)
    return bad('chain', 'the last entry is not the head the manifest names');
  return {
    ok: true,
    count: manifest.count,
    manifest,
    message: `export ok: ${manifest.count} entries, signed by audit key ${key.id}, seq ${manifest.firstSeq ?? '-'}..${manifest.lastSeq ?? '-'}`,
  };
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
