import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { isLifelineError } from '../errors/index.ts';
import { Sealer } from '../secrets/index.ts';
import { eventually } from '../../test/helpers.ts';
import { SqliteRecordStore } from '../store/sqlite/index.ts';
import { Anchor, CHECKPOINTS_FILE, prepareAnchorDir } from './anchor.ts';
import { openAnchoring } from './anchoring.ts';
import { readCheckpoints } from './checkpoint.ts';
import { openAuditKey, PUBLIC_KEY_FILE } from './key.ts';
import { AuditLog } from './log.ts';

function dirs(t: TestContext): { data: string; anchor: string } {
  const root = mkdtempSync(join(tmpdir(), 'lifeline-anchor-'));
  t.after(() => {
    try {
      execFileSync('chattr', ['-a', join(root, 'anchor', CHECKPOINTS_FILE)], { stdio: 'ignore' });
    } catch {}
    rmSync(root, { recursive: true, force: true });
  });
  return { data: join(root, 'data.db'), anchor: join(root, 'anchor') };
}

const settings = (dir: string, url = '') => ({
  checkpointIntervalSeconds: 60,
  anchor: { dir, url, shared: true },
});

test('the audit key is created once, sealed, and a replaced public key file is refused', (t) => {
  const { anchor } = dirs(t);
  const sealer = new Sealer(randomBytes(32));
  mkdirSync(anchor, { mode: 0o700 });
  const a = { signer: openAuditKey(anchor, sealer) };
  const again = openAuditKey(anchor, sealer);
  assert.equal(again.publicKey.id, a.signer.publicKey.id, 'the second open finds the same key');
  assert.ok(Sealer.isSealed(readFileSync(join(anchor, 'audit-key.sealed'), 'utf8')), 'sealed at rest');
  assert.equal(statSync(join(anchor, 'audit-key.sealed')).mode & 0o777, 0o600);
  assert.equal(statSync(anchor).mode & 0o777, 0o700);
  // Another KEK cannot open it.
  assert.throws(
    () => openAuditKey(anchor, new Sealer(randomBytes(32))),
    (e) => isLifelineError(e),
  );
  // Someone swaps in their own public key: the node refuses to start rather than sign under a
  // key the verifiers would not check.
  const { publicKey } = generateKeyPairSync('ed25519');
  writeFileSync(join(anchor, PUBLIC_KEY_FILE), publicKey.export({ type: 'spki', format: 'pem' }));
  assert.throws(
    () => openAuditKey(anchor, sealer),
    (e) => isLifelineError(e, 'AUDIT_ANCHOR_INVALID'),
  );
});

test('two nodes on one store and one anchor interleave appends; every line is whole and verify is ok', async (t) => {
  const { data, anchor } = dirs(t);
  const sealer = new Sealer(randomBytes(32));
  const stores = [new SqliteRecordStore(data), new SqliteRecordStore(data)];
  t.after(() => Promise.all(stores.map((s) => s.close())));
  const nodes = stores.map((store, i) => {
    const log = new AuditLog({ store, clock: Date.now });
    return {
      log,
      anchoring: openAnchoring({ settings: settings(anchor), log, sealer, node: `n${i}`, clock: Date.now }),
    };
  });
  for (let round = 0; round < 20; round++) {
    await Promise.all(
      nodes.map(async ({ log, anchoring }, i) => {
        await log.appendMany([
          { actor: `op${i}`, action: 'flag.set', target: `r${round}`, result: 'ok' },
          { actor: `op${i}`, action: 'flag.set', target: `r${round}b`, result: 'ok' },
        ]);
        if (round % 3 === i) await anchoring.checkpointer.flush();
      }),
    );
  }
  await Promise.all(nodes.map((n) => n.anchoring.checkpointer.flush()));
  const { valid, invalid } = readCheckpoints(
    join(anchor, CHECKPOINTS_FILE),
    nodes[0]!.anchoring.signer.publicKey,
  );
  assert.equal(invalid, 0);
  assert.deepEqual(new Set(valid.map((c) => c.node)), new Set(['n0', 'n1']));
  const result = await nodes[1]!.anchoring.verify();
  assert.equal(result.ok, true, result.message);
  assert.equal(result.entries, 80);
  assert.equal(result.anchor.unanchored, 0, result.message);
});

test('the HTTP sink gets every checkpoint as JSON, in order, retried after a failure, never blocking a write', async (t) => {
  const { anchor } = dirs(t);
  const received: unknown[] = [];
  let fail = 1;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      if (fail > 0) {
        fail--;
        res.writeHead(503).end();
        return;
      }
      assert.equal(req.headers['content-type'], 'application/json');
      received.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const { port } = server.address() as { port: number };
  prepareAnchorDir(anchor);
  const sink = new Anchor({ dir: anchor, url: `http://127.0.0.1:${port}/checkpoints` });
  t.after(() => sink.close());
  const cp = (seq: number) => ({
    v: 1 as const,
    seq,
    hash: 'h',
    at: seq,
    node: 'n',
    key: 'k',
    own: [],
    sig: 's',
  });
  await sink.write(cp(1));
  await sink.write(cp(2));
  assert.equal(readFileSync(sink.file, 'utf8').trim().split('\n').length, 2, 'the file has both at once');
  // Delivered means answered: the receiver has the body before the sink has its 204, so the wait is
  // for both (on a busy machine the answer came a moment after the second body).
  await eventually(async () => (received.length >= 2 && sink.sinkPending === 0 ? true : undefined), 60_000);
  assert.deepEqual(
    received.map((c) => (c as { seq: number }).seq),
    [1, 2],
  );
  const appendOnly = await sink.appendOnly();
  assert.ok(appendOnly === 'set' || appendOnly?.startsWith('not set'), appendOnly);
});
