import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { isLifelineError } from '../errors/index.ts';
import { Sealer } from '../secrets/index.ts';
import type { AuditEntry } from './records.ts';
import { SqliteRecordStore } from '../store/sqlite/index.ts';
import { ChainVerifier, canonicalEncode } from './chain.ts';
import { exportAudit, type Manifest, verifyExport } from './export.ts';
import { openAuditKey } from './key.ts';
import { AuditLog } from './log.ts';

const T0 = Date.UTC(2024, 0, 31, 12, 0, 0);

/** A log on a real SQLite file holding `count` entries one second apart from T0. */
async function setup(
  t: { after: (fn: () => Promise<void> | void) => void },
  count: number,
): Promise<{ log: AuditLog; dir: string; entries: AuditEntry[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-audit-export-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = new SqliteRecordStore(join(dir, 'records.db'));
  t.after(() => store.close());
  let now = T0;
  const log = new AuditLog({ store, clock: () => now });
  const entries: AuditEntry[] = [];
  for (let i = 0; i < count; i++) {
    now = T0 + i * 1000;
    entries.push(
      await log.append({ actor: 'op:alice', action: 'kick', target: `s:${i}`, details: { i }, result: 'ok' }),
    );
  }
  now = T0 + count * 1000;
  return { log, dir, entries };
}

function readLines(file: string): AuditEntry[] {
  const text = readFileSync(file, 'utf8');
  return text === ''
    ? []
    : (text
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l)) as AuditEntry[]);
}

test('exports the whole chain as canonical JSON Lines that verify on their own', async (t) => {
  const { log, dir, entries } = await setup(t, 7);
  const out = join(dir, 'exports');
  const { file, manifestFile, manifest } = await exportAudit(log, { dir: out });
  assert.equal(basename(file), 'audit-19700101T000000.000Z-20240131T120007.000Z.jsonl');
  assert.equal(basename(manifestFile), 'audit-19700101T000000.000Z-20240131T120007.000Z.manifest.json');
  assert.deepEqual(readdirSync(out).sort(), [basename(file), basename(manifestFile)].sort());

  const text = readFileSync(file, 'utf8');
  assert.deepEqual(text.split('\n'), [...entries.map((e) => canonicalEncode(e)), '']);
  const verifier = new ChainVerifier();
  for (const e of readLines(file)) verifier.push(e);
  assert.equal(verifier.result().ok, true);

  const head = { seq: 7, hash: entries[6]!.hash };
  const expected: Manifest = {
    format: 'lifeline-audit/1',
    exportedAt: T0 + 7000,
    from: 0,
    to: T0 + 7000,
    count: 7,
    firstSeq: 1,
    lastSeq: 7,
    lastHash: head.hash,
    chainHead: head,
    sha256: createHash('sha256').update(text).digest('hex'),
  };
  assert.deepEqual(manifest, expected);
  assert.deepEqual(JSON.parse(readFileSync(manifestFile, 'utf8')), expected);
});

test('exports only the window asked for, naming the range head and the whole chain head', async (t) => {
  const { log, dir, entries } = await setup(t, 10);
  const { file, manifest } = await exportAudit(log, { dir, from: T0 + 2000, to: T0 + 5000 });
  assert.equal(basename(file), 'audit-20240131T120002.000Z-20240131T120005.000Z.jsonl');
  assert.deepEqual(
    readLines(file).map((e) => e.seq),
    [3, 4, 5, 6],
  );
  assert.equal(manifest.count, 4);
  assert.equal(manifest.firstSeq, 3);
  assert.equal(manifest.lastSeq, 6);
  assert.equal(manifest.lastHash, entries[5]!.hash);
  assert.deepEqual(manifest.chainHead, { seq: 10, hash: entries[9]!.hash });
  assert.equal(manifest.sha256, createHash('sha256').update(readFileSync(file)).digest('hex'));
});

test('an empty window gives an empty file and says so', async (t) => {
  const { log, dir, entries } = await setup(t, 3);
  const { file, manifest } = await exportAudit(log, { dir, from: T0 + 60_000, to: T0 + 120_000 });
  assert.equal(readFileSync(file, 'utf8'), '');
  assert.equal(manifest.count, 0);
  assert.equal(manifest.firstSeq, null);
  assert.equal(manifest.lastSeq, null);
  assert.equal(manifest.lastHash, null);
  assert.deepEqual(manifest.chainHead, { seq: 3, hash: entries[2]!.hash });
  assert.equal(manifest.sha256, createHash('sha256').digest('hex'));
});

test('refuses a window that ends before it starts', async (t) => {
  const { log, dir } = await setup(t, 1);
  await assert.rejects(exportAudit(log, { dir, from: T0, to: T0 - 1 }), (err) =>
    isLifelineError(err, 'VALIDATION_FAILED'),
  );
});

test('a signed export of a window verifies offline; files are 0600; an unsigned or re-signed manifest does not', async (t) => {
  const { log, dir } = await setup(t, 7);
  const anchorDir = join(dir, 'anchor');
  mkdirSync(anchorDir, { mode: 0o700 });
  const signer = openAuditKey(anchorDir, new Sealer(randomBytes(32)));
  const out = join(dir, 'exports');
  // A window in the middle of the chain: its first entry links to one outside the file.
  const { file, manifestFile } = await exportAudit(log, { dir: out, from: T0 + 2000, to: T0 + 4000, signer });
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(manifestFile).mode & 0o777, 0o600);
  const ok = await verifyExport(manifestFile, signer.publicKey);
  assert.equal(ok.ok, true, ok.message);
  assert.equal(ok.ok && ok.count, 3);
  // Signed by another audit key: refused.
  const other = openAuditKey(mkdtempSync(join(dir, 'other-')), new Sealer(randomBytes(32)));
  const wrongKey = await verifyExport(manifestFile, other.publicKey);
  assert.equal(wrongKey.ok, false);
  // Without a signer the manifest carries none, and verify-export says so.
  const unsigned = await exportAudit(log, { dir: join(dir, 'unsigned') });
  const r = await verifyExport(unsigned.manifestFile, signer.publicKey);
  assert.equal(r.ok === false && r.reason, 'signature');
});
