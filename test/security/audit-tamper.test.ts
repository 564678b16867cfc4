/**
 * Finding 5 of issue 12: the audit chain could be cut short or rewritten unnoticed. `audit verify`
 * said ok after the last rows were deleted, after the table was emptied, and after a rewrite with
 * recomputed hashes, because a chain that hashes and links proves only that it is consistent with
 * itself. Now each process anchors signed checkpoints of what it appended outside the store, and
 * verify (CLI and API alike) checks the chain against them, naming the first bad or missing seq.
 *
 * Each tamper is done as an attacker with write access to the database (and none to the anchor
 * directory or the KEK) would do it: straight SQL on the SQLite file or the PostgreSQL schema.
 */
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { type TestContext, test } from 'node:test';
import pg from 'pg';
import pino from 'pino';
import { type App, createApp, openSealer, openStore } from '../../src/app.ts';
import { AuditLog, hashEntry, openAnchoring } from '../../src/audit/index.ts';
import type { Config } from '../../src/config/index.ts';
import type { AuditEntry } from '../../src/audit/records.ts';
import { addOperator, eventually, getJson, runCliCaptured, tempDir, testConfig } from '../helpers.ts';
import { type Services, services } from '../services.ts';

const HOUR = 3_600_000;

/** SQL run as the attacker, on the backend the node uses. */
interface Backdoor {
  run(sql: string, params?: unknown[]): Promise<void>;
  rows(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

function sqliteBackdoor(file: string): Backdoor {
  const db = new DatabaseSync(file);
  return {
    run: async (sql, params = []) => void db.prepare(sql).run(...(params as never[])),
    rows: async (sql, params = []) =>
      db.prepare(sql).all(...(params as never[])) as Record<string, unknown>[],
    close: async () => db.close(),
  };
}

async function pgBackdoor(url: string, schema: string): Promise<Backdoor> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`SET search_path TO "${schema}"`);
  const toPg = (sql: string) => {
    let i = 0;
    return sql.replace(/\?/g, () => `$${++i}`);
  };
  return {
    run: async (sql, params = []) => void (await client.query(toPg(sql), params)),
    rows: async (sql, params = []) => (await client.query(toPg(sql), params)).rows,
    close: () => client.end(),
  };
}

interface Scene {
  app: App;
  config: Config;
  dataDir: string;
  adminUrl: string;
  auditor: string;
  /** The node's virtual clock. */
  clock: { now: number };
  db: Backdoor;
  cliEnv: Record<string, string>;
  /** The chain as it was before the tamper. */
  entries: AuditEntry[];
}

/** `lifeline audit verify` against an auditor's pinned public key, as JSON. */
function verifyPinned(sc: Scene, pinned: string) {
  return runCliCaptured(['audit', 'verify', '--public-key', pinned, '--json'], sc.cliEnv, sc.dataDir);
}

/**
 * A node holding a chain of 12 entries (seq 1 is the auditor's creation), anchored by a
 * checkpoint at seq 6 and another at seq 12, on SQLite or on PostgreSQL.
 */
