/**
 * The evidence archive on a real SQLite node: an incident declared through the admin API, its
 * archive written by `lifeline incident evidence` (direct, beside the running node) and checked
 * by `lifeline incident evidence verify` offline; a changed byte fails it.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { addOperator, fastAdmin, runCliCaptured, startLifeline, tempDir } from '../helpers.ts';

test('incident evidence writes an archive that verifies offline, and fails once a byte changes', async (t) => {
  const { app, adminUrl, dataDir } = await startLifeline(t, {
    overrides: fastAdmin,
  });
  const carol = await addOperator(app, 'carol', 'operator');
  const cli = (...args: string[]) =>
    runCliCaptured([...args], { LIFELINE_DATA_DIR: dataDir, LIFELINE_ADMIN_URL: adminUrl }, dataDir);
  const declared = await runCliCaptured(
    ['incident', 'declare', 'login outage', '--severity', 'P1', '--token', carol, '--json'],
    { LIFELINE_ADMIN_URL: adminUrl },
    dataDir,
  );
  assert.equal(declared.code, 0, declared.out);
  const id = declared.json.incident.id as string;
  // The node's own appends are anchored by its checkpointer; the CLI checkpoints what it appends.
  await app.auditAnchoring.checkpointer.flush();
  const out = join(tempDir(t, 'lifeline-evidence-out-'), 'archive');
  const written = await cli('incident', 'evidence', id, '--out', out, '--json');
  assert.equal(written.code, 0, written.out);
  assert.ok(written.json.manifest.files['incident.json']);
  const verified = await cli('incident', 'evidence', 'verify', out, '--json');
  assert.equal(verified.code, 0, verified.out);
  assert.equal(verified.json.ok, true);
  const file = join(out, 'incident.json');
  const original = readFileSync(file);
  const changed = Buffer.from(original);
  changed[10] = (changed[10] ?? 0) ^ 1;
  writeFileSync(file, changed);
  const failed = await cli('incident', 'evidence', 'verify', out, '--json');
  assert.notEqual(failed.code, 0);
  assert.equal(failed.json.ok, false);
  assert.equal(failed.json.reason, 'file');
});
