/**
 * The record store: what Lifeline keeps durably (audit, operators, commands, disruptions,
 * session grants, signing keys). One factory picks the adapter.
 */
import { SqliteRecordStore } from './sqlite/index.ts';
import type { RecordStore } from './port.ts';

export type * from './port.ts';
export { commandStates, disruptionCauses, disruptionOutcomes, restoreStates, roles } from './port.ts';
export { timeOrderedBytes, uuid7 } from './ids.ts';
export { SqliteRecordStore } from './sqlite/index.ts';

/** Which adapter to open and where. PostgreSQL joins this union when the scale-out lands. */
export type RecordStoreSpec = { kind: 'sqlite'; path: string };

export async function openRecordStore(spec: RecordStoreSpec): Promise<RecordStore> {
  switch (spec.kind) {
    case 'sqlite':
      return new SqliteRecordStore(spec.path);
  }
}