async function scene(t: TestContext, pgSchema?: { s: Services; schema: string }): Promise<Scene> {
  const dataDir = tempDir(t);
  const clock = { now: Date.UTC(2026, 0, 5, 9, 0, 0) };
  const store = pgSchema
    ? { kind: 'postgres' as const, postgres: { url: pgSchema.s.pgUrl, schema: pgSchema.schema } }
    : { kind: 'sqlite' as const };
  // A long interval: the checkpoints here are the ones the appends schedule.
  const config = testConfig(dataDir, { store, audit: { checkpointIntervalSeconds: 3600 } });
  const app = await createApp({ config, logger: pino({ level: 'silent' }), clock: () => clock.now });
  const { adminUrl } = await app.listen();
  t.after(() => app.close());
  const auditor = await addOperator(app, 'audra', 'auditor');
  for (let i = 2; i <= 12; i++) {
    clock.now += 1000;
    await app.audit.append({
      actor: 'ops-alice',
      action: 'flag.set',
      target: `flag:f${i}`,
      details: { i },
      result: 'accepted',
    });
    if (i === 6 || i === 12) await app.auditAnchoring?.checkpointer.flush();
  }
  const db = pgSchema
    ? await pgBackdoor(pgSchema.s.pgUrl, pgSchema.schema)
    : sqliteBackdoor(join(dataDir, 'lifeline.db'));
  t.after(() => db.close());
  const cliEnv: Record<string, string> = { LIFELINE_DATA_DIR: dataDir };
  if (pgSchema) {
    cliEnv.LIFELINE_STORE__KIND = 'postgres';
    cliEnv.LIFELINE_STORE__POSTGRES__URL = pgSchema.s.pgUrl;
    cliEnv.LIFELINE_STORE__POSTGRES__SCHEMA = pgSchema.schema;
  }
  // The CLI reads the node's checkpoint interval too (it sets how long a writer may take).
  cliEnv.LIFELINE_AUDIT__CHECKPOINT_INTERVAL_SECONDS = '3600';
  const entries = await app.audit.list({ limit: 1000 });
  entries.sort((a, b) => a.seq - b.seq);
  assert.equal(entries.length, 12);
  return { app, config, dataDir, adminUrl, auditor, clock, db, cliEnv, entries };
}

/** What the API and the CLI say; both must agree on the verdict. */
async function verifyBoth(sc: Scene): Promise<{ api: any; cli: any; cliCode: number }> {
  const api = await getJson(`${sc.adminUrl}/admin/v1/audit/verify`, sc.auditor);
  assert.equal(api.status, 200);
  const cli = await runCliCaptured(['audit', 'verify', '--json'], sc.cliEnv, sc.dataDir);
  return { api: api.body, cli: cli.json, cliCode: cli.code };
}

async function assertCaught(sc: Scene, firstBadSeq: number, reason: string, detail?: RegExp): Promise<void> {
  const { api, cli, cliCode } = await verifyBoth(sc);
  for (const [who, r] of [
    ['API', api],
    ['CLI', cli],
  ] as const) {
    assert.equal(r?.ok, false, `${who} must report the tamper: ${JSON.stringify(r)}`);
    assert.equal(r.firstBadSeq, firstBadSeq, `${who} names the first bad or missing seq: ${r.detail}`);
    assert.equal(r.reason, reason, `${who}: ${r.detail}`);
    if (detail) assert.match(r.detail, detail);
    assert.match(r.message, new RegExp(`BROKEN at seq ${firstBadSeq}\\b`));
  }
  assert.equal(cliCode, 1, 'the CLI exits 1');
}

/** Rewrites rows `fromSeq..` as an attacker who knows the hash recipe: the chain stays consistent. */
async function rewriteFrom(sc: Scene, fromSeq: number, change: Partial<AuditEntry>): Promise<void> {
  let prevHash = sc.entries[fromSeq - 2]!.hash;
  for (const e of sc.entries.slice(fromSeq - 1)) {
    const body = { ...e, ...(e.seq === fromSeq ? change : {}), prevHash };
    const { hash: _, ...unhashed } = body;
    const hash = hashEntry(unhashed);
    await sc.db.run('UPDATE audit SET actor = ?, prev_hash = ?, hash = ? WHERE seq = ?', [
      body.actor,
      prevHash,
      hash,
      e.seq,
    ]);
    prevHash = hash;
  }
}

async function insertRow(sc: Scene, e: AuditEntry): Promise<void> {
  await sc.db.run(
    'INSERT INTO audit (seq, at, actor, action, target, details, result, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    [e.seq, e.at, e.actor, e.action, e.target, JSON.stringify(e.details), e.result, e.prevHash, e.hash],
  );
}

