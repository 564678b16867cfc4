/**
 * The record store: what Lifeline keeps durably (audit, operators, commands, disruptions,
 * session grants, signing keys). One factory picks the adapter.
 */
import type { RecordStore } from './port.ts';
import { PostgresRecordStore } from './postgres/index.ts';
import { SqliteRecordStore } from './sqlite/index.ts';

export type * from './port.ts';
export { commandStates, disruptionCauses, disruptionOutcomes, restoreStates, roles } from './port.ts';
export { timeOrderedBytes, uuid7 } from './ids.ts';
export { PostgresRecordStore } from './postgres/index.ts';
export { SqliteRecordStore } from './sqlite/index.ts';
export { type ModeRepair, tightenDataFiles } from './sqlite/files.ts';
export { prepareDirectory } from './sqlite/open-errors.ts';

/** Which adapter to open and where: one node's SQLite file, or PostgreSQL shared by every node. */
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
