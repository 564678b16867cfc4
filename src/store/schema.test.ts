/**
 * The two SQL adapters' migrations must end in the same schema: the same tables, columns (name,
 * type family, nullability), keys and indexes (name, columns, unique, partial). The SQL core runs
 * one set of statements' meaning on both, so a column or index added to one only is a drift.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import pg from 'pg';
import { services } from '../../test/services.ts';
import { PostgresRecordStore } from './postgres/index.ts';
import { type Row, str } from './rows.ts';
import { SqliteRecordStore } from './sqlite/index.ts';

interface TableShape {
  columns: { name: string; type: string; nullable: boolean }[];
  primaryKey: string[];
  /** Uniqueness declared on the table (PRIMARY KEY aside), as column lists. */
  unique: string[][];
  /** Indexes created by name. */
  indexes: { name: string; columns: string[]; unique: boolean; partial: boolean }[];
}
type Shape = Record<string, TableShape>;

/** A declared type as its family, by SQLite's affinity rules (which PostgreSQL's names also fit). */
function family(declared: string): string {
  const t = declared.toUpperCase();
  if (t.includes('INT')) return 'integer';
  if (/CHAR|CLOB|TEXT/.test(t)) return 'text';
  if (t === '' || t.includes('BLOB') || t === 'BYTEA') return 'blob';
  if (/REAL|FLOA|DOUB/.test(t)) return 'real';
  return t.toLowerCase();
}

const byName = <T extends { name: string }>(xs: T[]): T[] => xs.sort((a, b) => a.name.localeCompare(b.name));
const sortedLists = (xs: string[][]): string[][] => xs.sort((a, b) => a.join().localeCompare(b.join()));

async function sqliteShape(path: string): Promise<Shape> {
  const { DatabaseSync } = await import('node:sqlite');
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const q = (text: string, ...p: string[]) => db.prepare(text).all(...p) as Row[];
    const shape: Shape = {};
    for (const { name } of q(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )) {
      const table = str(name);
      const cols = q('SELECT name, type, "notnull" AS nn, pk FROM pragma_table_info(?)', table);
      const idx = q('SELECT name, "unique" AS u, origin, partial FROM pragma_index_list(?)', table);
      const columnsOf = (index: string) =>
        q('SELECT name FROM pragma_index_info(?) ORDER BY seqno', index).map((r) => str(r.name));
      shape[table] = {
        columns: byName(
          cols.map((c) => ({ name: str(c.name), type: family(str(c.type)), nullable: !c.nn && !c.pk })),
        ),
        primaryKey: cols
          .filter((c) => Number(c.pk) > 0)
          .sort((a, b) => Number(a.pk) - Number(b.pk))
          .map((c) => str(c.name)),
        unique: sortedLists(idx.filter((i) => i.origin === 'u').map((i) => columnsOf(str(i.name)))),
        indexes: byName(
          idx
            .filter((i) => i.origin === 'c')
            .map((i) => ({
              name: str(i.name),
              columns: columnsOf(str(i.name)),
              unique: i.u === 1,
              partial: i.partial === 1,
            })),
        ),
      };
    }
    return shape;
  } finally {
    db.close();
  }
}

const pgIndexes = `SELECT t.relname AS tbl, i.relname AS name, ix.indisunique AS uniq, ix.indisprimary AS prim,
    ix.indpred IS NOT NULL AS partial,
    EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid) AS by_constraint,
    array(SELECT a.attname::text FROM unnest(ix.indkey) WITH ORDINALITY k(n, o)
      JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.n ORDER BY k.o) AS cols
  FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = $1`;

async function postgresShape(url: string, schema: string): Promise<Shape> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const q = async (text: string) => (await client.query(text, [schema])).rows as Row[];
    const shape: Shape = {};
    for (const { table_name } of await q(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'",
    )) {
      shape[str(table_name)] = { columns: [], primaryKey: [], unique: [], indexes: [] };
    }
    const at = (r: Row) => shape[str(r.table_name ?? r.tbl)] as TableShape;
    for (const c of await q(
      'SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = $1',
    )) {
      at(c).columns.push({
        name: str(c.column_name),
        type: family(str(c.data_type)),
        nullable: c.is_nullable === 'YES',
      });
    }
    for (const i of await q(pgIndexes)) {
      const cols = i.cols as string[];
      if (i.prim) at(i).primaryKey = cols;
      else if (i.by_constraint) at(i).unique.push(cols);
      else
        at(i).indexes.push({
          name: str(i.name),
          columns: cols,
          unique: i.uniq === true,
          partial: i.partial === true,
        });
    }
    for (const t of Object.values(shape)) {
      byName(t.columns);
      byName(t.indexes);
      sortedLists(t.unique);
    }
    return shape;
  } finally {
    await client.end();
  }
}

const s = await services('schema comparison: sqlite against postgres', ['postgres']);
if (s) {
  const root = mkdtempSync(join(tmpdir(), 'lifeline-schema-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  test('the SQLite and PostgreSQL migrations end in the same tables, columns and indexes', async () => {
    const file = join(root, 'lifeline.db');
    await new SqliteRecordStore(file).close();
    const schema = s.schema();
    await (await PostgresRecordStore.open({ url: s.pgUrl, schema })).close();
    const [lite, post] = [await sqliteShape(file), await postgresShape(s.pgUrl, schema)];
    assert.ok(Object.keys(lite).length > 5, 'the SQLite schema was read');
    assert.deepEqual(Object.keys(post).sort(), Object.keys(lite).sort(), 'the same tables');
    for (const table of Object.keys(lite)) assert.deepEqual(post[table], lite[table], `table ${table}`);
  });
}