/** A well-formed entry after `prev`, its hash computed as Lifeline would. */
function forge(prev: { seq: number; hash: string }, seq: number, at: number): AuditEntry {
  const body = {
    seq,
    at,
    actor: 'ops-mallory',
    action: 'operator.add',
    target: 'operator:mallory',
    details: { role: 'admin' },
    result: 'accepted',
    prevHash: prev.hash,
  };
  return { ...body, hash: hashEntry(body) };
}

/** Stops `app` as a kill would: no last checkpoint, no stop mark, nothing recorded at the stop. */
async function crash(app: App): Promise<void> {
  Object.assign(app.auditAnchoring, { stop: async () => app.auditAnchoring.anchor.close() });
  await app.close();
}

test('untampered: CLI and API say ok, anchored to the last checkpoint, nothing unanchored', async (t) => {
  const sc = await scene(t);
  const { api, cli, cliCode } = await verifyBoth(sc);
  for (const r of [api, cli]) {
    assert.equal(r.ok, true, r.message);
    assert.equal(r.entries, 12);
    assert.equal(r.anchor.anchored.seq, 12);
    assert.equal(r.anchor.unanchored, 0);
    assert.match(r.message, /anchored up to seq 12.*every entry is anchored/);
  }
  assert.equal(cliCode, 0);
});

test('an edited row is named', async (t) => {
  const sc = await scene(t);
  await sc.db.run("UPDATE audit SET actor = 'ops-bob' WHERE seq = 4");
  await assertCaught(sc, 4, 'hash-mismatch');
});

test('a deleted row is named as missing', async (t) => {
  const sc = await scene(t);
  await sc.db.run('DELETE FROM audit WHERE seq = 4');
  await assertCaught(sc, 4, 'seq-gap', /seq 4 is missing/);
});

test('an inserted row (well-formed, linked to the one before) is caught where the chain stops following', async (t) => {
  const sc = await scene(t);
  // Make room at seq 4, then put a forged entry there that links to seq 3 with a correct hash.
  await sc.db.run('UPDATE audit SET seq = seq + 1000 WHERE seq >= 4');
  await sc.db.run('UPDATE audit SET seq = seq - 999 WHERE seq >= 1004');
  await insertRow(sc, forge(sc.entries[2]!, 4, sc.entries[3]!.at));
  // The forged seq 4 is consistent on its own; the old seq 4, now at 5, no longer follows it.
  await assertCaught(sc, 5, 'prev-hash-mismatch');
});

test('two reordered rows are named', async (t) => {
  const sc = await scene(t);
  await sc.db.run('UPDATE audit SET seq = -4 WHERE seq = 4');
  await sc.db.run('UPDATE audit SET seq = 4 WHERE seq = 5');
  await sc.db.run('UPDATE audit SET seq = 5 WHERE seq = -4');
  await assertCaught(sc, 4, 'prev-hash-mismatch');
});

test('a cut tail is named: the first deleted seq (verify said ok before)', async (t) => {
  const sc = await scene(t);
  await sc.db.run('DELETE FROM audit WHERE seq > 9');
  await assertCaught(sc, 10, 'truncated', /entries 10\.\.12 were deleted/);
});

test('an emptied table is named: seq 1 is missing (verify said ok before)', async (t) => {
  const sc = await scene(t);
  await sc.db.run('DELETE FROM audit');
  await assertCaught(sc, 1, 'truncated', /audit table is empty.*entries 1\.\.12 were deleted/);
});

test('a rewrite from a point with recomputed hashes is caught at the checkpoint past it (verify said ok before)', async (t) => {
  const sc = await scene(t);
  await rewriteFrom(sc, 8, { actor: 'ops-nobody' });
  // The chain is consistent with itself; only the anchor shows it. The checkpoint at seq 6 still
  // matches, the one at 12 does not: the rewrite lies in 7..12, and 12 is the first seq proven bad.
  await assertCaught(sc, 12, 'checkpoint-mismatch', /rewritten .* after seq 6, at or before seq 12/);
});

