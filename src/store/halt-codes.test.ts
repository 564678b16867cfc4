/**
 * Migration 010 splits the free-text halt and pause reasons of rows written before it into a
 * code and a note, the way the services write them now, on both databases.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, test } from 'node:test';
import pg from 'pg';
import { services } from '../../test/services.ts';
import type { RecordStore } from './index.ts';
import { PostgresRecordStore } from './postgres/index.ts';
import { migrationFiles } from './rows.ts';
import { SqliteRecordStore } from './sqlite/index.ts';

const progress = '{"ended":0,"waves":0}';
const command = (id: string, state: string, reason: string | null) =>
  `('${id}', 'kick', '{}', 'r', 'alice', 1, '${state}', '{}', '${progress}', 2, ${reason === null ? 'NULL' : `'${reason}'`})`;
const restore = (id: string, state: string, reason: string | null) =>
  `('${id}', '{}', '{"mode":"fixed","batchSize":1,"intervalMs":1000}', '{}', '${state}', 'carol', 1, 1, 0, 0, 0, ${reason === null ? 'NULL' : `'${reason}'`})`;

/** Rows as a Lifeline before migration 010 wrote them. */
const before010 = `
  INSERT INTO commands (id, action, selector, reason, requested_by, requested_at, state, plan, progress, finished_at, halt_reason)
  VALUES ${[
    command('c-operator', 'halted', 'halted by bob: wrong selector'),
    command('c-interrupted', 'halted', 'interrupted: Lifeline restarted mid-run'),
    command('c-drift', 'halted', 'SELECTOR_DRIFT'),
    command('c-expired', 'rejected', 'COMMAND_EXPIRED'),
    command('c-odd', 'halted', 'something else'),
    command('c-running', 'running', null),
  ].join(', ')};
  INSERT INTO restores (id, source, pacing, thresholds, state, requested_by, created_at, updated_at, total, released, batches, pause_reason)
  VALUES ${[
    restore('r-threshold', 'paused', 'threshold: cpuPercent 93 > 80'),
    restore('r-operator', 'paused', 'operator carol: look first'),
    restore('r-cancelled', 'cancelled', 'test over'),
    restore('r-running', 'running', null),
  ].join(', ')};`;

async function assertSplit(store: RecordStore): Promise<void> {
  const halt = async (id: string) => {
    const c = await store.getCommand(id);
    return [c?.haltCode, c?.haltNote];
  };
  assert.deepEqual(await halt('c-operator'), ['COMMAND_HALTED', 'halted by bob: wrong selector']);
  assert.deepEqual(await halt('c-interrupted'), [
    'COMMAND_INTERRUPTED',
    'interrupted: Lifeline restarted mid-run',
  ]);
  assert.deepEqual(await halt('c-drift'), ['SELECTOR_DRIFT', null]);
  assert.deepEqual(await halt('c-expired'), ['COMMAND_EXPIRED', null]);
  assert.deepEqual(await halt('c-odd'), ['INTERNAL', 'something else'], 'an unknown text keeps its words');
  assert.deepEqual(await halt('c-running'), [null, null]);
  const pause = async (id: string) => {
    const r = await store.getRestore(id);
    return [r?.pauseCode, r?.pauseNote];
  };
  assert.deepEqual(await pause('r-threshold'), ['threshold', 'threshold: cpuPercent 93 > 80']);
  assert.deepEqual(await pause('r-operator'), ['operator', 'operator carol: look first']);
  assert.deepEqual(await pause('r-cancelled'), ['cancelled', 'test over']);
  assert.deepEqual(await pause('r-running'), [null, null]);
}

const upTo009 = (dialect: 'sqlite' | 'postgres') =>
  migrationFiles(join(import.meta.dirname, dialect, 'migrations')).filter((m) => m.version < 10);

test('sqlite: migration 010 splits old halt and pause reasons into a code and a note', async () => {
  const root = mkdtempSync(join(tmpdir(), 'lifeline-m010-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, 'data');
  mkdirSync(dir, { mode: 0o700 });
  const path = join(dir, 'lifeline.db');
  const db = new DatabaseSync(path);
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  for (const m of upTo009('sqlite')) {
    db.exec(readFileSync(m.file, 'utf8'));
    db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)').run(m.version);
  }
  db.exec(before010);
  db.close();
  const store = new SqliteRecordStore(path);
  try {
    await assertSplit(store);
  } finally {
    await store.close();
  }
});

const s = await services('migration 010: postgres', ['postgres']);
if (s) {
  test('postgres: migration 010 splits old halt and pause reasons into a code and a note', async () => {
    const schema = s.schema();
    const client = new pg.Client({ connectionString: s.pgUrl });
    await client.connect();
    try {
      await client.query(`CREATE SCHEMA ${schema}`);
      await client.query(`SET search_path TO ${schema}`);
      await client.query(
        'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)',
      );
      for (const m of upTo009('postgres')) {
        await client.query(readFileSync(m.file, 'utf8'));
        await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, 0)', [m.version]);
      }
      await client.query(before010);
    } finally {
      await client.end();
    }
    const store = await PostgresRecordStore.open({ url: s.pgUrl, schema });
    try {
      await assertSplit(store);
    } finally {
      await store.close();
    }
  });
}
