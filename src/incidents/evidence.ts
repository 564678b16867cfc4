/**
 * The evidence archive of an incident (issue 16 item 4): a directory of files, each named in a
 * manifest with its SHA-256, the manifest signed by the audit key. It holds the audit rows of the
 * incident's window followed by every row after them up to a checkpoint the anchor signed, so the
 * rows link to a head fixed outside the store: a row cut from the window (or its tail) breaks the
 * chain to that checkpoint. {@link verifyEvidence} checks it offline: no store, only the files
 * and the audit public key (the archive's copy, or one the verifier pinned).
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type AuditPublicKey, type AuditSigner, canonicalEncode, type Checkpoint } from '../audit/index.ts';
import { ChainVerifier } from '../audit/index.ts';
import { parseCheckpoint } from '../audit/checkpoint.ts';
import { verifySignature } from '../audit/key.ts';
import type { AuditEntry } from '../audit/records.ts';
import { createPublicKey } from 'node:crypto';

export const EVIDENCE_FORMAT = 'lifeline-incident-evidence/1';
export const MANIFEST_FILE = 'manifest.json';
export const AUDIT_FILE = 'audit.jsonl';
export const CHECKPOINT_FILE = 'checkpoint.json';
export const KEY_FILE = 'audit-key.pub';
/** Every anchored checkpoint whose seq lies within the archive's rows. */
export const ANCHORED_FILE = 'checkpoints.jsonl';

/** What the archive says about itself; every other file is named here with its digest. */
export interface EvidenceManifest {
  format: typeof EVIDENCE_FORMAT;
  incidentId: string;
  createdAt: number;
  window: { from: number; to: number };
  /** The window's audit rows are seqs `windowFirstSeq..windowLastSeq` of audit.jsonl; the rest is the proof. */
  audit: { firstSeq: number; windowFirstSeq: number | null; windowLastSeq: number | null; lastSeq: number };
  /** The anchored checkpoint the rows link to. */
  checkpoint: { seq: number; hash: string; at: number; node: string };
  /** What the archive could not hold, and why. */
  notIncluded: Record<string, string>;
  /** File name -> hex SHA-256. */
  files: Record<string, string>;
  signature?: { alg: 'Ed25519'; key: string; sig: string };
}

export interface EvidenceContent {
  incidentId: string;
  createdAt: number;
  window: { from: number; to: number };
  /** Rows from the window's first through the checkpoint's seq, in seq order. */
  auditRows: readonly AuditEntry[];
  windowSeqs: { first: number | null; last: number | null };
  /** The checkpoint's line as the anchor holds it. */
  checkpointLine: string;
  checkpoint: Checkpoint;
  /** Every other anchored checkpoint within the rows, as the anchor holds them. */
  anchoredLines: readonly string[];
  /** Other files by name (JSON or text), written as given. */
  files: Record<string, string>;
  notIncluded: Record<string, string>;
}

export const manifestText = (m: EvidenceManifest): string => {
  const { signature: _, ...body } = m;
  return `${EVIDENCE_FORMAT}\n${canonicalEncode(body)}`;
};

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const safeName = /^[a-z0-9][a-z0-9._-]{0,80}$/;

/** Writes the archive into `dir` (which must not exist yet: an archive is never overwritten). */
export async function writeEvidence(
  dir: string,
  c: EvidenceContent,
  signer: AuditSigner,
): Promise<EvidenceManifest> {
  const contents: Record<string, string> = {
    ...c.files,
    [AUDIT_FILE]: c.auditRows.map((e) => `${canonicalEncode(entryFields(e))}\n`).join(''),
    [CHECKPOINT_FILE]: `${c.checkpointLine.trim()}\n`,
    [ANCHORED_FILE]: c.anchoredLines.map((l) => `${l.trim()}\n`).join(''),
    [KEY_FILE]: signer.publicKey.pem,
  };
  const partial = `${dir}.partial`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true, mode: 0o700 });
  const files: Record<string, string> = {};
  for (const [name, text] of Object.entries(contents).sort(([a], [b]) => a.localeCompare(b))) {
    if (!safeName.test(name) || name === MANIFEST_FILE) throw new Error(`bad evidence file name ${name}`);
    await writeFile(join(partial, name), text, { mode: 0o600, flush: true });
    files[name] = sha256(text);
  }
  const first = c.auditRows[0]?.seq ?? c.checkpoint.seq;
  const manifest: EvidenceManifest = {
    format: EVIDENCE_FORMAT,
    incidentId: c.incidentId,
    createdAt: c.createdAt,
    window: c.window,
    audit: {
      firstSeq: first,
      windowFirstSeq: c.windowSeqs.first,
      windowLastSeq: c.windowSeqs.last,
      lastSeq: c.auditRows.at(-1)?.seq ?? c.checkpoint.seq,
    },
    checkpoint: {
      seq: c.checkpoint.seq,
      hash: c.checkpoint.hash,
      at: c.checkpoint.at,
      node: c.checkpoint.node,
    },
    notIncluded: c.notIncluded,
    files,
  };
  manifest.signature = { alg: 'Ed25519', key: signer.publicKey.id, sig: signer.sign(manifestText(manifest)) };
  await writeFile(join(partial, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, {
    mode: 0o600,
    flush: true,
  });
  await rename(partial, dir);
  return manifest;
}