test('a forged append is "not yet anchored", then named once the next checkpoint passes it', async (t) => {
  const sc = await scene(t);
  const head = sc.entries.at(-1)!;
  // Someone with write access to the database, but not the audit key, appends a well-formed entry.
  sc.clock.now += 1000;
  await insertRow(sc, forge(head, 13, sc.clock.now));
  // Nothing vouches for seq 13 yet, and nothing can tell it from an entry a node is about to
  // anchor: verify says so plainly, naming it, rather than calling it good.
  const early = await verifyBoth(sc);
  for (const r of [early.api, early.cli]) {
    assert.equal(r.ok, true, r.message);
    assert.equal(r.anchor.unanchored, 1);
    assert.equal(r.anchor.firstUnanchoredSeq, 13);
    assert.match(r.message, /1 entry is not yet anchored, from seq 13/);
  }
  // They also append a line to the anchor file vouching for it; without the key it is refused.
  const line = JSON.parse(
    readFileSync(join(`${sc.dataDir}.anchor`, 'checkpoints.jsonl'), 'utf8').split('\n')[0]!,
  );
  appendFileSync(
    join(`${sc.dataDir}.anchor`, 'checkpoints.jsonl'),
    `${JSON.stringify({ ...line, seq: 13, own: [[13, 13]], at: sc.clock.now })}\n`,
  );
  // Hours later the node appends (a guarded command, say) and checkpoints: its checkpoint passes
  // seq 13 but vouches only for what the node appended. Every process anchors its own appends
  // within two checkpoint intervals, so seq 13 is now an entry no Lifeline process wrote.
  sc.clock.now += 3 * HOUR;
  await sc.app.audit.append({
    actor: 'ops-alice',
    action: 'command.request',
    target: 'command:c1',
    details: {},
    result: 'accepted',
  });
  await sc.app.auditAnchoring?.checkpointer.flush();
  await assertCaught(
    sc,
    13,
    'unwitnessed',
    /seq 13 \(operator\.add by ops-mallory\) was appended by no Lifeline process/,
  );
  const { api } = await verifyBoth(sc);
  assert.equal(api.anchor.invalidLines, 1, 'the forged anchor line is counted, not believed');
});

test('a running node sees its chain cut back: alert logged, event, metric, and /ready reports it', async (t) => {
  const dataDir = tempDir(t);
  const config = testConfig(dataDir, { audit: { witnessIntervalSeconds: 1 } });
  const lines: string[] = [];
  const logger = pino({ level: 'error' }, { write: (s: string) => void lines.push(s) });
  const app = await createApp({ config, logger });
  const { playerUrl } = await app.listen();
  t.after(() => app.close());
  const alerts: { kind: string; detail: string }[] = [];
  app.events.on('audit.regressed', (e) => alerts.push(e));
  for (let i = 1; i <= 5; i++) {
    await app.audit.append({
      actor: 'ops-alice',
      action: 'flag.set',
      target: `f${i}`,
      details: {},
      result: 'ok',
    });
  }
  const before = await getJson(`${playerUrl}/ready`);
  assert.equal(before.body.alerts['audit-chain'], 'ok');

  const db = new DatabaseSync(join(dataDir, 'lifeline.db'));
  db.prepare('DELETE FROM audit WHERE seq > 3').run();
  db.close();

  const ready = await eventually(async () => {
    const r = await getJson(`${playerUrl}/ready`);
    return String(r.body.alerts?.['audit-chain']).startsWith('regressed') ? r : undefined;
  });
  assert.equal(ready.body.alerts['audit-chain'], 'regressed', 'the public port names the kind, no seqs');
  assert.match(alerts[0]?.detail ?? '', /ends at seq 3, but this node saw it reach seq 5/);
  // Reported, not a reason to drop out of the load balancer: every node shares the store.
  assert.equal(ready.status, 200);
  const metric = await app.metrics.registry.getSingleMetricAsString('lifeline_audit_chain_regressed');
  assert.match(metric, /^lifeline_audit_chain_regressed 1$/m);
  assert.deepEqual(
    alerts.map((a) => a.kind),
    ['regressed'],
  );
  assert.ok(
    lines.some((l) => /audit-chain-regressed/.test(l) && /"level":50/.test(l)),
    'an error-level log line says it',
  );
});

