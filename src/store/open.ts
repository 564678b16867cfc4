/**
 * Opens the record store's adapter: one node's SQLite file, or PostgreSQL shared by every node.
 * Only the composition root (src/app.ts) and the CLI's direct commands import this file.
 */
import type { RecordStore } from './index.ts';
import { PostgresRecordStore } from './postgres/index.ts';
import { SqliteRecordStore } from './sqlite/index.ts';

export { type ModeRepair, tightenDataFiles } from './sqlite/files.ts';
export { prepareDirectory } from './sqlite/open-errors.ts';

/** Which adapter to open and where. */
export type RecordStoreSpec =
  | { kind: 'sqlite'; path: string }
  | { kind: 'postgres'; url: string; schema: string; poolSize: number };

export async function openRecordStore(spec: RecordStoreSpec): Promise<RecordStore> {
  switch (spec.kind) {
    case 'sqlite':
      return new SqliteRecordStore(spec.path);
    case 'postgres':
      return PostgresRecordStore.open({ url: spec.url, schema: spec.schema, max: spec.poolSize });
  }
}
