import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { Sealer } from '../secrets/index.ts';
import { SqliteRecordStore } from '../store/sqlite/index.ts';
import { openAnchoring } from './anchoring.ts';
import { AuditLog } from './log.ts';
import { verifyAnchored } from './verify.ts';

async function chain(t: TestContext, n: number) {
  const root = mkdtempSync(join(tmpdir(), 'lifeline-verify-'));
  t.after(() => {
    try {
      execFileSync('chattr', ['-R', '-a', root], { stdio: 'ignore' });
    } catch {}
    rmSync(root, { recursive: true, force: true });
  });
  const store = new SqliteRecordStore(join(root, 'db'));
  t.after(() => store.close());
  const log = new AuditLog({ store, clock: Date.now });
  const anchoring = openAnchoring({
    settings: { checkpointIntervalSeconds: 60, anchor: { dir: join(root, 'anchor'), url: '', shared: true } },
    log,
    sealer: new Sealer(randomBytes(32)),
    node: 'n1',
    clock: Date.now,
  });
  const entries = [];
  for (let i = 0; i < n; i++)
    entries.push(await log.append({ actor: 'a', action: 'x', target: `t${i}`, result: 'ok' }));
  return { log, anchoring, entries, anchorDir: join(root, 'anchor') };
}

test('with no anchor, verify is ok but says plainly that nothing is anchored', async (t) => {
  const { log, anchorDir } = await chain(t, 3);
  const r = await verifyAnchored(log, { anchors: [{ dir: anchorDir }], coverage: true, graceMs: 1 });
  assert.equal(r.ok, true);
  assert.equal(r.anchor.anchored, null);
  assert.equal(r.anchor.unanchored, 3);
  assert.match(r.message, /no anchored checkpoint found/);
});

test('a --checkpoint past the anchored range is checked for existence, without calling entries forged', async (t) => {
  const { log, anchoring, entries, anchorDir } = await chain(t, 3);
  await anchoring.checkpointer.flush();
  await log.append({ actor: 'a', action: 'x', target: 't3', result: 'ok' });
  const head = await log.head();
  const opts = { anchors: [{ dir: anchorDir }], coverage: true, graceMs: 1 };
  const ok = await verifyAnchored(log, { ...opts, checkpoint: { seq: head!.seq, hash: head!.hash } });
  assert.equal(ok.ok, true, ok.message);
  assert.equal(ok.anchor.anchored?.seq, 3, 'only signed checkpoints count as anchored');
  assert.equal(ok.anchor.unanchored, 1);
  const beyond = await verifyAnchored(log, { ...opts, checkpoint: { seq: 9, hash: entries[0]!.hash } });
  assert.equal(beyond.ok, false);
  assert.equal(!beyond.ok && beyond.reason, 'truncated');
  assert.equal(!beyond.ok && beyond.firstBadSeq, 5);
  assert.match(!beyond.ok ? beyond.detail : '', /the checkpoint given names seq 9/);
});