test('export: files are 0600, the manifest is signed, and verify-export catches an edited file or manifest', async (t) => {
  const sc = await scene(t);
  const out = join(sc.dataDir, '..', `${sc.dataDir.split('/').at(-1)}-exports`);
  t.after(() => import('node:fs').then((fs) => fs.rmSync(out, { recursive: true, force: true })));
  const exported = await runCliCaptured(['audit', 'export', '--out', out, '--json'], sc.cliEnv, sc.dataDir);
  assert.equal(exported.code, 0, exported.out);
  const { file, manifestFile, manifest } = exported.json;
  const { statSync, writeFileSync } = await import('node:fs');
  assert.equal(statSync(file).mode & 0o777, 0o600, 'the entries file is 0600');
  assert.equal(statSync(manifestFile).mode & 0o777, 0o600, 'the manifest is 0600');
  assert.equal(manifest.signature.alg, 'Ed25519');

  const ok = await runCliCaptured(['audit', 'verify-export', manifestFile, '--json'], sc.cliEnv, sc.dataDir);
  assert.equal(ok.code, 0, ok.out);
  assert.equal(ok.json.ok, true);

  // The manifest edited to hide an entry: the signature no longer verifies.
  writeFileSync(manifestFile, JSON.stringify({ ...manifest, count: manifest.count - 1 }));
  const edited = await runCliCaptured(
    ['audit', 'verify-export', manifestFile, '--json'],
    sc.cliEnv,
    sc.dataDir,
  );
  assert.equal(edited.code, 1);
  assert.equal(edited.json.reason, 'signature');

  // The manifest restored, the file edited: the signed digest no longer matches.
  writeFileSync(manifestFile, JSON.stringify(manifest));
  writeFileSync(file, readFileSync(file, 'utf8').replace('ops-alice', 'ops-bobby'));
  const changed = await runCliCaptured(
    ['audit', 'verify-export', manifestFile, '--json'],
    sc.cliEnv,
    sc.dataDir,
  );
  assert.equal(changed.code, 1);
  assert.equal(changed.json.reason, 'digest');
});

const s = await services('audit tamper on PostgreSQL', ['postgres']);
if (s) {
  test('PostgreSQL: a cut tail is named', async (t) => {
    const sc = await scene(t, { s, schema: s.schema() });
    await sc.db.run('DELETE FROM audit WHERE seq > 9');
    await assertCaught(sc, 10, 'truncated', /entries 10\.\.12 were deleted/);
  });

  test('PostgreSQL: an emptied table is named', async (t) => {
    const sc = await scene(t, { s, schema: s.schema() });
    await sc.db.run('DELETE FROM audit');
    await assertCaught(sc, 1, 'truncated', /audit table is empty/);
  });

  test('PostgreSQL: a rewrite with recomputed hashes is named', async (t) => {
    const sc = await scene(t, { s, schema: s.schema() });
    await rewriteFrom(sc, 8, { actor: 'ops-nobody' });
    await assertCaught(sc, 12, 'checkpoint-mismatch');
  });
}