export type EvidenceFailure = 'manifest' | 'signature' | 'file' | 'checkpoint' | 'chain';

export type EvidenceVerifyResult =
  | { ok: true; manifest: EvidenceManifest; rows: number; keyId: string; pinned: boolean; message: string }
  | { ok: false; reason: EvidenceFailure; detail: string; message: string };

const bad = (reason: EvidenceFailure, detail: string): EvidenceVerifyResult => ({
  ok: false,
  reason,
  detail,
  message: `evidence NOT verified (${reason}): ${detail}`,
});

function keyFromPem(pem: string): AuditPublicKey | null {
  try {
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType !== 'ed25519') return null;
    const der = key.export({ type: 'spki', format: 'der' });
    return { id: sha256(der).slice(0, 16), key, pem };
  } catch {
    return null;
  }
}

async function readManifest(dir: string): Promise<EvidenceManifest | string> {
  try {
    const m = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')) as EvidenceManifest;
    if (typeof m !== 'object' || m === null || m.format !== EVIDENCE_FORMAT)
      return `not a ${EVIDENCE_FORMAT} manifest`;
    if (typeof m.files !== 'object' || m.files === null) return 'the manifest names no files';
    return m;
  } catch (err) {
    return `${MANIFEST_FILE} cannot be read as JSON: ${(err as Error).message}`;
  }
}

/** Every file the manifest names has its digest, and the directory holds no other file. */
async function checkFiles(dir: string, m: EvidenceManifest): Promise<string | null> {
  const present = (await readdir(dir)).filter((n) => n !== MANIFEST_FILE).sort();
  const named = Object.keys(m.files).sort();
  const extra = present.filter((n) => !named.includes(n));
  if (extra.length > 0) return `files not in the manifest: ${extra.join(', ')}`;
  for (const name of named) {
    if (!safeName.test(name)) return `the manifest names a file outside the archive: ${name}`;
    let data: Buffer;
    try {
      data = await readFile(join(dir, name));
    } catch {
      return `${name} is missing`;
    }
    if (sha256(data) !== m.files[name])
      return `${name} does not have the digest the manifest signs: it was changed`;
  }
  return null;
}

/** The rows link from the first through the checkpoint's seq, which has the checkpoint's hash. */
function checkChain(
  text: string,
  m: EvidenceManifest,
  cp: Checkpoint,
  anchored: readonly Checkpoint[],
): string | null {
  const lines = text === '' ? [] : text.trimEnd().split('\n');
  const hashes = new Map<number, string>();
  let verifier: ChainVerifier | undefined;
  let last: AuditEntry | undefined;
  for (const line of lines) {
    let entry: AuditEntry;
    try {
      entry = JSON.parse(line) as AuditEntry;
    } catch {
      return 'an audit row is not JSON';
    }
    // The first row's link is taken on trust; every later one is checked, up to the checkpoint.
    verifier ??= new ChainVerifier(
      { seq: cp.seq, hash: cp.hash },
      { seq: entry.seq - 1, hash: entry.prevHash },
    );
    verifier.push(entry);
    hashes.set(entry.seq, entry.hash);
    last = entry;
  }
  const r = verifier?.result();
  if (r === undefined) return 'the archive holds no audit row';
  for (const a of anchored) {
    const h = hashes.get(a.seq);
    if (h !== undefined && h !== a.hash)
      return `seq ${a.seq} has hash ${h}, but the checkpoint anchored at ${new Date(a.at).toISOString()} says ${a.hash}: rows were cut or rewritten`;
  }
  if (!r.ok) return `${r.reason}: ${r.detail}`;
  if (last?.seq !== cp.seq) return `the rows end at seq ${last?.seq}, not at the checkpoint's seq ${cp.seq}`;
  const { windowFirstSeq: wf, windowLastSeq: wl, firstSeq } = m.audit;
  if (firstSeq !== JSON.parse(lines[0] as string).seq) return "the manifest's first seq is not the first row";
  if (wf !== null && wl !== null && !(firstSeq <= wf && wf <= wl && wl <= cp.seq))
    return 'the window rows lie outside the rows the checkpoint proves';
  return null;
}

