import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { recordStoreContract } from '../contract.ts';
import { SqliteRecordStore } from './index.ts';

// Each test gets its own file in a fresh directory: real SQLite, WAL and all, never shared.
const root = mkdtempSync(join(tmpdir(), 'lifeline-sqlite-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

recordStoreContract('sqlite', async () => new SqliteRecordStore(join(root, `store-${++n}`, 'lifeline.db')));