test('entries found unvouched at a restart (a crash right after an append) stay "not yet anchored", never called forged', async (t) => {
  const sc = await scene(t);
  await crash(sc.app);
  // What a node killed within a second of an append leaves: an entry in the store whose
  // checkpoint was never written (indistinguishable from one written while no node ran).
  await insertRow(sc, forge(sc.entries.at(-1)!, 13, sc.clock.now + 500));
  const app = await createApp({
    config: sc.config,
    logger: pino({ level: 'silent' }),
    clock: () => sc.clock.now,
  });
  const { adminUrl } = await app.listen();
  t.after(() => app.close());
  sc.clock.now += 3 * HOUR;
  await app.audit.append({
    actor: 'ops-alice',
    action: 'flag.set',
    target: 'flag:x',
    details: {},
    result: 'ok',
  });
  await app.auditAnchoring.checkpointer.flush();
  const { api, cli, cliCode } = await verifyBoth({ ...sc, app, adminUrl });
  for (const r of [api, cli]) {
    assert.equal(r.ok, true, r.message);
    assert.equal(r.anchor.unanchored, 1);
    assert.equal(r.anchor.firstUnanchoredSeq, 13);
  }
  assert.equal(cliCode, 0);
});

/** Starts a node again on the scene's store, anchor and virtual clock. */
async function restart(t: TestContext, sc: Scene, config: Config = sc.config): Promise<Scene> {
  const app = await createApp({ config, logger: pino({ level: 'silent' }), clock: () => sc.clock.now });
  const { adminUrl } = await app.listen();
  t.after(() => app.close());
  return { ...sc, app, adminUrl };
}

async function storeHead(sc: Scene): Promise<{ seq: number; hash: string }> {
  const [row] = await sc.db.rows('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1');
  return { seq: Number(row!.seq), hash: String(row!.hash) };
}

test('anchor directory renamed away and the chain cut: the node refuses to start, and verify with the pinned key fails (both said ok before)', async (t) => {
  const sc = await scene(t);
  const anchorDir = `${sc.dataDir}.anchor`;
  const pinned = join(sc.dataDir, '..', `${sc.dataDir.split('/').at(-1)}-pinned.pub`);
  copyFileSync(join(anchorDir, 'audit-key.pub'), pinned);
  await sc.app.close();
  // Someone with write access to the database and to the anchor's parent (chattr +a guards the
  // file, not the directory) cuts seq 6.. and moves the anchor out of the way.
  await sc.db.run('DELETE FROM audit WHERE seq >= 6');
  renameSync(anchorDir, `${anchorDir}-gone`);
  await assert.rejects(
    createApp({ config: sc.config, logger: pino({ level: 'silent' }), clock: () => sc.clock.now }),
    (err: any) => err.code === 'AUDIT_ANCHOR_INVALID' && err.details?.reason === 'anchor-lost',
  );
  // A direct CLI write refuses too, rather than seeding the new anchor.
  const add = await runCliCaptured(
    ['operators', 'add', 'eve', '--role', 'admin', '--break-glass', '--json'],
    sc.cliEnv,
    sc.dataDir,
  );
  assert.notEqual(add.code, 0);
  assert.match(add.out, /AUDIT_ANCHOR_INVALID|anchor/);
  // And so does the next start: the refused one left no key behind to pass it.
  await assert.rejects(
    createApp({ config: sc.config, logger: pino({ level: 'silent' }), clock: () => sc.clock.now }),
    (err: any) => err.code === 'AUDIT_ANCHOR_INVALID',
  );
  // The auditor's pinned key verifies nothing in the anchor there now.
  const cli = await verifyPinned(sc, pinned);
  assert.equal(cli.code, 1, cli.out);
  assert.equal(cli.json.ok, false);
  assert.equal(cli.json.reason, 'anchor-invalid');
  assert.match(cli.json.detail, /no checkpoint .* verifies under the pinned audit key/);

  // The operator's explicit override adopts the chain; the chain records it.
  const adopted = await restart(t, sc, {
    ...sc.config,
    audit: { ...sc.config.audit, anchor: { ...sc.config.audit.anchor, adoptExisting: true } },
  });
  const keys = await adopted.app.audit.list({ action: 'audit.key', limit: 10 });
  assert.equal(keys.length, 1, 'the adopting key, recorded at once');
  assert.equal(keys[0]!.details.adoptedAtSeq, 5);
  const still = await verifyPinned(sc, pinned);
  assert.equal(still.json.ok, false, 'the pinned key still tells');
});

