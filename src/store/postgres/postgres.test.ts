import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import pg from 'pg';
import { recordStoreContract } from '../contract.ts';
import type { RecordStore } from '../port.ts';
import { PostgresRecordStore } from './index.ts';

// Real PostgreSQL: each test opens its own fresh schema and the file drops them all at the end.
const url = process.env.LIFELINE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const required = process.env.CI === 'true';

async function reachable(): Promise<unknown> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (err) {
    return err;
  } finally {
    await client.end().catch(() => {});
  }
}

const failure = await reachable();

if (failure === null) {
  const schemas: string[] = [];
  after(async () => {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    } finally {
      await admin.end();
    }
  });
  recordStoreContract('postgres', async (): Promise<RecordStore> => {
    const schema = `lifeline_test_${randomBytes(6).toString('hex')}`;
    schemas.push(schema);
    return PostgresRecordStore.open({ url, schema });
  });
} else if (required) {
  test('PostgreSQL is required in CI', () => {
    throw new Error(`PostgreSQL is required in CI (CI=true) but ${url} is unreachable: ${String(failure)}`);
  });
} else {
  console.log(
    'postgres contract suite skipped: start PostgreSQL on 127.0.0.1:5432 or set CI=true to require it',
  );
  test('record store contract: postgres', { skip: 'PostgreSQL is not reachable' }, () => {});
}