/**
 * Checks an archive offline: the manifest's signature (by `pinned`, else by the archive's own
 * copy of the key, and the report says which), every file's digest, no file added, the
 * checkpoint's signature, and the audit rows' chain up to the checkpoint.
 */
export async function verifyEvidence(
  dir: string,
  pinned?: AuditPublicKey,
  later: readonly Checkpoint[] = [],
): Promise<EvidenceVerifyResult> {
  const m = await readManifest(dir);
  if (typeof m === 'string') return bad('manifest', m);
  let key = pinned ?? null;
  if (key === null) {
    const pem = await readFile(join(dir, KEY_FILE), 'utf8').catch(() => '');
    key = keyFromPem(pem);
    if (key === null) return bad('signature', `${KEY_FILE} is not an Ed25519 public key`);
  }
  const sig = m.signature;
  if (sig === undefined) return bad('signature', 'the manifest is not signed');
  if (sig.key !== key.id) return bad('signature', `the manifest was signed by key ${sig.key}, not ${key.id}`);
  if (!verifySignature(key, manifestText(m), sig.sig))
    return bad('signature', 'the manifest signature does not verify: the manifest was changed');
  const files = await checkFiles(dir, m);
  if (files !== null) return bad('file', files);
  const missing = [AUDIT_FILE, CHECKPOINT_FILE, ANCHORED_FILE].filter((f) => !(f in m.files));
  if (missing.length > 0) return bad('manifest', `the manifest names no ${missing.join(', ')}`);
  const cp = parseCheckpoint((await readFile(join(dir, CHECKPOINT_FILE), 'utf8')).trim(), key);
  if (cp === undefined) return bad('checkpoint', 'the checkpoint is not signed by the audit key');
  if (cp.seq !== m.checkpoint.seq || cp.hash !== m.checkpoint.hash)
    return bad('checkpoint', 'the checkpoint is not the one the manifest names');
  const anchored = await readAnchored(dir, key);
  if (typeof anchored === 'string') return bad('checkpoint', anchored);
  const chain = checkChain(await readFile(join(dir, AUDIT_FILE), 'utf8'), m, cp, [...anchored, ...later]);
  if (chain !== null) return bad('chain', chain);
  const rows = m.audit.lastSeq - m.audit.firstSeq + 1;
  return {
    ok: true,
    manifest: m,
    rows,
    keyId: key.id,
    pinned: pinned !== undefined,
    message: `evidence ok: incident ${m.incidentId}, ${Object.keys(m.files).length} files, ${rows} audit rows (seq ${m.audit.firstSeq}..${m.audit.lastSeq}) linked to the checkpoint at seq ${cp.seq} signed by audit key ${key.id}${pinned === undefined ? " (the archive's own copy of the key: pin one with --key)" : ''}`,
  };
}

async function readAnchored(dir: string, key: AuditPublicKey): Promise<Checkpoint[] | string> {
  const out: Checkpoint[] = [];
  for (const line of (await readFile(join(dir, ANCHORED_FILE), 'utf8')).split('\n')) {
    if (line.trim() === '') continue;
    const c = parseCheckpoint(line, key);
    if (c === undefined) return `a line of ${ANCHORED_FILE} is not a checkpoint signed by the audit key`;
    out.push(c);
  }
  return out;
}

function entryFields(e: AuditEntry): AuditEntry {
  const { seq, at, actor, action, target, details, result, prevHash, hash } = e;
  return { seq, at, actor, action, target, details, result, prevHash, hash };
}