test('pinned key and one forged anchor line: verify fails (said ok with a warning before)', async (t) => {
  const sc = await scene(t);
  const file = join(`${sc.dataDir}.anchor`, 'checkpoints.jsonl');
  const line = JSON.parse(readFileSync(file, 'utf8').split('\n')[0]!);
  appendFileSync(file, `${JSON.stringify({ ...line, seq: 9, hash: 'f'.repeat(64), at: sc.clock.now })}\n`);
  const pinned = join(`${sc.dataDir}.anchor`, 'audit-key.pub');
  const cli = await verifyPinned(sc, pinned);
  assert.equal(cli.code, 1, cli.out);
  assert.equal(cli.json.ok, false);
  assert.equal(cli.json.reason, 'anchor-invalid');
  assert.equal(cli.json.firstBadSeq, 9);
  assert.match(cli.json.detail, /1 line\(s\) .* fail their signature under the pinned audit key/);
});

test('an anchor re-seeded under a new key is named: the chain recorded another key', async (t) => {
  const sc = await scene(t);
  await sc.app.close();
  // The next run records its key in the chain with its first append (seq 13, so at seq 14).
  const second = await restart(t, sc);
  await second.app.audit.append({
    actor: 'ops-alice',
    action: 'flag.set',
    target: 'flag:z',
    details: {},
    result: 'ok',
  });
  await second.app.close();
  const anchorDir = `${sc.dataDir}.anchor`;
  renameSync(anchorDir, `${anchorDir}-gone`);
  // A process that skips the start-up guard (an old binary, say) makes a new key and anchors.
  const store = await openStore(sc.config);
  t.after(() => store.close());
  const log = new AuditLog({ store, clock: () => sc.clock.now });
  const anchoring = openAnchoring({
    settings: sc.config.audit,
    log,
    sealer: openSealer(sc.config),
    node: 'old',
    clock: () => sc.clock.now,
  });
  await anchoring.checkpointer.adopt(await storeHead(sc));
  await anchoring.anchor.close();
  const cli = await runCliCaptured(['audit', 'verify', '--json'], sc.cliEnv, sc.dataDir);
  assert.equal(cli.code, 1, cli.out);
  assert.equal(cli.json.reason, 'key-mismatch');
  assert.equal(cli.json.firstBadSeq, 14, 'the audit.key entry the second run wrote');
  assert.match(cli.json.detail, /signed by audit key .* but the chain records only/);
});

test('an entry written into the store between a clean stop and the next start is unwitnessed (was "not anchored" for good)', async (t) => {
  const sc = await scene(t);
  await sc.app.close();
  const head = await storeHead(sc);
  await insertRow(sc, forge(head, head.seq + 1, sc.clock.now + 1000));
  sc.clock.now += 3 * HOUR;
  const next = await restart(t, sc);
  await assertCaught(
    next,
    head.seq + 1,
    'unwitnessed',
    new RegExp(`seq ${head.seq + 1} \\(operator\\.add by ops-mallory\\) was appended by no Lifeline process`),
  );
});

test('a CLI direct write between two node runs stays ok', async (t) => {
  const sc = await scene(t);
  await sc.app.close();
  const add = await runCliCaptured(
    ['operators', 'add', 'carol', '--role', 'admin', '--break-glass', '--json'],
    sc.cliEnv,
    sc.dataDir,
  );
  assert.equal(add.code, 0, add.out);
  sc.clock.now += 3 * HOUR;
  const next = await restart(t, sc);
  await next.app.audit.append({
    actor: 'ops-alice',
    action: 'flag.set',
    target: 'flag:y',
    details: {},
    result: 'ok',
  });
  await next.app.auditAnchoring.checkpointer.flush();
  const { api, cli, cliCode } = await verifyBoth(next);
  for (const r of [api, cli]) {
    assert.equal(r.ok, true, r.message);
    assert.equal(r.anchor.unanchored, 0, r.message);
  }
  assert.equal(cliCode, 0);
});
